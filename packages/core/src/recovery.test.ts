import type { RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiBackendOptions, createApiBackend } from './api-backend.js';
import { createBreakerRegistry } from './breaker.js';
import type { ErrorCode } from './errors.js';
import { newSessionState } from './session.js';
import { fastStrategies, KEY, recorder, sim } from './testing/sim.js';
import { memoryUsageSink, sumUsage } from './usage.js';

let s: RunningSimulator;
beforeAll(async () => {
  s = await sim();
});
afterAll(() => s.close());
beforeEach(() => {
  s.configure({ faults: null, limits: {} });
  s.reset();
});

function backend(extra: ApiBackendOptions = {}) {
  const usage = memoryUsageSink();
  const b = createApiBackend({
    baseURL: s.url,
    apiKey: KEY,
    usageSink: usage,
    strategies: fastStrategies(),
    streamIdleTimeoutMs: 300,
    random: () => 0.5,
    ...extra,
  });
  return { b, usage };
}

/** One attempt with a fault forced by header: the classified error, nothing retried. */
async function classify(
  fault: string,
  model = 'claude-haiku-4-5',
): Promise<{ code: ErrorCode; status?: number | undefined; retryAfterMs?: number | undefined }> {
  const { b } = backend({
    headers: { 'x-sim-fault': fault },
    strategies: Object.fromEntries(
      (
        [
          'RateLimit',
          'NetworkTimeout',
          'ServiceUnavailable',
          'ModelOverloaded',
          'ContextTooLarge',
          'Unknown',
        ] as const
      ).map((c) => [c, { attempts: 1 }]),
    ),
  });
  const err = await b
    .run(newSessionState({ conversationId: 'x', model }), { prompt: 'hello' })
    .result.then(
      () => undefined,
      (e) => e,
    );
  expect(err, fault).toBeDefined();
  return { code: err.code, status: err.status, retryAfterMs: err.retryAfterMs };
}

describe('classification of every simulator fault', () => {
  it.each([
    ['overloaded', 'ModelOverloaded', 529],
    ['api-error', 'ServiceUnavailable', 500],
    ['gateway-timeout', 'NetworkTimeout', 504],
    ['gateway-timeout:body=html', 'NetworkTimeout', 504],
    ['reset-before', 'NetworkTimeout', undefined],
    ['reset-mid:after=1', 'NetworkTimeout', undefined],
    ['stream-error:after=1', 'ModelOverloaded', undefined],
    ['stall:after=1', 'NetworkTimeout', undefined],
    ['stall', 'NetworkTimeout', undefined],
  ] as const)('%s → %s', async (fault, code, status) => {
    const r = await classify(fault);
    expect(r.code).toBe(code);
    expect(r.status).toBe(status);
  });

  it('an invalid request and an unknown model are InvalidRequest; a huge prompt is ContextTooLarge', async () => {
    const { b } = backend();
    const big = newSessionState({
      conversationId: 'x',
      model: 'claude-haiku-4-5',
      maxTokens: 10_000_000,
    });
    await expect(b.run(big, { prompt: 'hi' }).result).rejects.toMatchObject({
      code: 'InvalidRequest',
      status: 400,
    });
    const unknown = newSessionState({ conversationId: 'x', model: 'claude-nonexistent-1' });
    await expect(b.run(unknown, { prompt: 'hi' }).result).rejects.toMatchObject({
      code: 'InvalidRequest',
      status: 404,
    });
    const huge = newSessionState({ conversationId: 'x', model: 'claude-haiku-4-5' });
    await expect(b.run(huge, { prompt: 'word '.repeat(900_000) }).result).rejects.toMatchObject({
      code: 'ContextTooLarge',
    });
  });

  it('a 429 is RateLimit with the retry-after, and is retried after waiting', async () => {
    s.configure({ limits: { rpm: 1 } });
    const { b, usage } = backend({
      strategies: fastStrategies({ RateLimit: { attempts: 2, maxDelayMs: 1_500 } }),
    });
    const ev = recorder();
    const state = newSessionState({ conversationId: 'rl', model: 'claude-haiku-4-5' });
    await b.run(state, { prompt: 'one' }).result;
    const t0 = Date.now();
    const r = await b.run(state, { prompt: 'two', onEvent: ev.on }).result.catch((e) => e);
    const retries = ev.of('retry');
    expect(retries[0]?.error.code).toBe('RateLimit');
    // The wait honours retry-after (capped by the strategy's max delay).
    expect(retries[0]?.delayMs).toBe(1_500);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_400);
    // rpm 1: still limited after 1.5 s → final RateLimit error, no usage recorded for the 429s.
    expect(r.code).toBe('RateLimit');
    expect(r.retryAfterMs).toBeGreaterThan(0);
    expect(usage.records).toHaveLength(1);
  });
});

describe('recovery', () => {
  it('retries a transient failure and succeeds, counting usage once', async () => {
    s.configure({ faults: 'api-error:next=2' });
    const { b, usage } = backend();
    const ev = recorder();
    const r = await b.run(newSessionState({ conversationId: 'r1', model: 'claude-haiku-4-5' }), {
      prompt: 'hi',
      onEvent: ev.on,
    }).result;
    expect(r.stopReason).toBe('end_turn');
    expect(ev.of('retry').map((e) => [e.attempt, e.error.code])).toEqual([
      [1, 'ServiceUnavailable'],
      [2, 'ServiceUnavailable'],
    ]);
    expect(usage.records).toHaveLength(1);
    expect(s.stats().totals.requests).toBe(3);
  });

  it('reconnects after a connection reset before the response; nothing is recorded for it', async () => {
    s.configure({ faults: 'reset-before:next=1' });
    const { b, usage } = backend();
    const r = await b.run(newSessionState({ conversationId: 'r2', model: 'claude-haiku-4-5' }), {
      prompt: 'hi',
    }).result;
    expect(r.stopReason).toBe('end_turn');
    expect(usage.records.map((u) => u.status)).toEqual(['ok']);
    expect(sumUsage(usage.records).outputTokens).toBe(s.stats().totals.outputTokens);
  });

  it('ends a stalled stream with the watchdog and retries', async () => {
    s.configure({ faults: 'stall:after=1:next=1' });
    const { b, usage } = backend();
    const ev = recorder();
    const r = await b.run(newSessionState({ conversationId: 'r3', model: 'claude-haiku-4-5' }), {
      prompt: 'hi',
      onEvent: ev.on,
    }).result;
    expect(r.stopReason).toBe('end_turn');
    expect(ev.of('retry')[0]?.error.code).toBe('NetworkTimeout');
    expect(usage.records.map((u) => [u.status, u.errorType])).toEqual([
      ['error', 'NetworkTimeout'],
      ['ok', null],
    ]);
  });

  it('fails fast on InvalidRequest (no retry)', async () => {
    const { b } = backend();
    const ev = recorder();
    const state = newSessionState({
      conversationId: 'r4',
      model: 'claude-haiku-4-5',
      maxTokens: 10_000_000,
    });
    await expect(b.run(state, { prompt: 'x', onEvent: ev.on }).result).rejects.toMatchObject({
      code: 'InvalidRequest',
    });
    expect(ev.of('retry')).toHaveLength(0);
    expect(s.stats().totals.requests).toBe(1);
  });

  it('serves an overloaded primary with the fallback model; usage shows who answered', async () => {
    s.configure({ faults: 'overloaded@opus' });
    const { b, usage } = backend();
    const ev = recorder();
    const state = newSessionState({
      conversationId: 'fb',
      model: 'claude-opus-4-6',
      fallbackModels: ['claude-sonnet-4-6', 'claude-haiku-4-5'],
    });
    const r = await b.run(state, { prompt: 'hi', onEvent: ev.on }).result;
    expect(r.model).toBe('claude-sonnet-4-6');
    expect(ev.of('fallback')).toEqual([
      {
        type: 'fallback',
        from: 'claude-opus-4-6',
        to: 'claude-sonnet-4-6',
        reason: 'ModelOverloaded',
      },
    ]);
    expect(usage.records).toHaveLength(1);
    expect(usage.records[0]).toMatchObject({
      model: 'claude-sonnet-4-6',
      requestedModel: 'claude-opus-4-6',
    });
    // Two attempts on opus (strategy), then sonnet.
    expect(s.stats().byKey[KEY]?.['claude-opus-4-6']?.requests).toBe(2);
  });
});

describe('circuit breaker', () => {
  it('opens after the threshold, rejects without calling, half-opens after the timeout, closes after successes', async () => {
    const breakers = createBreakerRegistry({
      failureThreshold: 3,
      successThreshold: 2,
      openTimeoutMs: 200,
    });
    const { b } = backend({
      breakers,
      strategies: fastStrategies({ ServiceUnavailable: { attempts: 1 } }),
    });
    const ev = recorder();
    const state = () => newSessionState({ conversationId: 'br', model: 'claude-haiku-4-5' });
    s.configure({ faults: 'api-error@haiku' });
    for (let i = 0; i < 3; i++) {
      await expect(b.run(state(), { prompt: 'x', onEvent: ev.on }).result).rejects.toMatchObject({
        code: 'ServiceUnavailable',
      });
    }
    expect(breakers.get('anthropic', 'claude-haiku-4-5').state).toBe('open');
    expect(ev.of('breaker').map((e) => e.state)).toEqual(['open']);
    const before = s.stats().totals.requests;
    const err = await b.run(state(), { prompt: 'x' }).result.catch((e) => e);
    expect(err.code).toBe('ServiceUnavailable');
    expect(err.message).toMatch(/circuit open/);
    expect(s.stats().totals.requests).toBe(before); // rejected without a call

    s.configure({ faults: null });
    await new Promise((r) => setTimeout(r, 250));
    await b.run(state(), { prompt: 'x', onEvent: ev.on }).result;
    expect(breakers.get('anthropic', 'claude-haiku-4-5').state).toBe('half-open');
    await b.run(state(), { prompt: 'x', onEvent: ev.on }).result;
    expect(breakers.get('anthropic', 'claude-haiku-4-5').state).toBe('closed');
    expect(ev.of('breaker').map((e) => e.state)).toEqual(['open', 'half-open', 'closed']);
  });

  it('an open breaker hands the call to the fallback model without calling the primary', async () => {
    const breakers = createBreakerRegistry({ failureThreshold: 1, openTimeoutMs: 60_000 });
    const { b, usage } = backend({
      breakers,
      strategies: fastStrategies({ ModelOverloaded: { attempts: 1 } }),
    });
    s.configure({ faults: 'overloaded@opus' });
    const mk = () =>
      newSessionState({
        conversationId: 'bf',
        model: 'claude-opus-4-6',
        fallbackModels: ['claude-haiku-4-5'],
      });
    await b.run(mk(), { prompt: 'x' }).result;
    expect(breakers.get('anthropic', 'claude-opus-4-6').state).toBe('open');
    const opusCalls = s.stats().byKey[KEY]?.['claude-opus-4-6']?.requests;
    const ev = recorder();
    const r = await b.run(mk(), { prompt: 'x', onEvent: ev.on }).result;
    expect(r.model).toBe('claude-haiku-4-5');
    expect(ev.of('fallback')[0]).toMatchObject({ reason: 'breaker-open' });
    expect(s.stats().byKey[KEY]?.['claude-opus-4-6']?.requests).toBe(opusCalls);
    expect(usage.records.every((u) => u.model === 'claude-haiku-4-5')).toBe(true);
  });
});
