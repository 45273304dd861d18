/**
 * `pnpm bench:ratelimit` — one fixed, seeded workload against the simulator in four modes; one
 * JSON line per mode. efficiency = T_min / seconds, where T_min is the physical minimum for the
 * work the simulator admitted: max over dimensions of (total − capacity) / refill rate.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createTestDatabase, startTestPostgres } from '@baton/db/testing';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import PQueue from 'p-queue';
import { countTokensCounter, createLimiter, memoryStore, rateLimitedFetch } from '../src/index.js';
import { runShared } from './shared.js';
import { runPool, send, workload } from './workload.js';

const COUNT = Number(process.env.BENCH_REQUESTS ?? 600);
const SEED = 42;
const CONCURRENCY = 32;
const KEY = 'sk-bench';
// Scaled so that the input-token limit binds and one run takes about a minute.
const LIMITS = { rpm: 2_000, itpm: Number(process.env.BENCH_ITPM ?? 420_000), otpm: 400_000 };
const RESPONSE = {
  ttftMs: 80,
  tokensPerSecond: 1_500,
  outputTokens: { type: 'lognormal' as const, median: 150, sigma: 0.8 },
  seed: SEED,
};
const limiterLimits = {
  requestsPerMinute: LIMITS.rpm,
  inputTokensPerMinute: LIMITS.itpm,
  outputTokensPerMinute: LIMITS.otpm,
};

function tMin(sim: RunningSimulator): number {
  const t = sim.stats().totals;
  const totals = {
    requests: [t.admitted, LIMITS.rpm],
    input: [t.inputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens, LIMITS.itpm],
    output: [t.outputTokens, LIMITS.otpm],
  } as const;
  let worst = 0;
  for (const [total, cap] of Object.values(totals))
    worst = Math.max(worst, ((total - cap) / cap) * 60);
  return worst;
}

const ONLY = process.env.BENCH_MODES?.split(',');

async function mode(
  name: string,
  run: (
    sim: RunningSimulator,
  ) => Promise<{ completed: number; failed: number; errors?: string[]; seconds?: number }>,
): Promise<void> {
  if (ONLY && !ONLY.includes(name)) return;
  const sim = await startSimulator({ port: 0, limits: LIMITS, response: RESPONSE });
  try {
    const started = performance.now();
    const r = await run(sim);
    // Shared runs report the workers' own time (from their common start, without process start-up).
    const seconds = r.seconds ?? (performance.now() - started) / 1000;
    const t = sim.stats().totals;
    const line = {
      mode: name,
      requests: COUNT,
      completed: r.completed,
      failed: r.failed,
      http_429: t.rateLimited,
      seconds: Math.round(seconds * 100) / 100,
      efficiency: Math.round((tMin(sim) / seconds) * 1000) / 1000,
    };
    console.log(JSON.stringify(line));
    if (process.env.BENCH_DEBUG && r.errors?.length) console.error(name, r.errors);
  } finally {
    await sim.close();
  }
}

const items = workload(COUNT, SEED);

await mode('baton', async (sim) => {
  const limiter = createLimiter({ store: memoryStore(), limits: limiterLimits });
  const counting = new Anthropic({ baseURL: sim.url, apiKey: KEY });
  const client = new Anthropic({
    baseURL: sim.url,
    apiKey: KEY,
    maxRetries: 0,
    fetch: rateLimitedFetch(limiter, { counter: countTokensCounter(counting) }),
  });
  return runPool(items, CONCURRENCY, (item) => send(client, item, { 'x-baton-team': item.team }));
});

await mode('sdk-retries', async (sim) => {
  const client = new Anthropic({ baseURL: sim.url, apiKey: KEY });
  return runPool(items, CONCURRENCY, (item) => send(client, item));
});

await mode('p-queue-rpm', async (sim) => {
  const client = new Anthropic({ baseURL: sim.url, apiKey: KEY });
  const queue = new PQueue({
    concurrency: CONCURRENCY,
    interval: 1_000,
    intervalCap: Math.max(1, Math.floor(LIMITS.rpm / 60)),
  });
  let completed = 0;
  let failed = 0;
  await Promise.all(
    items.map((item) =>
      queue.add(() =>
        send(client, item).then(
          () => {
            completed++;
          },
          () => {
            failed++;
          },
        ),
      ),
    ),
  );
  return { completed, failed };
});

const pgServer = await startTestPostgres();
try {
  if (!ONLY || ONLY.includes('baton-shared-3')) {
    const db = await createTestDatabase(pgServer.adminUrl, {
      migrate: false,
      prefix: 'ratelimit_bench',
    });
    try {
      await mode('baton-shared-3', async (sim) => {
        const results = await runShared({
          simUrl: sim.url,
          dbUrl: db.url,
          table: 'baton_ratelimit_bench',
          apiKey: KEY,
          count: COUNT,
          seed: SEED,
          processes: 3,
          concurrency: CONCURRENCY,
          limits: limiterLimits,
        });
        return {
          completed: results.reduce((a, r) => a + r.completed, 0),
          failed: results.reduce((a, r) => a + r.failed, 0),
          errors: results.flatMap((r) => r.errors),
          seconds: Math.max(...results.map((r) => r.seconds)),
        };
      });
    } finally {
      await db.drop();
    }
  }
} finally {
  await pgServer.stop();
}
