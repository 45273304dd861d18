import { WINDOW_MS } from './limits.js';

/**
 * One continuously refilling token bucket: `capacity` is the per-minute limit and the bucket
 * refills at `capacity / 60 s`. `level` may go below zero (debt) when a settlement charges more
 * than was reserved; the debt is repaid by the refill.
 */
export interface Bucket {
  capacity: number;
  level: number;
  /** When `level` was last brought up to date (ms). */
  updatedAt: number;
}

export function fullBucket(capacity: number, now: number): Bucket {
  return { capacity, level: capacity, updatedAt: now };
}

/** Tokens per millisecond. */
export function rateOf(capacity: number): number {
  return capacity / WINDOW_MS;
}

/** The bucket brought up to `now` (time never runs backwards). */
export function refill(b: Bucket, now: number): Bucket {
  if (now <= b.updatedAt) return b;
  const level = Math.min(b.capacity, b.level + (now - b.updatedAt) * rateOf(b.capacity));
  return { capacity: b.capacity, level: Math.max(level, b.level), updatedAt: now };
}

/**
 * Milliseconds until `amount` is available in an up-to-date bucket: 0 when it is now, Infinity
 * when it never will be (more than the capacity).
 */
export function waitFor(b: Bucket, amount: number): number {
  if (amount <= 0 || b.level >= amount) return 0;
  if (amount > b.capacity) return Number.POSITIVE_INFINITY;
  return (amount - b.level) / rateOf(b.capacity);
}

/** Milliseconds until the bucket is full again. */
export function msUntilFull(b: Bucket): number {
  return b.level >= b.capacity ? 0 : (b.capacity - b.level) / rateOf(b.capacity);
}

/** A new capacity, keeping what is used (as a provider does when a limit changes). */
export function resize(b: Bucket, capacity: number): Bucket {
  if (capacity === b.capacity) return b;
  const used = b.capacity - b.level;
  return { capacity, level: capacity - used, updatedAt: b.updatedAt };
}
