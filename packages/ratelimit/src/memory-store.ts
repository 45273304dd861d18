import { type Bucket, fullBucket, refill, resize, waitFor } from './bucket.js';
import { type Clock, systemClock } from './clock.js';
import { type Amounts, DIMENSIONS, type Dimension } from './limits.js';
import type {
  ImmediateStore,
  RateLimitStore,
  ReserveRequest,
  ReserveResult,
  ScopeSnapshot,
  SyncRequest,
} from './store.js';

interface ScopeState {
  buckets: Partial<Record<Dimension, Bucket>>;
  pausedUntil: number;
}

export interface MemoryStoreOptions {
  /** The store's clock (share it with the limiter in tests). */
  clock?: Clock;
}

/** Buckets in this process's memory: for one process. Operations are synchronous, hence atomic. */
export function memoryStore(options: MemoryStoreOptions = {}): RateLimitStore {
  const clock = options.clock ?? systemClock;
  const scopes = new Map<string, ScopeState>();

  const state = (scope: string): ScopeState => {
    let s = scopes.get(scope);
    if (!s) {
      s = { buckets: {}, pausedUntil: 0 };
      scopes.set(scope, s);
    }
    return s;
  };

  const refillAll = (s: ScopeState, now: number) => {
    for (const d of DIMENSIONS) {
      const b = s.buckets[d];
      if (!b || now <= b.updatedAt) continue;
      // In place: the buckets are this store's own (snapshots copy them).
      const r = refill(b, now);
      b.level = r.level;
      b.updatedAt = r.updatedAt;
    }
  };

  const view = (s: ScopeState, now: number): ScopeSnapshot => {
    const buckets: ScopeSnapshot['buckets'] = {};
    for (const d of DIMENSIONS) {
      const b = s.buckets[d];
      if (b) buckets[d] = { capacity: b.capacity, level: b.level };
    }
    return { now, pausedUntil: s.pausedUntil > now ? s.pausedUntil : 0, buckets };
  };

  // Synchronous, hence atomic; the async methods of the store interface wrap them.
  const immediate: ImmediateStore = {
    reserve(scope: string, request: ReserveRequest): ReserveResult {
      const now = clock.now();
      const s = state(scope);
      for (const d of DIMENSIONS) {
        const cap = request.capacity[d];
        if (!s.buckets[d] && cap !== undefined) s.buckets[d] = fullBucket(cap, now);
      }
      refillAll(s, now);
      let waitMs = 0;
      let limitedBy: ReserveResult['limitedBy'];
      let oversize: Dimension | undefined;
      for (const d of DIMENSIONS) {
        const b = s.buckets[d];
        const amount = request.amounts[d] ?? 0;
        if (!b || amount <= 0) continue;
        const w = waitFor(b, amount);
        if (w === Number.POSITIVE_INFINITY && !oversize) oversize = d;
        if (w > waitMs) {
          waitMs = w;
          limitedBy = d;
        }
      }
      if (!oversize && s.pausedUntil > now && s.pausedUntil - now >= waitMs) {
        waitMs = s.pausedUntil - now;
        limitedBy = 'pause';
      }
      if (waitMs > 0 || oversize) {
        const r: ReserveResult = { ok: false, waitMs, snapshot: view(s, now) };
        if (limitedBy) r.limitedBy = limitedBy;
        if (oversize) r.oversize = oversize;
        return r;
      }
      for (const d of DIMENSIONS) {
        const b = s.buckets[d];
        const amount = request.amounts[d] ?? 0;
        if (b && amount > 0) b.level -= amount;
      }
      return { ok: true, waitMs: 0, snapshot: view(s, now) };
    },

    adjust(scope: string, deltas: Amounts): ScopeSnapshot {
      const now = clock.now();
      const s = state(scope);
      refillAll(s, now);
      for (const d of DIMENSIONS) {
        const b = s.buckets[d];
        const delta = deltas[d];
        if (!b || !delta) continue;
        b.level = delta > 0 ? b.level - delta : Math.min(b.capacity, b.level - delta);
      }
      return view(s, now);
    },

    sync(scope: string, request: SyncRequest): ScopeSnapshot {
      const now = clock.now();
      const s = state(scope);
      refillAll(s, now);
      for (const d of DIMENSIONS) {
        const cap = request.capacity?.[d];
        const target = request.target?.[d];
        let b = s.buckets[d];
        if (cap !== undefined && cap > 0) b = b ? resize(b, cap) : fullBucket(cap, now);
        if (b && target !== undefined) b = { ...b, level: Math.min(b.level, target) };
        if (b) s.buckets[d] = b;
      }
      return view(s, now);
    },
  };

  return {
    immediate,
    async reserve(scope: string, request: ReserveRequest): Promise<ReserveResult> {
      return immediate.reserve(scope, request);
    },

    async adjust(scope: string, deltas: Amounts): Promise<ScopeSnapshot> {
      return immediate.adjust(scope, deltas);
    },

    async sync(scope: string, request: SyncRequest): Promise<ScopeSnapshot> {
      return immediate.sync(scope, request);
    },

    async pause(scope: string, ms: number): Promise<ScopeSnapshot> {
      const now = clock.now();
      const s = state(scope);
      refillAll(s, now);
      s.pausedUntil = Math.max(s.pausedUntil, now + Math.max(0, ms));
      return view(s, now);
    },

    async snapshot(scope: string): Promise<ScopeSnapshot | undefined> {
      const s = scopes.get(scope);
      if (!s) return undefined;
      const now = clock.now();
      refillAll(s, now);
      return view(s, now);
    },
  };
}
