import { createHash, type Hash } from 'node:crypto';
import type { PromptAnalysis } from './tokens.js';

export interface CacheUsage {
  /** Tokens read from the cache (`cache_read_input_tokens`). */
  read: number;
  /** Tokens written with the 5-minute TTL. */
  write5m: number;
  /** Tokens written with the 1-hour TTL. */
  write1h: number;
}

export const NO_CACHE: CacheUsage = Object.freeze({ read: 0, write5m: 0, write1h: 0 });

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
/** The real API checks for hits at up to 20 block boundaries before each breakpoint. */
const LOOKBACK_BLOCKS = 20;

function stripCacheControl(key: string, value: unknown): unknown {
  return key === 'cache_control' ? undefined : value;
}

export interface CachePlan {
  usage: CacheUsage;
  hitKey: string | undefined;
  writes: { key: string; ttlMs: number }[];
}

interface Entry {
  expiresAt: number;
  ttlMs: number;
}

/**
 * Simulated prompt caching. Each `cache_control` breakpoint names a prefix (tools → system →
 * messages, up to and including the marked block). A request reads the longest prefix found in
 * the cache at a breakpoint or up to 20 blocks before one, and writes every breakpoint after that
 * which is at least the model's minimum cacheable length. Reads refresh the entry's TTL.
 * Entries are scoped by API key (the "organization") and model.
 */
export class PromptCache {
  private readonly entries = new Map<string, Entry>();
  private ops = 0;

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  /**
   * Works out what a request reads and writes, without changing the cache; `commit` applies it
   * (so a request refused by the rate limiter leaves the cache untouched).
   */
  plan(scope: string, prompt: PromptAnalysis, minCacheable: number, now: number): CachePlan {
    const { points, blocks } = prompt;
    const bps: number[] = [];
    for (let i = 0; i < points.length; i++) if (points[i]?.breakpoint) bps.push(i);
    if (bps.length === 0) return { usage: NO_CACHE, hitKey: undefined, writes: [] };
    if (++this.ops % 1024 === 0) this.purge(now);

    const wanted = new Set<number>();
    for (const b of bps)
      for (let j = Math.max(0, b - LOOKBACK_BLOCKS + 1); j <= b; j++) wanted.add(j);
    const lastBp = bps[bps.length - 1] as number;
    const hashes = new Map<number, string>();
    const running: Hash = createHash('sha1');
    running.update(scope);
    for (let i = 0; i <= lastBp; i++) {
      running.update(JSON.stringify(blocks[i], stripCacheControl) ?? '');
      running.update('\u0000');
      if (wanted.has(i)) hashes.set(i, running.copy().digest('base64url'));
    }

    let hit = -1;
    let hitKey: string | undefined;
    for (let i = lastBp; i >= 0; i--) {
      const h = hashes.get(i);
      if (h === undefined) continue;
      const e = this.entries.get(h);
      if (e && e.expiresAt > now) {
        hit = i;
        hitKey = h;
        break;
      }
    }
    const read = hit >= 0 ? (points[hit]?.tokens ?? 0) : 0;
    let prev = read;
    let write5m = 0;
    let write1h = 0;
    const writes: CachePlan['writes'] = [];
    for (const b of bps) {
      if (b <= hit) continue;
      const p = points[b];
      if (!p?.breakpoint || p.tokens < minCacheable) continue;
      const seg = p.tokens - prev;
      if (p.breakpoint.ttl === '1h') write1h += seg;
      else write5m += seg;
      prev = p.tokens;
      writes.push({ key: hashes.get(b) as string, ttlMs: TTL_MS[p.breakpoint.ttl] });
    }
    return { usage: { read, write5m, write1h }, hitKey, writes };
  }

  commit(plan: CachePlan, now: number): void {
    if (plan.hitKey !== undefined) {
      const e = this.entries.get(plan.hitKey);
      if (e) e.expiresAt = now + e.ttlMs;
    }
    for (const w of plan.writes)
      this.entries.set(w.key, { expiresAt: now + w.ttlMs, ttlMs: w.ttlMs });
  }

  /** plan + commit in one step. */
  apply(scope: string, prompt: PromptAnalysis, minCacheable: number, now: number): CacheUsage {
    const p = this.plan(scope, prompt, minCacheable, now);
    this.commit(p, now);
    return p.usage;
  }

  private purge(now: number): void {
    for (const [k, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(k);
  }
}
