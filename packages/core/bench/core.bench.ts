/**
 * pnpm bench:core — what Baton adds on top of a plain @anthropic-ai/sdk call, against the
 * simulator (own process, zero delay), and Claude Code cold start vs a warm checkout.
 * One JSON line per case.
 *
 * Fairness:
 * - It runs on the built package (`pnpm bench` builds it first) under plain Node, as the worker
 *   and other repositories run it — not on sources transformed by tsx (whose keep-names helper
 *   wraps every inner function of Baton's and none of the SDK's).
 * - Both sides send the same request (the body Baton builds for this turn: system and prompt as
 *   text blocks, no cache_control, max_tokens 256, streamed, consumed to the end) through the same
 *   SDK client, hence the same keep-alive connections (undici's global dispatcher).
 * - The simulator runs in its own process, so this event loop only runs the clients.
 * - The overhead lines interleave the two kinds of request in one load: at concurrency 32, 32
 *   loops take jobs from one list that alternates plain and Baton, so about 16 of each are in
 *   flight at any time and every request waits behind the same mix of others. The difference of
 *   the two kinds' latencies is then what Baton adds to a request, not a multiple of it: in a
 *   closed loop of one kind only, this process's CPU is the bottleneck at zero delay (the SDK
 *   alone costs ~0.1–0.2 ms of CPU per streamed request here), so a request's latency is ≈ 32 ×
 *   the CPU per request and every microsecond Baton adds shows up 32-fold as queueing behind the
 *   load generator's own other requests. That throughput cost is reported too, separately: the
 *   `alone` lines run each kind by itself (closed loop) and give requests per second and the
 *   client CPU per request.
 * - Rounds: 10 (BENCH_ROUNDS) of 200 requests of each kind (BENCH_REQUESTS / ROUNDS); lines give
 *   the median over rounds of the per-round p50/p99, the overheads the median of the per-round
 *   differences, so load from other processes on a shared machine cancels out as far as it can.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as Setup from './setup.js';

// Plain Node strips the types but does not find `./setup.js` for `./setup.ts`, and tsc here
// rejects a `.ts` import path: the specifier in a variable, typed from the module.
const setup = './setup.ts';
const { core, createBaton, createSdk, KEY, plainRequest } = (await import(setup)) as typeof Setup;

const { bubblewrapSandbox, createClaudeCodeBackend, createSessionPool } = core;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);

function pct(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}
const r2 = (n: number) => Math.round(n * 1000) / 1000;
const median = (xs: number[]) => {
  const s = xs.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

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

type Kind = 'sdk' | 'baton';
type One = () => Promise<void>;

/** `concurrency` loops take jobs from one list; each job's latency is kept per kind. */
async function runJobs(
  jobs: Kind[],
  concurrency: number,
  fns: Record<Kind, One>,
): Promise<{ lat: Record<Kind, number[]>; cpuUs: number; wallMs: number }> {
  const lat: Record<Kind, number[]> = { sdk: [], baton: [] };
  let next = 0;
  const cpu0 = process.cpuUsage();
  const w0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const kind = jobs[next++] as Kind;
        const t0 = performance.now();
        await fns[kind]();
        lat[kind].push(performance.now() - t0);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  lat.sdk.sort((x, y) => x - y);
  lat.baton.sort((x, y) => x - y);
  return {
    lat,
    cpuUs: (cpu.user + cpu.system) / jobs.length,
    wallMs: performance.now() - w0,
  };
}

const load0 = loadavg();
const sim = await startSim();
// Plain SDK and Baton (limiter with limits high, breaker, batching usage sink, session pool,
// recovery) through the same SDK client.
const sdk = createSdk({ baseURL: sim.url });
const plain = plainRequest(sdk);
let recorded = 0;
const {
  limiter,
  sink,
  request: baton,
} = createBaton(sdk, async (b) => {
  recorded += b.length;
});
const fns: Record<Kind, One> = { sdk: plain, baton };

const per = Math.ceil(REQUESTS / ROUNDS);
const alternate = (n: number, first: Kind): Kind[] =>
  Array.from({ length: 2 * n }, (_, i) =>
    i % 2 === 0 ? first : first === 'sdk' ? 'baton' : 'sdk',
  );
const only = (n: number, kind: Kind): Kind[] => Array.from({ length: n }, () => kind);
const rss = () => r2(process.memoryUsage().rss / 1024 / 1024);

for (const concurrency of [1, 32]) {
  await runJobs(alternate(300, 'sdk'), concurrency, fns); // warm-up
  // Interleaved: both kinds in one load (which goes first alternates by round).
  const rounds: Array<Record<Kind, number[]>> = [];
  for (let r = 0; r < ROUNDS; r++) {
    rounds.push((await runJobs(alternate(per, r % 2 ? 'baton' : 'sdk'), concurrency, fns)).lat);
  }
  const at = (kind: Kind, p: number) => rounds.map((x) => pct(x[kind], p));
  const diff = (p: number) => median(at('baton', p).map((v, i) => v - (at('sdk', p)[i] as number)));
  const mem = rss();
  for (const kind of ['sdk', 'baton'] as const) {
    console.log(
      JSON.stringify({
        case: `${kind === 'sdk' ? 'sdk' : 'baton api'} c=${concurrency}`,
        requests: rounds.reduce((n, x) => n + x[kind].length, 0),
        p50_ms: r2(median(at(kind, 50))),
        p99_ms: r2(median(at(kind, 99))),
        overhead_p50_ms: kind === 'sdk' ? 0 : r2(diff(50)),
        overhead_p99_ms: kind === 'sdk' ? 0 : r2(diff(99)),
        rss_mb: mem,
      }),
    );
  }
  if (concurrency === 1) continue;
  // Alone: each kind by itself in a closed loop (A B, B A, …): throughput and client CPU.
  const alone: Record<Kind, Array<{ p50: number; p99: number; rps: number; cpuUs: number }>> = {
    sdk: [],
    baton: [],
  };
  for (let r = 0; r < ROUNDS; r++) {
    const order: Kind[] = r % 2 ? ['baton', 'sdk'] : ['sdk', 'baton'];
    for (const kind of order) {
      const x = await runJobs(only(per, kind), concurrency, fns);
      alone[kind].push({
        p50: pct(x.lat[kind], 50),
        p99: pct(x.lat[kind], 99),
        rps: (per / x.wallMs) * 1000,
        cpuUs: x.cpuUs,
      });
    }
  }
  for (const kind of ['sdk', 'baton'] as const) {
    const a = alone[kind];
    const b = alone.sdk;
    console.log(
      JSON.stringify({
        case: `${kind === 'sdk' ? 'sdk' : 'baton api'} c=${concurrency} alone`,
        requests: a.length * per,
        p50_ms: r2(median(a.map((x) => x.p50))),
        p99_ms: r2(median(a.map((x) => x.p99))),
        // Not `overhead_*`: in a saturated closed loop the difference is queueing behind the
        // load generator's own requests (≈ 32 × the extra CPU per request), not added latency.
        p50_diff_ms: r2(median(a.map((x, i) => x.p50 - (b[i]?.p50 ?? 0)))),
        p99_diff_ms: r2(median(a.map((x, i) => x.p99 - (b[i]?.p99 ?? 0)))),
        requests_per_s: r2(median(a.map((x) => x.rps))),
        throughput_vs_sdk: r2(median(a.map((x, i) => x.rps / (b[i]?.rps ?? x.rps)))),
        cpu_us_per_request: r2(median(a.map((x) => x.cpuUs))),
        rss_mb: rss(),
      }),
    );
  }
}
await sink.close();
if (recorded === 0) throw new Error('no usage was recorded');
console.log(
  JSON.stringify({
    case: 'machine',
    loadavg_1m_before: r2(load0[0] as number),
    loadavg_1m_after: r2(loadavg()[0] as number),
  }),
);

class SkipClaudeCode extends Error {}

// Claude Code: a cold session (spawn + init + one answer) vs a warm checkout from the pool, each
// without and with the bubblewrap sandbox, interleaved (runs alternate, medians of each).
const dirs: string[] = [];
const tmp = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
async function claudeCodeOnce(sandboxed: boolean) {
  const home = tmp('baton-bench-cc-');
  const cwd = tmp('baton-bench-cwd-');
  const cc = createClaudeCodeBackend({
    baseURL: sim.url,
    apiKey: KEY,
    home,
    ...(sandboxed ? { sandbox: bubblewrapSandbox() } : {}),
  });
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
  try {
    let t0 = performance.now();
    const coldLease = await ccPool.acquire('cc-cold', init);
    const cold = await timed(coldLease, t0);
    await coldLease.release();
    // Release → the pool prewarms the session's process; a checkout then finds it idle and warm.
    const first = await ccPool.acquire('cc-warm', init);
    await timed(first, performance.now());
    await first.release(); // prewarm happens here
    t0 = performance.now();
    const warmLease = await ccPool.acquire('cc-warm', init);
    const checkoutMs = performance.now() - t0;
    const warm = await timed(warmLease, t0);
    await warmLease.release();
    return { cold, warm, checkoutMs };
  } finally {
    await ccPool.close();
    cc.close();
  }
}
try {
  if (process.env.BENCH_SKIP_CLAUDE_CODE === '1') throw new SkipClaudeCode();
  const sandboxOk = (await bubblewrapSandbox().check()).ok;
  const rounds = Number(process.env.BENCH_CC_ROUNDS ?? 5);
  const runs: Record<'off' | 'on', Awaited<ReturnType<typeof claudeCodeOnce>>[]> = {
    off: [],
    on: [],
  };
  await claudeCodeOnce(false); // the binary in the page cache for both
  for (let i = 0; i < rounds; i++) {
    runs.off.push(await claudeCodeOnce(false));
    if (sandboxOk) runs.on.push(await claudeCodeOnce(true));
  }
  const med = (xs: number[]) => median(xs);
  for (const [key, rs] of Object.entries(runs)) {
    if (rs.length === 0) continue;
    const sandbox = key === 'on';
    console.log(
      JSON.stringify({
        case: 'claude-code cold start',
        sandbox,
        runs: rs.length,
        first_message_ms: r2(med(rs.map((r) => r.cold.first))),
        result_ms: r2(med(rs.map((r) => r.cold.total))),
      }),
    );
    console.log(
      JSON.stringify({
        case: 'claude-code warm checkout',
        sandbox,
        runs: rs.length,
        checkout_ms: r2(med(rs.map((r) => r.checkoutMs))),
        first_message_ms: r2(med(rs.map((r) => r.warm.first))),
        result_ms: r2(med(rs.map((r) => r.warm.total))),
        warm_process: rs.every((r) => r.warm.warm),
      }),
    );
  }
  if (runs.on.length) {
    const ratio = (f: (r: (typeof runs.on)[number]) => number) =>
      r2(med(runs.on.map(f)) / med(runs.off.map(f)));
    console.log(
      JSON.stringify({
        case: 'sandbox cost',
        cold_first_message_ratio: ratio((r) => r.cold.first),
        cold_result_ratio: ratio((r) => r.cold.total),
        warm_checkout_ms: r2(med(runs.on.map((r) => r.checkoutMs))),
        target: 'cold start ≤ 1.3× without the sandbox; warm checkout < 100 ms',
        loadavg_1m: r2(loadavg()[0] as number),
      }),
    );
  } else
    console.log(JSON.stringify({ case: 'sandbox cost', skipped: 'bubblewrap cannot start here' }));
} catch (e) {
  if (!(e instanceof SkipClaudeCode)) throw e;
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  limiter.close();
  sim.stop();
}
