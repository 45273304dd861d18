import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index';

export type Schema = typeof schema;
export type Database = NodePgDatabase<Schema>;

// Numeric columns come back as strings (exact); bigint counts as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface DbClient {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

export interface CreateDbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Identifies the process in pg_stat_activity. */
  applicationName?: string;
  /** Called for errors on idle clients (e.g. the server restarted); default: ignored. */
  onError?: (err: Error) => void;
}

/** A Drizzle client over a node-postgres pool. The pool reconnects by itself after a server restart. */
export function createDb(url: string, options: CreateDbOptions = {}): DbClient {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'baton',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  pool.on('error', (err) => options.onError?.(err));
  const db = drizzle(pool, { schema });
  let closed: Promise<void> | undefined;
  return {
    db,
    pool,
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
}

/** Round-trips `select 1`; resolves to the latency in ms or rejects. */
export async function pingDb(pool: pg.Pool): Promise<number> {
  const t0 = performance.now();
  await pool.query('select 1');
  return performance.now() - t0;
}
