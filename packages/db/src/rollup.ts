/**
 * The analytics rollups are kept asynchronously: ingest inserts usage_events
 * only, and `baton_rollup_usage(max_rows)` (migration
 * `analytics_async_rollup_fn`) claims up to `max_rows` rows not yet rolled up,
 * marks them and adds them to every rollup in one statement — exactly once,
 * also with several callers at once (FOR UPDATE SKIP LOCKED: each takes a
 * disjoint batch). Plain pg, no ORM: the worker loads this.
 *
 *   const loop = startRollupLoop(pool, { onError: (err) => log.warn(err) });
 *   …
 *   await loop.stop();
 */
import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

export interface RollupOptions {
  /** Most usage rows one call rolls up (default 10,000). */
  maxRows?: number;
  /** Retries after a deadlock or serialization failure (default 3). */
  retries?: number;
}

const RETRYABLE = new Set(['40P01', '40001']);

/** Rolls up one batch of usage; resolves to the number of usage rows rolled up (0: nothing pending). */
export async function rollupUsage(pool: Queryable, options: RollupOptions = {}): Promise<number> {
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? 10_000));
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await pool.query<{ n: number }>('select baton_rollup_usage($1::int) as n', [
        maxRows,
      ]);
      return Number(res.rows[0]?.n ?? 0);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= retries || !code || !RETRYABLE.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * (attempt + 1)));
    }
  }
}

/** Rolls up until nothing is pending (or `maxBatches` batches); resolves to the rows rolled up. */
export async function rollupAll(
  pool: Queryable,
  options: RollupOptions & { maxBatches?: number } = {},
): Promise<number> {
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? 10_000));
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let i = 0; i < maxBatches; i++) {
    const n = await rollupUsage(pool, { ...options, maxRows });
    total += n;
    if (n < maxRows) break;
  }
  return total;
}

export interface RollupLoopOptions extends RollupOptions {
  /** Sleep between passes when the last batch was not full (default 1,000 ms). */
  intervalMs?: number;
  /** Called with each failed pass's error; the loop keeps going. */
  onError?: (err: unknown) => void;
}

export interface RollupLoop {
  /** Stops the loop; resolves once the pass in flight has finished. */
  stop(): Promise<void>;
  /** Usage rows rolled up by this loop so far. */
  readonly rolledUp: number;
}

/**
 * Rolls up usage in the background: batch after batch while batches come back
 * full, otherwise sleeps `intervalMs`. Several processes may run one each.
 */
export function startRollupLoop(pool: Queryable, options: RollupLoopOptions = {}): RollupLoop {
  const intervalMs = options.intervalMs ?? 1_000;
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? 10_000));
  let stopped = false;
  let rolledUp = 0;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
      timer.unref?.();
    });
  const done = (async () => {
    while (!stopped) {
      let full = false;
      try {
        const n = await rollupUsage(pool, { ...options, maxRows });
        rolledUp += n;
        full = n >= maxRows;
      } catch (err) {
        options.onError?.(err);
      }
      if (!full && !stopped) await sleep(intervalMs);
    }
  })();
  return {
    get rolledUp() {
      return rolledUp;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      wake?.();
      await done;
    },
  };
}
