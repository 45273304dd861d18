/**
 * `pnpm bench:simulator`: requests/s of the simulator at zero delay, non-streaming and streaming.
 * The server runs in this process; the load generator in a child process (bench/loadgen.ts).
 * Prints one JSON line per mode.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSimulator } from '../src/index.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);

const sim = await startSimulator({
  port: 0,
  // No throttling and fixed-size replies (100 tokens), so runs are comparable.
  limits: { rpm: 100_000_000, itpm: 1_000_000_000_000, otpm: 1_000_000_000_000 },
  response: {
    ttftMs: 0,
    tokensPerSecond: 0,
    outputTokens: { type: 'fixed', tokens: 100 },
    seed: 1,
  },
});

function runLoad(mode: 'json' | 'stream'): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = fork(
      fileURLToPath(new URL('./loadgen.ts', import.meta.url)),
      [sim.url, mode, String(seconds), String(concurrency), '1'],
      { execArgv: ['--import', 'tsx'] },
    );
    let result: Record<string, unknown> | undefined;
    child.on('message', (m) => {
      result = m as Record<string, unknown>;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      result && code === 0
        ? resolve(result)
        : reject(new Error(`load generator exited with ${code}`)),
    );
  });
}

try {
  // Alternate modes over several rounds (the machine is shared and noisy), then summarise.
  const rps: Record<string, number[]> = { json: [], stream: [] };
  for (let round = 1; round <= rounds; round++) {
    for (const mode of ['json', 'stream'] as const) {
      const line = await runLoad(mode);
      rps[mode]?.push(line.rps as number);
      console.log(JSON.stringify({ ...line, round, node: process.version }));
    }
  }
  for (const [mode, xs] of Object.entries(rps)) {
    const sorted = [...xs].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    console.log(
      JSON.stringify({
        mode,
        summary: true,
        rounds,
        median_rps: median,
        min_rps: sorted[0],
        max_rps: sorted.at(-1),
      }),
    );
  }
  const st = sim.stats().totals;
  console.log(
    JSON.stringify({
      server_requests: st.requests,
      server_admitted: st.admitted,
      output_tokens: st.outputTokens,
    }),
  );
} finally {
  await sim.close();
}
