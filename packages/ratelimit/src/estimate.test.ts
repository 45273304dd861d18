import { analyzePrompt, parseMessagesRequest } from '@baton/simulator';
import { describe, expect, it } from 'vitest';
import {
  countTokensBody,
  countTokensCounter,
  localTokenCounter,
  outputEstimator,
} from './estimate.js';

describe('token counters', () => {
  const request = {
    model: 'claude-sonnet-5',
    max_tokens: 100,
    system: 'You are terse.',
    messages: [
      {
        role: 'user',
        content: 'Summarise the quarterly numbers for the board in three sentences, please.',
      },
      {
        role: 'assistant',
        content: [{ type: 'text', text: 'Revenue rose; costs fell; margin improved.' }],
      },
      { role: 'user', content: [{ type: 'text', text: 'Now in one sentence.'.repeat(40) }] },
    ],
  };

  it('estimates locally, a little above the real count (so reservations rarely fall short)', async () => {
    const local = await localTokenCounter().count(request);
    const exact = analyzePrompt(
      parseMessagesRequest(request, { requireMaxTokens: true }),
      false,
    ).total;
    expect(local).toBeGreaterThanOrEqual(exact);
    expect(local).toBeLessThanOrEqual(exact * 1.6);
    // The same count without a promise (what the core's gate uses on its hot path).
    expect(localTokenCounter().countSync?.(request)).toBe(local);
  });

  it('asks count_tokens through a fetch function with only the fields it accepts', async () => {
    let sent: { url: string; body: Record<string, unknown>; headers: Headers } | undefined;
    const counter = countTokensCounter(
      async (url, init) => {
        sent = {
          url: String(url),
          body: JSON.parse(String(init?.body)),
          headers: new Headers(init?.headers),
        };
        return new Response(JSON.stringify({ input_tokens: 321 }), { status: 200 });
      },
      { baseURL: 'http://sim/', headers: { 'x-api-key': 'k' } },
    );
    expect(await counter.count({ ...request, stream: true, temperature: 0 })).toBe(321);
    expect(sent?.url).toBe('http://sim/v1/messages/count_tokens');
    expect(Object.keys(sent?.body ?? {}).sort()).toEqual(['messages', 'model', 'system']);
    expect(sent?.headers.get('x-api-key')).toBe('k');
    expect(countTokensBody({ model: 'm', max_tokens: 5 })).toEqual({ model: 'm' });
  });

  it('uses an SDK-like client', async () => {
    const counter = countTokensCounter({
      messages: { countTokens: async () => ({ input_tokens: 9 }) },
    });
    expect(await counter.count(request)).toBe(9);
  });
});

describe('outputEstimator', () => {
  it('uses max_tokens until it has history, then a high quantile bounded by max_tokens', () => {
    const e = outputEstimator({ minSamples: 3, quantile: 0.9 });
    expect(e.estimate('k', 1_000)).toBe(1_000);
    for (const n of [100, 120, 140, 160, 900]) e.observe('k', n);
    expect(e.estimate('k', 1_000)).toBe(900);
    expect(e.estimate('k', 500)).toBe(500);
    expect(e.mean('k')).toBe(284);
    expect(e.estimate('other', 700)).toBe(700);
  });
});
