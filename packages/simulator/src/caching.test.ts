import { describe, expect, it } from 'vitest';
import { PromptCache } from './caching.js';
import { parseMessagesRequest } from './messages.js';
import { ASSISTANT_TURN_OVERHEAD, analyzePrompt } from './tokens.js';

const LONG = 'The quick brown fox jumps over the lazy dog near the river bank. '.repeat(200); // ~2,800 tokens

function prompt(body: Record<string, unknown>) {
  const r = parseMessagesRequest(
    { model: 'm', max_tokens: 10, ...body },
    { requireMaxTokens: true },
  );
  return analyzePrompt(r, true);
}

const MIN = 1024;

describe('PromptCache', () => {
  it('writes a breakpoint prefix, then reads it on repeat within the TTL', () => {
    const cache = new PromptCache();
    const body = {
      system: [{ type: 'text', text: LONG, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Question one?' }],
    };
    const p = prompt(body);
    const first = cache.apply('k|m', p, MIN, 0);
    expect(first.write5m).toBeGreaterThan(2000);
    expect(first.write1h).toBe(0);
    expect(first.read).toBe(0);
    const second = cache.apply(
      'k|m',
      prompt({ ...body, messages: [{ role: 'user', content: 'Another question?' }] }),
      MIN,
      60_000,
    );
    expect(second).toEqual({ read: first.write5m, write5m: 0, write1h: 0 });
    // Each read refreshes the TTL: 4 more minutes later still a hit; 6 minutes after the last use it has expired.
    expect(cache.apply('k|m', p, MIN, 60_000 + 4 * 60_000).read).toBe(first.write5m);
    expect(cache.apply('k|m', p, MIN, 60_000 + 10 * 60_000).read).toBe(0);
    // Another key (organization) never sees it.
    expect(cache.apply('other|m', p, MIN, 0).read).toBe(0);
  });

  it('splits writes by TTL and does not cache prefixes below the minimum', () => {
    const cache = new PromptCache();
    const p = prompt({
      system: [
        { type: 'text', text: LONG, cache_control: { type: 'ephemeral', ttl: '1h' } },
        { type: 'text', text: LONG, cache_control: { type: 'ephemeral' } },
      ],
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const u = cache.apply('k|m', p, MIN, 0);
    expect(u.write1h).toBeGreaterThan(2000);
    expect(u.write5m).toBeGreaterThan(2000);
    expect(u.write1h + u.write5m).toBe(p.points[1]?.tokens);
    // After 10 minutes the 5m entry is gone but the 1h prefix is still read.
    const later = cache.apply('k|m', p, MIN, 10 * 60_000);
    expect(later.read).toBe(u.write1h);
    expect(later.write5m).toBe(u.write5m);

    const short = prompt({
      system: [{ type: 'text', text: 'short', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(cache.apply('k|m', short, MIN, 0)).toEqual({ read: 0, write5m: 0, write1h: 0 });
  });

  it('finds an earlier prefix within 20 blocks of a moved breakpoint (conversation growth)', () => {
    const cache = new PromptCache();
    const turn1 = [
      {
        role: 'user',
        content: [{ type: 'text', text: LONG, cache_control: { type: 'ephemeral' } }],
      },
    ];
    const u1 = cache.apply('k|m', prompt({ messages: turn1 }), MIN, 0);
    expect(u1.write5m).toBeGreaterThan(0);
    const turn2 = [
      { role: 'user', content: [{ type: 'text', text: LONG }] },
      { role: 'assistant', content: 'Sure.' },
      {
        role: 'user',
        content: [{ type: 'text', text: 'Next?', cache_control: { type: 'ephemeral' } }],
      },
    ];
    const p2 = prompt({ messages: turn2 });
    const u2 = cache.apply('k|m', p2, MIN, 1000);
    expect(u2.read).toBe(u1.write5m);
    expect(u2.write5m).toBe((p2.points[2]?.tokens ?? 0) - u1.write5m);
  });

  it('plan() does not change the cache until commit()', () => {
    const cache = new PromptCache();
    const p = prompt({
      system: [{ type: 'text', text: LONG, cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Hi' }],
    });
    const plan = cache.plan('k|m', p, MIN, 0);
    expect(cache.size).toBe(0);
    cache.commit(plan, 0);
    expect(cache.size).toBe(1);
    expect(cache.plan('k|m', p, MIN, 0).usage.read).toBe(plan.usage.write5m);
  });

  it('top-level cache_control caches up to the last block', () => {
    const cache = new PromptCache();
    const body = {
      cache_control: { type: 'ephemeral' },
      messages: [{ role: 'user', content: LONG }],
    };
    const u = cache.apply('k|m', prompt(body), MIN, 0);
    // Everything but the assistant-turn opening that follows the last block.
    expect(u.write5m).toBe(prompt(body).total - ASSISTANT_TURN_OVERHEAD);
    expect(cache.apply('k|m', prompt(body), MIN, 0).read).toBe(u.write5m);
  });

  it('a breakpoint on the last block leaves the assistant-turn overhead uncached', () => {
    expect(ASSISTANT_TURN_OVERHEAD).toBe(3);
    const cache = new PromptCache();
    const body = {
      system: [{ type: 'text', text: LONG }],
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'Summarise.', cache_control: { type: 'ephemeral' } }],
        },
      ],
    };
    const p = prompt(body);
    // The last prefix point (the marked block) stops short of the total by exactly the overhead.
    expect(p.points[p.points.length - 1]?.tokens).toBe(p.total - 3);
    const first = cache.apply('k|m', p, MIN, 0);
    expect(first).toEqual({ read: 0, write5m: p.total - 3, write1h: 0 });
    const second = cache.apply('k|m', p, MIN, 1000);
    expect(second).toEqual({ read: p.total - 3, write5m: 0, write1h: 0 });
  });
});
