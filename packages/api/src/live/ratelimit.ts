/**
 * Reading @baton/ratelimit's PostgreSQL buckets (`baton_ratelimit_buckets`:
 * scope, capacity[4], level[4], updated_at, paused_until; per-minute refill)
 * into "remaining and reset per dimension", the way the store itself refills.
 */
export const LIMIT_DIMENSIONS = ['requests', 'inputTokens', 'outputTokens', 'tokens'] as const;
export type LimitDimension = (typeof LIMIT_DIMENSIONS)[number];

export interface BucketRow {
  scope: string;
  capacity: (number | null)[];
  level: (number | null)[];
  updated_at: Date;
  paused_until: Date | null;
}

export interface DimensionState {
  dimension: LimitDimension;
  /** Per minute. */
  limit: number;
  remaining: number;
  /** When the bucket is full again. */
  resetAt: Date;
}

export interface ScopeState {
  scope: string;
  dimensions: DimensionState[];
  pausedUntil: Date | null;
  updatedAt: Date;
}

/** One bucket row as of `now`: levels refilled at capacity per minute, capped at capacity. */
export function scopeState(row: BucketRow, now: Date): ScopeState {
  const elapsedMs = Math.max(0, now.getTime() - row.updated_at.getTime());
  const dimensions: DimensionState[] = [];
  LIMIT_DIMENSIONS.forEach((dimension, i) => {
    const cap = row.capacity[i];
    const level = row.level[i];
    if (cap === null || cap === undefined || !(cap > 0)) return;
    const current = Math.max(
      level ?? cap,
      Math.min(cap, (level ?? cap) + (elapsedMs * cap) / 60_000),
    );
    const msToFull = ((cap - current) / cap) * 60_000;
    dimensions.push({
      dimension,
      limit: cap,
      remaining: Math.max(0, Math.floor(current)),
      resetAt: new Date(now.getTime() + Math.ceil(msToFull)),
    });
  });
  const paused = row.paused_until && row.paused_until > now ? row.paused_until : null;
  return { scope: row.scope, dimensions, pausedUntil: paused, updatedAt: row.updated_at };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Shared scopes (per provider / model class) are visible to every team; a scope naming another team is not. */
export function scopeVisibleTo(scope: string, teamId: string): boolean {
  const ids = scope.match(UUID) ?? [];
  return ids.every((id) => id.toLowerCase() === teamId.toLowerCase());
}
