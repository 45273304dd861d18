import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * BATON_SECRET encrypts stored credentials and signs sessions. When it is not
 * set, one is generated into the data directory on first run (mode 0600) and
 * reused after.
 */
export function resolveSecret(
  dataDir: string,
  fromEnv: string | undefined,
): { secret: string; source: 'env' | 'file' | 'generated' } {
  if (fromEnv) {
    if (fromEnv.length < 32) throw new Error('BATON_SECRET must be at least 32 characters long');
    return { secret: fromEnv, source: 'env' };
  }
  const file = path.join(dataDir, 'secret');
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return { secret, source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { secret, source: 'generated' };
}
