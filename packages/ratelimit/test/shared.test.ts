import { createTestDatabase } from '@baton/db/testing';
import { startSimulator } from '@baton/simulator';
import { expect, inject, it } from 'vitest';
import { runShared } from '../bench/shared.js';

it('three OS processes share one limit through the PostgreSQL store: no 429, combined rate within the limit', async () => {
  const limits = { rpm: 1_000, itpm: 72_000, otpm: 200_000 };
  const sim = await startSimulator({
    port: 0,
    limits,
    response: {
      ttftMs: 20,
      tokensPerSecond: 2_000,
      outputTokens: { type: 'fixed', tokens: 60 },
      seed: 1,
    },
  });
  const db = await createTestDatabase(inject('pgAdminUrl'), {
    migrate: false,
    prefix: 'ratelimit_shared',
  });
  try {
    const results = await runShared({
      simUrl: sim.url,
      dbUrl: db.url,
      table: 'baton_ratelimit_shared',
      apiKey: 'sk-shared',
      count: 45,
      seed: 3,
      processes: 3,
      concurrency: 12,
      limits: {
        requestsPerMinute: limits.rpm,
        inputTokensPerMinute: limits.itpm,
        outputTokensPerMinute: limits.otpm,
      },
    });
    expect(results.map((r) => r.failed)).toEqual([0, 0, 0]);
    expect(results.reduce((a, r) => a + r.completed, 0)).toBe(45);
    const t = sim.stats().totals;
    // At most a stray 429 at the very first depletion of the bucket (the server's bucket starts at
    // its first admission, a few ms after ours); none after that warm-up — it would be retried.
    expect(t.rateLimited).toBeLessThanOrEqual(1);
    // The work exceeded one bucket, so the processes had to share the refill.
    const input = t.inputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens;
    expect(input).toBeGreaterThan(limits.itpm);
    // A token bucket admits at most capacity + rate × time.
    const seconds = Math.max(...results.map((r) => r.seconds));
    expect(input).toBeLessThanOrEqual(limits.itpm + (limits.itpm / 60) * (seconds + 1));
  } finally {
    await sim.close();
    await db.drop();
  }
}, 60_000);
