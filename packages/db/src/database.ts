import { type EmbeddedPostgres, startEmbeddedPostgres } from './embedded';
import { dataDir, dbEnv } from './env';

export interface ResolvedDatabase {
  url: string;
  /** 'external' when DATABASE_URL is set; 'embedded' otherwise. */
  source: 'external' | 'embedded';
  embedded?: EmbeddedPostgres;
  /** Stops the embedded server if this process started it. */
  stop(): Promise<void>;
}

/**
 * The database Baton uses: `DATABASE_URL` when set (nothing is started),
 * otherwise the embedded PostgreSQL under `BATON_DATA_DIR` (started, or
 * attached to when another Baton process already runs it).
 */
export async function resolveDatabase(
  options: { log?: (line: string) => void; url?: string } = {},
): Promise<ResolvedDatabase> {
  const url = options.url ?? dbEnv.DATABASE_URL;
  if (url) return { url, source: 'external', stop: async () => undefined };
  const embedded = await startEmbeddedPostgres({
    dataDir: dataDir(),
    port: dbEnv.BATON_EMBEDDED_PG_PORT,
    log: options.log,
  });
  return { url: embedded.url, source: 'embedded', embedded, stop: () => embedded.stop() };
}

/** The URL with its password masked, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid database url>';
  }
}
