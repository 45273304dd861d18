/**
 * pnpm bench:core — what Baton adds on top of a plain @anthropic-ai/sdk call, against the
 * simulator (own process, zero delay), and Claude Code cold start vs a warm checkout.
 * One JSON line per case; the two API cases run interleaved in rounds (medians reported).
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);

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
): Promise<{ lat: number[]; cpuUs: number }> {
  const lat: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpu0);
  lat.sort((x, y) => x - y);
  return { lat, cpuUs: (cpu.user + cpu.system) / n };
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const sim = await startSim();
// Both cases send the same request: the body Baton builds for this turn (system and prompt as
// text blocks, no cache_control), streamed, max_tokens 256, through the same SDK client, so the
// same keep-alive connection pool (undici's global dispatcher).
const PROMPT = 'Say something short.';
const SYSTEM = 'You are terse.';
const MODEL = 'claude-haiku-4-5';
const body = {
  model: MODEL,
  max_tokens: 256,
  system: [{ type: 'text' as const, text: SYSTEM }],
  messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: PROMPT }] }],
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
  client: sdk,
  apiKey: KEY,
  rateGate: limiterGate(limiter),
  breakers: createBreakerRegistry(),
  usageSink: sink,
});
const pool = createSessionPool({ api, maxSessions: 1_000, maxIdle: 1_000 });
let conv = 0;
const baton = async () => {
  const lease = await pool.acquire(`conv-${conv++}`, {
    model: MODEL,
    maxTokens: 256,
    system: SYSTEM,
  });
  await lease.run({ prompt: PROMPT, cache: false }).result;
  await lease.release();
};

// Rounds of A then B (the order alternating), each case's p50/p99 per round; the lines give the
// medians over the rounds, and the overheads are medians of the per-round differences, so load
// from other processes on the machine cancels out as far as it can.
for (const concurrency of [1, 32]) {
  await runConcurrent(300, concurrency, () => plain()); // warm-up
  await runConcurrent(300, concurrency, () => baton());
  const a: Array<{ lat: number[]; cpuUs: number }> = [];
  const b: Array<{ lat: number[]; cpuUs: number }> = [];
  const per = Math.ceil(REQUESTS / ROUNDS);
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      a.push(await runConcurrent(per, concurrency, () => plain()));
      b.push(await runConcurrent(per, concurrency, () => baton()));
    } else {
      b.push(await runConcurrent(per, concurrency, () => baton()));
      a.push(await runConcurrent(per, concurrency, () => plain()));
    }
  }
  const rss = r2(process.memoryUsage().rss / 1024 / 1024);
  const stat = (s: Array<{ lat: number[]; cpuUs: number }>, p: number) =>
    s.map((x) => pct(x.lat, p));
  const line = (name: string, s: typeof a, base?: typeof a) => ({
    case: name,
    requests: s.reduce((n, x) => n + x.lat.length, 0),
    p50_ms: r2(median(stat(s, 50))),
    p99_ms: r2(median(stat(s, 99))),
    overhead_p50_ms: base
      ? r2(median(stat(s, 50).map((v, i) => v - (stat(base, 50)[i] as number))))
      : 0,
    overhead_p99_ms: base
      ? r2(median(stat(s, 99).map((v, i) => v - (stat(base, 99)[i] as number))))
      : 0,
    cpu_us_per_request: r2(median(s.map((x) => x.cpuUs))),
    rss_mb: rss,
  });
  console.log(JSON.stringify(line(`sdk c=${concurrency}`, a)));
  console.log(JSON.stringify(line(`baton api c=${concurrency}`, b, a)));
}
await sink.close();
if (recorded === 0) throw new Error('no usage was recorded');

class SkipClaudeCode extends Error {}

// Claude Code: a cold session (spawn + init + one answer) vs a warm checkout from the pool.
const home = mkdtempSync(join(tmpdir(), 'baton-bench-cc-'));
const cwd = mkdtempSync(join(tmpdir(), 'baton-bench-cwd-'));
try {
  if (process.env.BENCH_SKIP_CLAUDE_CODE === '1') throw new SkipClaudeCode();
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
} catch (e) {
  if (!(e instanceof SkipClaudeCode)) throw e;
} finally {
  rmSync(home, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
  limiter.close();
  sim.stop();
}
