/**
 * pnpm bench:core — what Baton adds on top of a plain @anthropic-ai/sdk call, against the
 * simulator (own process, zero delay), and Claude Code cold start vs a warm checkout.
 * One JSON line per case.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createLimiter, memoryStore } from '@baton/ratelimit';
import {
  batchingUsageSink,
  createApiBackend,
  createBreakerRegistry,
  createClaudeCodeBackend,
  createSessionPool,
  limiterGate,
} from '../src/index.js';

const KEY = 'sk-bench';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const ROUNDS = 4;

function pct(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}
const r2 = (n: number) => Math.round(n * 1000) / 1000;

async function startSim(): Promise<{ url: string; stop: () => void }> {
  const child = fork(new URL('./sim-server.ts', import.meta.url), {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { url: string }).url));
    child.once('exit', (c) => reject(new Error(`simulator exited (${c})`)));
  });
  return { url, stop: () => child.disconnect() };
}

async function runConcurrent(
  n: number,
  concurrency: number,
  one: (i: number) => Promise<void>,
): Promise<number[]> {
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = performance.now();
        await one(i);
        lat.push(performance.now() - t0);
      }
    }),
  );
  return lat;
}

const sim = await startSim();
const body = {
  model: 'claude-haiku-4-5',
  max_tokens: 256,
  system: 'You are terse.',
  messages: [{ role: 'user' as const, content: 'Say something short.' }],
};

// Plain SDK: one streamed request, consumed to the end.
const sdk = new Anthropic({ baseURL: sim.url, apiKey: KEY, maxRetries: 0 });
const plain = async () => {
  const stream = await sdk.messages.create({ ...body, stream: true });
  for await (const _ of stream) {
  }
};

// Baton: limiter (limits high), breaker, batching usage sink, session pool, recovery.
const limiter = createLimiter({
  store: memoryStore(),
  limits: {
    requestsPerMinute: 100_000_000,
    inputTokensPerMinute: 1e12,
    outputTokensPerMinute: 1e12,
  },
});
let recorded = 0;
const sink = batchingUsageSink(
  async (b) => {
    recorded += b.length;
  },
  { maxBatch: 500, flushIntervalMs: 200 },
);
const api = createApiBackend({
  baseURL: sim.url,
  apiKey: KEY,
  rateGate: limiterGate(limiter),
  breakers: createBreakerRegistry(),
  usageSink: sink,
});
const pool = createSessionPool({ api, maxSessions: 1_000, maxIdle: 1_000 });
const baton = async (i: number) => {
  const lease = await pool.acquire(`conv-${i}`, {
    model: body.model,
    maxTokens: 256,
    system: body.system,
  });
  await lease.run({ prompt: 'Say something short.', cache: false }).result;
  await lease.release();
};

for (const concurrency of [1, 32]) {
  const a: number[] = [];
  const b: number[] = [];
  await runConcurrent(200, concurrency, () => plain()); // warm-up
  await runConcurrent(200, concurrency, (i) => baton(1e6 + i));
  for (let r = 0; r < ROUNDS; r++) {
    a.push(...(await runConcurrent(REQUESTS / ROUNDS, concurrency, () => plain())));
    b.push(...(await runConcurrent(REQUESTS / ROUNDS, concurrency, (i) => baton(r * 1e5 + i))));
  }
  a.sort((x, y) => x - y);
  b.sort((x, y) => x - y);
  const rss = r2(process.memoryUsage().rss / 1024 / 1024);
  const line = (name: string, s: number[], base?: number[]) => ({
    case: name,
    requests: s.length,
    p50_ms: r2(pct(s, 50)),
    p99_ms: r2(pct(s, 99)),
    overhead_p50_ms: base ? r2(pct(s, 50) - pct(base, 50)) : 0,
    overhead_p99_ms: base ? r2(pct(s, 99) - pct(base, 99)) : 0,
    rss_mb: rss,
  });
  console.log(JSON.stringify(line(`sdk c=${concurrency}`, a)));
  console.log(JSON.stringify(line(`baton api c=${concurrency}`, b, a)));
}
await sink.close();
if (recorded === 0) throw new Error('no usage was recorded');

// Claude Code: a cold session (spawn + init + one answer) vs a warm checkout from the pool.
const home = mkdtempSync(join(tmpdir(), 'baton-bench-cc-'));
const cwd = mkdtempSync(join(tmpdir(), 'baton-bench-cwd-'));
try {
  const cc = createClaudeCodeBackend({ baseURL: sim.url, apiKey: KEY, home });
  const ccPool = createSessionPool({ claudeCode: cc, prewarmClaudeCode: true });
  const init = { backend: 'claude-code' as const, model: 'claude-opus-5-5', cwd };
  const timed = async (lease: Awaited<ReturnType<typeof ccPool.acquire>>, t0: number) => {
    let first = Number.NaN;
    let warm = false;
    const run = lease.run({
      prompt: 'Say hi.',
      maxTurns: 1,
      onEvent: (e) => {
        if (e.type === 'session' && Number.isNaN(first)) {
          first = performance.now() - t0;
          warm = e.warm;
        }
      },
    });
    await run.result;
    return { first, total: performance.now() - t0, warm };
  };
  let t0 = performance.now();
  const coldLease = await ccPool.acquire('cc-cold', init);
  const cold = await timed(coldLease, t0);
  console.log(
    JSON.stringify({
      case: 'claude-code cold start',
      first_message_ms: r2(cold.first),
      result_ms: r2(cold.total),
    }),
  );
  // Release → the pool prewarms the session's process; a checkout then finds it idle and warm.
  const first = await ccPool.acquire('cc-warm', init);
  await timed(first, performance.now());
  await first.release(); // prewarm happens here
  t0 = performance.now();
  const warmLease = await ccPool.acquire('cc-warm', init);
  const checkoutMs = performance.now() - t0;
  const warm = await timed(warmLease, t0);
  await warmLease.release();
  console.log(
    JSON.stringify({
      case: 'claude-code warm checkout',
      checkout_ms: r2(checkoutMs),
      first_message_ms: r2(warm.first),
      result_ms: r2(warm.total),
      warm_process: warm.warm,
    }),
  );
  await ccPool.close();
  cc.close();
} finally {
  rmSync(home, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
  limiter.close();
  sim.stop();
}
