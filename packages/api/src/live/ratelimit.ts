import { msUntilFull, type ScopeSnapshot } from '@baton/ratelimit';
import { postgresStore, type Queryable } from '@baton/ratelimit/postgres';

/**
 * The shared rate limits as @baton/ratelimit's PostgreSQL store reports them: each scope read
 * by the store itself (`scopes()`, refilled at the database clock), turned into "remaining and
 * reset per dimension" with the library's own bucket math — nothing restated here.
 */
export const LIMIT_DIMENSIONS = ['requests', 'inputTokens', 'outputTokens', 'tokens'] as const;
export type LimitDimension = (typeof LIMIT_DIMENSIONS)[number];

export type StoreScope = ScopeSnapshot & { scope: string; updatedAt: number };

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
  /** When the scope was last used. */
  updatedAt: Date;
}

/** One scope of the store as of its own clock. */
export function scopeState(s: StoreScope): ScopeState {
  const dimensions: DimensionState[] = [];
  for (const dimension of LIMIT_DIMENSIONS) {
    const b = s.buckets[dimension];
    if (!b || !(b.capacity > 0)) continue;
    dimensions.push({
      dimension,
      limit: b.capacity,
      remaining: Math.max(0, Math.floor(b.level)),
      resetAt: new Date(
        s.now + Math.ceil(msUntilFull({ capacity: b.capacity, level: b.level, updatedAt: s.now })),
      ),
    });
  }
  return {
    scope: s.scope,
    dimensions,
    pausedUntil: s.pausedUntil > s.now ? new Date(s.pausedUntil) : null,
    updatedAt: new Date(s.updatedAt),
  };
}

/**
 * The limiter's scopes as its store lists them (at most `limit`; none before the limiter made
 * its table). Read only: the console never creates the limiter's table.
 */
export async function liveScopes(pool: Queryable, limit = 200): Promise<ScopeState[]> {
  const scopes = await postgresStore(pool, { autoMigrate: false }).scopes(limit);
  return scopes.map(scopeState);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/** Shared scopes (per provider / model class) are visible to every team; a scope naming another team is not. */
export function scopeVisibleTo(scope: string, teamId: string): boolean {
  const ids = scope.match(UUID) ?? [];
  return ids.every((id) => id.toLowerCase() === teamId.toLowerCase());
}
