/**
 * pnpm --filter @baton/core bench:cpu — where Baton's time goes, without the network: both sides
 * read the same recorded streamed response (taken once from the simulator) through the SDK's
 * `fetch` option, so what is left is client work only. Prints, per request: client CPU of the
 * plain SDK call and of the same call through Baton (limiter, breaker, usage sink, session pool),
 * both at concurrency 32, interleaved in rounds (medians); the promises and timers each kind
 * creates (async_hooks, counted in a separate pass since the hook slows everything down); and
 * the bytes each kind allocates (V8's sampling heap profiler, collected objects included), with
 * Baton's largest allocation sites.
 * `--cpu-prof` on this file gives a profile of Baton's part (BENCH_PROFILE=1: Baton only).
 */

import { createHook } from 'node:async_hooks';
import { fork } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import type * as Setup from './setup.js';

// Plain Node strips the types but does not find `./setup.js` for `./setup.ts`, and tsc here
// rejects a `.ts` import path: the specifier in a variable, typed from the module.
const setup = './setup.ts';
const { body, createBaton, createSdk, KEY, plainRequest } = (await import(setup)) as typeof Setup;

const N = Number(process.env.BENCH_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);

// One real response from the simulator (own process), recorded.
const child = fork(new URL('./sim-server.ts', import.meta.url), {
  execArgv: ['--import', 'tsx'],
  stdio: 'inherit',
});
const url = await new Promise<string>((resolve) =>
  child.once('message', (m) => resolve((m as { url: string }).url)),
);
const live = await fetch(`${url}/v1/messages`, {
  method: 'POST',
  headers: {
    'content-type': 'application/json',
    'x-api-key': KEY,
    'anthropic-version': '2023-06-01',
  },
  body: JSON.stringify({ ...body, stream: true }),
});
const recHeaders: Array<[string, string]> = [];
live.headers.forEach((v, k) => {
  recHeaders.push([k, v]);
});
const recBody = new Uint8Array(await live.arrayBuffer());
child.disconnect();

let n = 0;
const recorded = async () =>
  new Response(recBody, {
    status: 200,
    headers: recHeaders.map(([k, v]): [string, string] => [
      k,
      k === 'request-id' ? `req_${n++}` : v,
    ]),
  });
const sdk = createSdk({
  baseURL: 'http://recorded.invalid',
  fetch: recorded as unknown as typeof fetch,
});
const plain = plainRequest(sdk);
const { limiter, sink, pool, request: baton } = createBaton(sdk, async () => {});

async function cpuPerRequest(fn: () => Promise<void>, count: number, c: number): Promise<number> {
  let next = 0;
  const t0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < count) {
        next++;
        await fn();
      }
    }),
  );
  const u = process.cpuUsage(t0);
  return (u.user + u.system) / count;
}
const r1 = (x: number) => Math.round(x * 10) / 10;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1] as number;

if (process.env.BENCH_PROFILE === '1') {
  for (let i = 0; i < ROUNDS; i++) await cpuPerRequest(baton, N, 32);
} else {
  await cpuPerRequest(plain, 500, 32);
  await cpuPerRequest(baton, 500, 32);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(await cpuPerRequest(plain, N, 32));
    b.push(await cpuPerRequest(baton, N, 32));
  }
  // Promises and timers per request (one request at a time, so nothing else is counted).
  const counts = { PROMISE: 0, Timeout: 0, Immediate: 0, TickObject: 0 };
  const hook = createHook({
    init(_id, type) {
      if (type in counts) counts[type as keyof typeof counts]++;
    },
  });
  const per = async (fn: () => Promise<void>) => {
    for (const k of Object.keys(counts)) counts[k as keyof typeof counts] = 0;
    hook.enable();
    for (let i = 0; i < 200; i++) await fn();
    hook.disable();
    return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, r1(v / 200)]));
  };
  const pc = await per(plain);
  const bc = await per(baton);
  console.log(
    JSON.stringify({
      case: 'client cpu per request, recorded response, c=32',
      rounds: ROUNDS,
      sdk_cpu_us: r1(median(a)),
      baton_cpu_us: r1(median(b)),
      baton_extra_cpu_us: r1(median(b.map((x, i) => x - (a[i] as number)))),
      sdk_promises: pc.PROMISE,
      baton_promises: bc.PROMISE,
      sdk_timers: pc.Timeout,
      baton_timers: bc.Timeout,
      sdk_ticks: pc.TickObject,
      baton_ticks: bc.TickObject,
    }),
  );
  // Bytes allocated per request (sampled every 1 KiB, including what GC already collected).
  type Node = {
    selfSize: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children: Node[];
  };
  const session = new Session();
  session.connect();
  const allocated = async (fn: () => Promise<void>, count: number) => {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 1024,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
    await cpuPerRequest(fn, count, 32);
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as {
      profile: { head: Node };
    };
    const sites = new Map<string, number>();
    let total = 0;
    const walk = (node: Node) => {
      total += node.selfSize;
      const f = node.callFrame;
      if (/\/(core|ratelimit)\/dist\//.test(f.url)) {
        const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/packages\//, '')}:${f.lineNumber + 1}`;
        sites.set(k, (sites.get(k) ?? 0) + node.selfSize);
      }
      for (const c of node.children) walk(c);
    };
    walk(profile.head);
    return { perRequest: Math.round(total / count), sites, count };
  };
  const pa = await allocated(plain, 2000);
  const ba = await allocated(baton, 2000);
  session.disconnect();
  console.log(
    JSON.stringify({
      case: 'bytes allocated per request, recorded response, c=32',
      sdk_bytes: pa.perRequest,
      baton_bytes: ba.perRequest,
      baton_top_sites: Object.fromEntries(
        [...ba.sites]
          .sort((x, y) => y[1] - x[1])
          .slice(0, 8)
          .map(([k, v]) => [k, Math.round(v / ba.count)]),
      ),
    }),
  );
}
await sink.close();
limiter.close();
await pool.close();
