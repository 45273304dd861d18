import type { Amounts, Dimension } from './limits.js';

/** One bucket as a store reports it (already refilled to the store's `now`). */
export interface BucketView {
  capacity: number;
  level: number;
}

/** The state of one scope at the store's clock. */
export interface ScopeSnapshot {
  /** The store's clock (ms) — the database's `clock_timestamp()` for PostgreSQL. */
  now: number;
  /** The scope is paused (after a 429) until this time; 0 when not paused. */
  pausedUntil: number;
  buckets: Partial<Record<Dimension, BucketView>>;
}

export interface ReserveRequest {
  /** What to take from each bucket. Dimensions without a bucket are not limited. */
  amounts: Amounts;
  /** Capacities for buckets the store does not hold yet (configured limits). */
  capacity: Amounts;
}

export interface ReserveResult {
  /** The amounts were debited. */
  ok: boolean;
  /** When not ok: how long until the reservation could fit (Infinity when it never can). */
  waitMs: number;
  /** What blocked it: a dimension, or `pause` when the scope is paused. */
  limitedBy?: Dimension | 'pause';
  /** Set when an amount exceeds its bucket's capacity. */
  oversize?: Dimension;
  snapshot: ScopeSnapshot;
}

/** Re-synchronisation from a server's view of one scope. */
export interface SyncRequest {
  /** Limits the server reported (bucket capacities); a changed capacity keeps the used part. */
  capacity?: Amounts;
  /** Upper bounds for levels: a level above its target is lowered to it (never raised). */
  target?: Amounts;
}

/**
 * Where the buckets live. Every method is atomic per scope: refill, check and debit happen as
 * one step, so any number of limiters (in any number of processes, for a shared store) can use
 * the same scope without lost updates. The store's own clock is authoritative.
 */
export interface RateLimitStore {
  /** Refill, and debit every amount if all fit and the scope is not paused; otherwise nothing. */
  reserve(scope: string, request: ReserveRequest): Promise<ReserveResult>;
  /** Charges (positive) or refunds (negative) amounts; a refund never fills beyond capacity. */
  adjust(scope: string, deltas: Amounts): Promise<ScopeSnapshot>;
  sync(scope: string, request: SyncRequest): Promise<ScopeSnapshot>;
  /** Pauses the scope for `ms` from the store's now (extending, never shortening, a pause). */
  pause(scope: string, ms: number): Promise<ScopeSnapshot>;
  /** The scope's state, or undefined when the store has never seen it. */
  snapshot(scope: string): Promise<ScopeSnapshot | undefined>;
  /**
   * Optional: the same operations done synchronously, for a store in this process's memory.
   * When present, the limiter grants a request that fits while nobody waits without queueing
   * or awaiting, and settles and re-syncs without a promise per step. Results are exactly
   * those of the asynchronous methods.
   */
  readonly immediate?: ImmediateStore;
}

/** The synchronous operations of a store that lives in this process (see `RateLimitStore.immediate`). */
export interface ImmediateStore {
  reserve(scope: string, request: ReserveRequest): ReserveResult;
  adjust(scope: string, deltas: Amounts): ScopeSnapshot;
  sync(scope: string, request: SyncRequest): ScopeSnapshot;
}
