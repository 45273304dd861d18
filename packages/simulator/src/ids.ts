import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;

function randomChars(n: number): string {
  if (poolOffset + n > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let out = '';
  for (let i = 0; i < n; i++) {
    // 62 * 4 = 248 < 256: the modulo bias is negligible for identifiers.
    out += ALPHABET[(pool[poolOffset + i] as number) % 62];
  }
  poolOffset += n;
  return out;
}

/** `req_011C…` — the shape of Anthropic's `request-id` header (24 chars after the prefix). */
export function requestId(): string {
  return `req_011C${randomChars(20)}`;
}

/** `msg_01…` message ids. */
export function messageId(): string {
  return `msg_01${randomChars(22)}`;
}

/** `toolu_01…` tool-use ids. */
export function toolUseId(): string {
  return `toolu_01${randomChars(22)}`;
}
