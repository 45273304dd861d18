import { describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../store.js';

export interface StoreHarness {
  store: RateLimitStore;
  /** Moves the store's time forward by `ms` (a manual clock, or rewriting timestamps in the database). */
  advance(ms: number): Promise<void>;
  /**
   * Real milliseconds that may pass unnoticed during one test (0 for a manual clock). Upper-bound
   * assertions allow for the refill of this much time.
   */
  slackMs: number;
  close?(): Promise<void>;
}

/**
 * The behaviour every RateLimitStore must have. Run it once per implementation:
 * `describeStoreContract('memory', async () => ({ store, advance, slackMs: 0 }))`.
 */
export function describeStoreContract(name: string, make: () => Promise<StoreHarness>): void {
  const withStore = (fn: (h: StoreHarness) => Promise<void>) => async () => {
    const h = await make();
    try {
      await fn(h);
    } finally {
      await h.close?.();
    }
  };
  /** Refill of `ms` for a per-minute capacity. */
  const refillOf = (capacity: number, ms: number) => (capacity * ms) / 60_000;
  const near = (
    h: StoreHarness,
    actual: number | undefined,
    expected: number,
    capacity: number,
  ) => {
    expect(actual).toBeDefined();
    expect(actual as number).toBeGreaterThanOrEqual(expected - 1e-6);
    expect(actual as number).toBeLessThanOrEqual(
      Math.min(capacity, expected + refillOf(capacity, h.slackMs)) + 1e-6,
    );
  };

  describe(`RateLimitStore contract: ${name}`, () => {
    it(
      'creates full buckets on first use and debits every dimension at once',
      withStore(async (h) => {
        expect(await h.store.snapshot('s')).toBeUndefined();
        const r = await h.store.reserve('s', {
          amounts: { requests: 1, inputTokens: 1000, outputTokens: 200 },
          capacity: { requests: 60, inputTokens: 60_000, outputTokens: 6_000 },
        });
        expect(r.ok).toBe(true);
        expect(r.waitMs).toBe(0);
        near(h, r.snapshot.buckets.requests?.level, 59, 60);
        near(h, r.snapshot.buckets.inputTokens?.level, 59_000, 60_000);
        near(h, r.snapshot.buckets.outputTokens?.level, 5_800, 6_000);
        expect(r.snapshot.buckets.tokens).toBeUndefined();
        const snap = await h.store.snapshot('s');
        expect(snap?.buckets.inputTokens?.capacity).toBe(60_000);
      }),
    );

    it(
      'refills continuously at capacity per minute, never above capacity',
      withStore(async (h) => {
        const cap = { inputTokens: 60_000 };
        expect(
          (await h.store.reserve('s', { amounts: { inputTokens: 60_000 }, capacity: cap })).ok,
        ).toBe(true);
        near(h, (await h.store.snapshot('s'))?.buckets.inputTokens?.level, 0, 60_000);
        await h.advance(15_000);
        near(h, (await h.store.snapshot('s'))?.buckets.inputTokens?.level, 15_000, 60_000);
        await h.advance(15_000);
        near(h, (await h.store.snapshot('s'))?.buckets.inputTokens?.level, 30_000, 60_000);
        await h.advance(120_000);
        expect((await h.store.snapshot('s'))?.buckets.inputTokens?.level).toBe(60_000);
      }),
    );

    it(
      'is all-or-nothing across dimensions and says which one binds and for how long',
      withStore(async (h) => {
        const capacity = { requests: 600, inputTokens: 60_000, outputTokens: 6_000 };
        await h.store.reserve('s', { amounts: { outputTokens: 5_000 }, capacity });
        const r = await h.store.reserve('s', {
          amounts: { requests: 1, inputTokens: 10_000, outputTokens: 3_000 },
          capacity,
        });
        expect(r.ok).toBe(false);
        expect(r.limitedBy).toBe('outputTokens');
        // 2,000 more output tokens at 100/s → 20 s.
        expect(r.waitMs).toBeLessThanOrEqual(20_000 + 1e-6);
        expect(r.waitMs).toBeGreaterThanOrEqual(20_000 - h.slackMs);
        near(h, r.snapshot.buckets.requests?.level, 600, 600);
        near(h, r.snapshot.buckets.inputTokens?.level, 60_000, 60_000);
        await h.advance(20_001);
        const again = await h.store.reserve('s', {
          amounts: { requests: 1, inputTokens: 10_000, outputTokens: 3_000 },
          capacity,
        });
        expect(again.ok).toBe(true);
      }),
    );

    it(
      'reports a request larger than a bucket as oversize and takes nothing',
      withStore(async (h) => {
        const r = await h.store.reserve('s', {
          amounts: { requests: 1, inputTokens: 70_000 },
          capacity: { requests: 60, inputTokens: 60_000 },
        });
        expect(r.ok).toBe(false);
        expect(r.oversize).toBe('inputTokens');
        expect(r.waitMs).toBe(Number.POSITIVE_INFINITY);
        expect(r.snapshot.buckets.requests?.level).toBe(60);
      }),
    );

    it(
      'does not limit dimensions it has no bucket for',
      withStore(async (h) => {
        const r = await h.store.reserve('s', {
          amounts: { requests: 1, inputTokens: 1e9, tokens: 1e9 },
          capacity: { requests: 10 },
        });
        expect(r.ok).toBe(true);
      }),
    );

    it(
      'settles: refunds never exceed capacity, charges may go into debt that the refill repays',
      withStore(async (h) => {
        const capacity = { outputTokens: 6_000 };
        await h.store.reserve('s', { amounts: { outputTokens: 1_000 }, capacity });
        const refunded = await h.store.adjust('s', { outputTokens: -5_000 });
        expect(refunded.buckets.outputTokens?.level).toBe(6_000);
        await h.store.reserve('s', { amounts: { outputTokens: 6_000 }, capacity });
        const debt = await h.store.adjust('s', { outputTokens: 3_000 });
        near(h, debt.buckets.outputTokens?.level, -3_000, 6_000);
        const r = await h.store.reserve('s', { amounts: { outputTokens: 600 }, capacity });
        expect(r.ok).toBe(false);
        // 3,600 tokens at 100/s.
        expect(r.waitMs).toBeLessThanOrEqual(36_000 + 1e-6);
        expect(r.waitMs).toBeGreaterThanOrEqual(36_000 - h.slackMs);
      }),
    );

    it(
      'syncs from the server: new limits keep the used part, targets only lower levels',
      withStore(async (h) => {
        const capacity = { requests: 100, inputTokens: 10_000 };
        await h.store.reserve('s', { amounts: { requests: 10, inputTokens: 1_000 }, capacity });
        const s1 = await h.store.sync('s', {
          capacity: { requests: 200 },
          target: { inputTokens: 4_000 },
        });
        expect(s1.buckets.requests?.capacity).toBe(200);
        near(h, s1.buckets.requests?.level, 190, 200);
        near(h, s1.buckets.inputTokens?.level, 4_000, 10_000);
        const s2 = await h.store.sync('s', { target: { inputTokens: 9_000 } });
        near(h, s2.buckets.inputTokens?.level, 4_000, 10_000);
        // A limit learned for a dimension that had no bucket creates it.
        const s3 = await h.store.sync('s', {
          capacity: { outputTokens: 8_000 },
          target: { outputTokens: 500 },
        });
        expect(s3.buckets.outputTokens?.capacity).toBe(8_000);
        near(h, s3.buckets.outputTokens?.level, 500, 8_000);
      }),
    );

    it(
      'pauses the whole scope, never shortening a pause',
      withStore(async (h) => {
        const capacity = { requests: 100 };
        await h.store.reserve('s', { amounts: { requests: 1 }, capacity });
        const p = await h.store.pause('s', 10_000);
        expect(p.pausedUntil).toBeGreaterThan(p.now);
        await h.store.pause('s', 1_000);
        const r = await h.store.reserve('s', { amounts: { requests: 1 }, capacity });
        expect(r.ok).toBe(false);
        expect(r.limitedBy).toBe('pause');
        expect(r.waitMs).toBeLessThanOrEqual(10_000);
        expect(r.waitMs).toBeGreaterThanOrEqual(10_000 - h.slackMs);
        await h.advance(10_001);
        expect((await h.store.reserve('s', { amounts: { requests: 1 }, capacity })).ok).toBe(true);
      }),
    );

    it(
      'keeps scopes apart',
      withStore(async (h) => {
        const capacity = { requests: 1 };
        expect((await h.store.reserve('a', { amounts: { requests: 1 }, capacity })).ok).toBe(true);
        expect((await h.store.reserve('a', { amounts: { requests: 1 }, capacity })).ok).toBe(false);
        expect((await h.store.reserve('b', { amounts: { requests: 1 }, capacity })).ok).toBe(true);
      }),
    );

    it(
      'loses no update under concurrent reservations',
      withStore(async (h) => {
        const capacity = { requests: 30, inputTokens: 1_000_000 };
        const results = await Promise.all(
          Array.from({ length: 80 }, () =>
            h.store.reserve('s', { amounts: { requests: 1, inputTokens: 100 }, capacity }),
          ),
        );
        const granted = results.filter((r) => r.ok).length;
        expect(granted).toBeGreaterThanOrEqual(30);
        expect(granted).toBeLessThanOrEqual(30 + Math.floor(refillOf(30, h.slackMs)));
        const snap = await h.store.snapshot('s');
        near(h, snap?.buckets.inputTokens?.level, 1_000_000 - granted * 100, 1_000_000);
      }),
    );
  });
}
