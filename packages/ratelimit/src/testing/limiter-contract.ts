import { describe, expect, it } from 'vitest';
import type { Clock } from '../clock.js';
import type { LimiterError } from '../errors.js';
import { createLimiter, type Limiter, type LimiterOptions, type Reservation } from '../limiter.js';
import type { RateLimitStore } from '../store.js';

export interface LimiterHarness {
  store: RateLimitStore;
  /** The limiter's clock (its timers must fire when `advance` is called). */
  clock: Clock;
  /** Moves both the store's and the limiter's time forward. */
  advance(ms: number): Promise<void>;
  /** Lets pending work settle without moving time. */
  flush(): Promise<void>;
  slackMs: number;
  close?(): Promise<void>;
}

type Settled<T> = { done: boolean; value?: T; error?: unknown };
function track<T>(p: Promise<T>): Settled<T> {
  const s: Settled<T> = { done: false };
  p.then(
    (value) => {
      s.done = true;
      s.value = value;
    },
    (error: unknown) => {
      s.done = true;
      s.error = error;
    },
  );
  return s;
}

const codeOf = (e: unknown) => (e as LimiterError | undefined)?.code;

/** Limiter behaviour over a store: run once per store implementation. */
export function describeLimiterContract(name: string, make: () => Promise<LimiterHarness>): void {
  const withLimiter =
    (
      opts: Omit<LimiterOptions, 'store' | 'clock'>,
      fn: (l: Limiter, h: LimiterHarness) => Promise<void>,
    ) =>
    async () => {
      const h = await make();
      const limiter = createLimiter({ ...opts, store: h.store, clock: h.clock });
      try {
        await fn(limiter, h);
      } finally {
        limiter.close();
        await h.flush();
        await h.close?.();
      }
    };

  describe(`limiter on ${name}`, () => {
    it(
      'reserves input and max_tokens, then settles the actual usage (cache reads exempt, writes counted)',
      withLimiter(
        {
          limits: {
            requestsPerMinute: 60,
            inputTokensPerMinute: 100_000,
            outputTokensPerMinute: 10_000,
          },
        },
        async (l, h) => {
          const r = await l.acquire('k:sonnet', { inputTokens: 5_000, maxTokens: 4_000 });
          expect(r.charged).toMatchObject({ requests: 1, inputTokens: 5_000, outputTokens: 4_000 });
          let s = await l.state('k:sonnet');
          expect(s.dimensions.outputTokens?.remaining).toBeLessThanOrEqual(
            6_000 + (10_000 * h.slackMs) / 60_000,
          );
          expect(s.inFlight).toBe(1);
          const settled = await l.settle(r, {
            inputTokens: 1_000,
            cacheCreationInputTokens: 500,
            cacheReadInputTokens: 3_000,
            outputTokens: 250,
          });
          expect(settled.difference).toMatchObject({ inputTokens: -3_500, outputTokens: -3_750 });
          s = await l.state('k:sonnet');
          expect(s.inFlight).toBe(0);
          expect(s.dimensions.inputTokens?.remaining).toBeGreaterThanOrEqual(98_500 - 1e-6);
          expect(s.dimensions.inputTokens?.remaining).toBeLessThanOrEqual(
            98_500 + (100_000 * h.slackMs) / 60_000,
          );
          expect(s.dimensions.outputTokens?.remaining).toBeGreaterThanOrEqual(9_750 - 1e-6);
          expect(r.done).toBe(true);
        },
      ),
    );

    it(
      'waits for the refill, and never overdraws a bucket',
      withLimiter({ limits: { requestsPerMinute: 6 } }, async (l, h) => {
        for (let i = 0; i < 6; i++) await l.acquire('s', { inputTokens: 0 });
        const next = track(l.acquire('s', { inputTokens: 0 }));
        await h.flush();
        expect(next.done).toBe(false);
        await h.advance(9_000);
        expect(next.done).toBe(false);
        await h.advance(1_100);
        expect(next.done).toBe(true);
        expect((next.value as Reservation).waitedMs).toBeGreaterThanOrEqual(9_000);
        const s = await l.state('s');
        expect(s.dimensions.requests?.remaining).toBeGreaterThanOrEqual(-1e-6);
      }),
    );

    it(
      'reserves all dimensions at once: a request waits for the binding one',
      withLimiter(
        {
          limits: {
            requestsPerMinute: 1_000,
            inputTokensPerMinute: 60_000,
            outputTokensPerMinute: 6_000,
          },
        },
        async (l, h) => {
          await l.acquire('s', { inputTokens: 1_000, maxTokens: 6_000 });
          const next = track(l.acquire('s', { inputTokens: 1_000, maxTokens: 3_000 }));
          await h.advance(25_000);
          expect(next.done).toBe(false);
          const s = await l.state('s');
          // Nothing of the waiting request was taken from the other buckets.
          expect(s.dimensions.inputTokens?.remaining).toBeGreaterThanOrEqual(59_000 - 1e-6);
          expect(s.queued).toBe(1);
          expect(s.queuedAmounts.outputTokens).toBe(3_000);
          await h.advance(5_100);
          expect(next.done).toBe(true);
        },
      ),
    );

    it(
      'fails at once when a request can never fit',
      withLimiter({ limits: { inputTokensPerMinute: 10_000 } }, async (l) => {
        const e = await l.acquire('s', { inputTokens: 20_000 }).catch((x: unknown) => x);
        expect(codeOf(e)).toBe('oversize');
        expect((e as Error).message).toMatch(/20000 inputTokens.*10000/);
      }),
    );

    it(
      'caps the output reservation at the bucket, as the server does with max_tokens',
      withLimiter({ limits: { outputTokensPerMinute: 2_000 } }, async (l) => {
        const r = await l.acquire('s', { inputTokens: 10, maxTokens: 8_000 });
        expect(r.charged.outputTokens).toBe(2_000);
      }),
    );

    it(
      're-syncs from headers: lower server levels and learned limits win, higher levels do not',
      withLimiter(
        {
          limits: {
            requestsPerMinute: 100,
            inputTokensPerMinute: 100_000,
            outputTokensPerMinute: 10_000,
          },
        },
        async (l, h) => {
          const a = await l.acquire('s', { inputTokens: 1_000, maxTokens: 1_000 });
          const b = await l.acquire('s', { inputTokens: 2_000, maxTokens: 500 });
          // Another client used most of the input budget: the server says 40,000 remain after `a`.
          const reset = new Date(Date.now() + 30_000).toISOString();
          await l.calibrate(a, {
            'anthropic-ratelimit-requests-limit': '100',
            'anthropic-ratelimit-requests-remaining': '99',
            'anthropic-ratelimit-requests-reset': reset,
            'anthropic-ratelimit-input-tokens-limit': '100000',
            'anthropic-ratelimit-input-tokens-remaining': '40000',
            'anthropic-ratelimit-input-tokens-reset': reset,
            'anthropic-ratelimit-output-tokens-limit': '12000',
            'anthropic-ratelimit-output-tokens-remaining': '11000',
            'anthropic-ratelimit-output-tokens-reset': reset,
          });
          const s = await l.state('s');
          // `b` was reserved after `a`, so the server had not seen it: 40,000 − 2,000.
          expect(s.dimensions.inputTokens?.remaining).toBeGreaterThanOrEqual(40_000 - 1e-6);
          expect(s.dimensions.inputTokens?.remaining).toBeLessThanOrEqual(
            40_000 + (100_000 * h.slackMs) / 60_000,
          );
          expect(s.dimensions.requests?.remaining).toBeLessThanOrEqual(
            98 + (100 * h.slackMs) / 60_000,
          );
          // The learned output limit (12,000) replaced the configured one, keeping what was used.
          expect(s.dimensions.outputTokens?.capacity).toBe(12_000);
          expect(s.dimensions.outputTokens?.remaining).toBeGreaterThanOrEqual(10_500 - 1e-6);
          // A server that reports more room than we have does not raise our level.
          await l.calibrate(b, { 'anthropic-ratelimit-input-tokens-remaining': '99000' });
          const s2 = await l.state('s');
          expect(s2.dimensions.inputTokens?.remaining).toBeLessThanOrEqual(
            40_000 + (100_000 * h.slackMs) / 60_000,
          );
        },
      ),
    );

    it(
      'pauses the whole scope on a 429 with retry-after, for every waiter, and backs off on repeats',
      withLimiter(
        { limits: { requestsPerMinute: 600 }, backoff: { random: () => 0.5 } },
        async (l, h) => {
          const r = await l.acquire('s', { inputTokens: 0 });
          const outcome = await l.rateLimited(r, {
            headers: { 'retry-after': '5' },
            message: 'rate limited',
          });
          expect(outcome).toMatchObject({ final: false, retryAfterMs: 5_000, pauseMs: 5_000 });
          const waiters = Array.from({ length: 5 }, () =>
            track(l.acquire('s', { inputTokens: 0 })),
          );
          await h.advance(4_500);
          expect(waiters.filter((w) => w.done)).toHaveLength(0);
          await h.advance(700);
          expect(waiters.filter((w) => w.done)).toHaveLength(5);
          // Consecutive 429s without a useful retry-after: exponential backoff 1 s, 2 s, 4 s (jitter 0 here).
          await l.rateLimited('s', { headers: { 'retry-after': '0' } });
          const second = await l.rateLimited('s', {});
          expect(second).toMatchObject({ final: false, pauseMs: 4_000 });
          expect((await l.state('s')).consecutiveRateLimits).toBe(3);
          for (const w of waiters)
            await l.settle(w.value as Reservation, { inputTokens: 0, outputTokens: 0 });
          expect((await l.state('s')).consecutiveRateLimits).toBe(0);
        },
      ),
    );

    it(
      'treats a 429 that says the spend limit is reached as final',
      withLimiter({ limits: { requestsPerMinute: 1 } }, async (l, h) => {
        const r = await l.acquire('s', { inputTokens: 0 });
        const waiting = track(l.acquire('s', { inputTokens: 0 }));
        await h.flush();
        const outcome = await l.rateLimited(r, {
          message:
            'You have reached your specified API usage limits. You will regain access on 2026-12-01.',
        });
        expect(outcome.final).toBe(true);
        await h.flush();
        expect(codeOf(waiting.error)).toBe('spend_limit');
        const later = await l.acquire('s', { inputTokens: 0 }).catch((e: unknown) => e);
        expect(codeOf(later)).toBe('spend_limit');
        expect((await l.state('s')).spendLimited).toBe(true);
        l.clearSpendLimit('s');
        expect((await l.state('s')).spendLimited).toBe(false);
      }),
    );

    it(
      'serves a small team within its fair share next to a team flooding the queue',
      withLimiter({ limits: { requestsPerMinute: 60 } }, async (l, h) => {
        for (let i = 0; i < 60; i++) await l.acquire('s', { inputTokens: 0 });
        const order: string[] = [];
        const all: Array<Promise<unknown>> = [];
        for (let i = 0; i < 1_000; i++) {
          all.push(
            l.acquire('s', { inputTokens: 0, team: 'big' }).then(
              () => order.push('big'),
              () => undefined,
            ),
          );
        }
        await h.advance(5_000);
        for (let i = 0; i < 10; i++) {
          all.push(
            l.acquire('s', { inputTokens: 0, team: 'small' }).then(
              () => order.push('small'),
              () => undefined,
            ),
          );
        }
        for (let i = 0; i < 25 && order.filter((t) => t === 'small').length < 10; i++)
          await h.advance(1_000);
        const firstSmall = order.indexOf('small');
        const lastSmall = order.lastIndexOf('small');
        expect(order.filter((t) => t === 'small')).toHaveLength(10);
        // Interleaved one-for-one once the small team arrived: its 10 requests take ≤ 20 grants.
        expect(lastSmall - firstSmall).toBeLessThanOrEqual(20);
        expect(firstSmall).toBeLessThanOrEqual(8);
        const s = await l.state('s');
        expect(s.queuedByTeam.big).toBeGreaterThan(900);
        l.close();
        await Promise.all(all);
      }),
    );

    it(
      'serves higher priority classes first',
      withLimiter({ limits: { requestsPerMinute: 60 } }, async (l, h) => {
        for (let i = 0; i < 60; i++) await l.acquire('s', { inputTokens: 0 });
        const order: string[] = [];
        const p1 = l
          .acquire('s', { inputTokens: 0, priority: 'batch' })
          .then(() => order.push('batch'));
        const p2 = l.acquire('s', { inputTokens: 0 }).then(() => order.push('normal'));
        const p3 = l
          .acquire('s', { inputTokens: 0, priority: 'interactive' })
          .then(() => order.push('interactive'));
        await h.advance(3_500);
        await Promise.all([p1, p2, p3]);
        expect(order).toEqual(['interactive', 'normal', 'batch']);
      }),
    );

    it(
      'aborts a wait through its AbortSignal without taking capacity',
      withLimiter({ limits: { requestsPerMinute: 60 } }, async (l, h) => {
        for (let i = 0; i < 60; i++) await l.acquire('s', { inputTokens: 0 });
        const ac = new AbortController();
        const aborted = track(l.acquire('s', { inputTokens: 0, signal: ac.signal }));
        const next = track(l.acquire('s', { inputTokens: 0 }));
        await h.advance(500);
        ac.abort(new Error('user cancelled'));
        await h.flush();
        expect(codeOf(aborted.error)).toBe('aborted');
        expect((await l.state('s')).queued).toBe(1);
        await h.advance(600);
        expect(next.done).toBe(true);
        const pre = new AbortController();
        pre.abort();
        expect(
          codeOf(
            await l.acquire('s', { inputTokens: 0, signal: pre.signal }).catch((e: unknown) => e),
          ),
        ).toBe('aborted');
      }),
    );

    it(
      'enforces deadlines: at once when the wait is known to be too long, or when the time runs out',
      withLimiter({ limits: { requestsPerMinute: 6 } }, async (l, h) => {
        for (let i = 0; i < 6; i++) await l.acquire('s', { inputTokens: 0 });
        const head = track(l.acquire('s', { inputTokens: 0, timeoutMs: 2_000 }));
        await h.flush();
        expect(codeOf(head.error)).toBe('deadline');
        const first = track(l.acquire('s', { inputTokens: 0 }));
        const second = track(l.acquire('s', { inputTokens: 0, deadline: h.clock.now() + 15_000 }));
        await h.advance(12_000);
        expect(first.done).toBe(true);
        expect(codeOf(second.error)).toBe('deadline');
        expect((await l.state('s')).queued).toBe(0);
      }),
    );

    it(
      'shares the limit between limiters on the same store',
      withLimiter({ limits: { requestsPerMinute: 10 } }, async (l, h) => {
        const other = createLimiter({
          store: h.store,
          clock: h.clock,
          limits: { requestsPerMinute: 10 },
        });
        const got = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? l : other).tryAcquire('shared', { inputTokens: 0 }),
          ),
        );
        const more = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 ? l : other).tryAcquire('shared', { inputTokens: 0 }),
          ),
        );
        const granted = [...got, ...more].filter((r) => r.ok).length;
        expect(granted).toBeGreaterThanOrEqual(10);
        expect(granted).toBeLessThanOrEqual(10 + Math.floor((10 * h.slackMs) / 60_000));
        const refused = more.find((r) => !r.ok);
        expect(refused?.ok === false && refused.limitedBy).toBe('requests');
        other.close();
      }),
    );
  });
}
