/**
 * Provider credentials at rest: AES-256-GCM under a key derived from
 * BATON_SECRET with HKDF-SHA256. Stored as `v1:<iv>:<tag>:<ciphertext>`
 * (base64url). The plaintext never leaves the server; the console shows a
 * fingerprint.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

const INFO = 'baton/provider-credentials/v1';

function keyFrom(secret: string): Buffer {
  if (secret.length < 32) throw new Error('BATON_SECRET must be at least 32 characters.');
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), INFO, 32));
}

export function encryptSecret(secret: string, plaintext: string, aad = ''): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', iv.toString('base64url'), tag.toString('base64url'), ct.toString('base64url')].join(
    ':',
  );
}

export function decryptSecret(secret: string, stored: string, aad = ''): string {
  const [version, iv, tag, ct] = stored.split(':');
  if (version !== 'v1' || !iv || !tag || ct === undefined)
    throw new Error('Unknown credential format.');
  const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString(
    'utf8',
  );
}

/** "sk-ant-…a1b2 · 3f9c0d": a recognisable prefix, the last 4 characters and 6 hex of a SHA-256. */
export function fingerprintOf(plaintext: string): string {
  const hash = createHash('sha256').update(plaintext).digest('hex').slice(0, 6);
  const prefix = plaintext.startsWith('sk-ant-') ? 'sk-ant-' : '';
  return `${prefix}…${plaintext.slice(-4)} · ${hash}`;
}
