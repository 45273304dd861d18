/**
 * The V8 flags a worker process runs with — `pnpm --filter @baton/worker start`, `baton start`,
 * the fleet tests and `pnpm bench:worker` all pass these (the start script spells them out;
 * `node-flags.test.ts` keeps it in step).
 *
 * Streaming many responses at once makes short-lived garbage fast. V8's defaults let old-space
 * garbage pile up between major collections (RSS 250–300 MB with 32 sessions); a heap that grows
 * by at most 20 % past what survived the last major collection keeps it near 200 MB, and 16 MB
 * semi-spaces let most of that garbage die young. `--optimize-for-size` kept RSS lower still
 * (~170 MB) but cost a sixth of the throughput (worker README, "Benchmark").
 */
export const WORKER_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=16',
  '--heap-growing-percent=20',
];
