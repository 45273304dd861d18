/**
 * One worker process of the shared-limit runs: takes a slice of the workload and sends it through
 * @anthropic-ai/sdk rate-limited by @baton/ratelimit on the PostgreSQL store. Configuration comes
 * as JSON in BATON_RL_WORKER; prints one JSON line with the result.
 */
import Anthropic from '@anthropic-ai/sdk';
import pg from 'pg';
import { countTokensCounter, createLimiter, type Limits, rateLimitedFetch } from '../src/index.js';
import { postgresStore } from '../src/postgres.js';
import { runPool, send, workload } from './workload.js';

interface WorkerConfig {
  simUrl: string;
  dbUrl: string;
  table: string;
  apiKey: string;
  count: number;
  seed: number;
  index: number;
  of: number;
  concurrency: number;
  limits: Limits;
  /** Wall-clock time (ms) at which to start, so the processes begin together. */
  startAt: number;
}

const cfg = JSON.parse(process.env.BATON_RL_WORKER ?? '{}') as WorkerConfig;
const pool = new pg.Pool({ connectionString: cfg.dbUrl, max: 4 });
const limiter = createLimiter({
  store: postgresStore(pool, { table: cfg.table }),
  limits: cfg.limits,
});
const counting = new Anthropic({ baseURL: cfg.simUrl, apiKey: cfg.apiKey });
const client = new Anthropic({
  baseURL: cfg.simUrl,
  apiKey: cfg.apiKey,
  maxRetries: 0,
  fetch: rateLimitedFetch(limiter, { counter: countTokensCounter(counting) }),
});
const items = workload(cfg.count, cfg.seed).filter((_, i) => i % cfg.of === cfg.index);
await postgresStore(pool, { table: cfg.table }).migrate();
await new Promise((r) => setTimeout(r, Math.max(0, cfg.startAt - Date.now())));
const started = performance.now();
const result = await runPool(items, cfg.concurrency, (item) =>
  send(client, item, { 'x-baton-team': item.team }),
);
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ index: cfg.index, ...result, seconds })}\n`);
await pool.end();
