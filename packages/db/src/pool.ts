import pg from 'pg';

// Numeric columns come back as strings (exact); bigint counts as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface CreatePoolOptions {
  max?: number;
  applicationName?: string;
  /** Called for errors on idle clients (e.g. the server restarted); default: ignored. */
  onError?: (err: Error) => void;
}

/** A node-postgres pool with Baton's settings. It reconnects by itself after a server restart. */
export function createPool(url: string, options: CreatePoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'baton',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => options.onError?.(err));
  return pool;
}

/** Round-trips `select 1`; resolves to the latency in ms or rejects. */
export async function pingDb(pool: pg.Pool): Promise<number> {
  const t0 = performance.now();
  await pool.query('select 1');
  return performance.now() - t0;
}
