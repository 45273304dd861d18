import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { type CreatePoolOptions, createPool } from './pool';
import * as schema from './schema/index';

export { pingDb } from './pool';

export type Schema = typeof schema;
export type Database = NodePgDatabase<Schema>;

export interface DbClient {
  db: Database;
  pool: pg.Pool;
  close(): Promise<void>;
}

export type CreateDbOptions = CreatePoolOptions;

/** A Drizzle client over a node-postgres pool. The pool reconnects by itself after a server restart. */
export function createDb(url: string, options: CreateDbOptions = {}): DbClient {
  const pool = createPool(url, options);
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
