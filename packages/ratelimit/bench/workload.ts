import type Anthropic from '@anthropic-ai/sdk';

/** One request of the fixed benchmark workload. */
export interface WorkItem {
  id: number;
  team: string;
  /** Words of user text. */
  user: string;
  /** A long system prompt shared by a share of the requests, marked for caching. */
  cachedSystem: boolean;
  maxTokens: number;
  stream: boolean;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'the quick brown fox jumps over lazy dog rate limit token bucket request queue team model cache prompt output input minute window refill server client batch stream usage cost budget'.split(
    ' ',
  );

function text(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rand() * WORDS.length)] as string);
  return out.join(' ');
}

export const SYSTEM_PROMPT = `You are a careful assistant. ${text(mulberry32(7), 2_500)}`;

/** The fixed, seeded workload: mixed input sizes and output lengths, some cached prefixes. */
export function workload(count: number, seed = 42): WorkItem[] {
  const rand = mulberry32(seed);
  const items: WorkItem[] = [];
  for (let id = 0; id < count; id++) {
    const r = rand();
    // Mostly small prompts, some medium, a few large.
    const words =
      r < 0.6
        ? 100 + Math.floor(rand() * 500)
        : r < 0.9
          ? 800 + Math.floor(rand() * 1_500)
          : 3_000 + Math.floor(rand() * 2_000);
    items.push({
      id,
      team: ['alpha', 'beta', 'gamma'][id % 3] as string,
      user: `Task ${id}: ${text(rand, words)}`,
      cachedSystem: rand() < 0.3,
      maxTokens: [256, 512, 1_024][Math.floor(rand() * 3)] as number,
      stream: rand() < 0.5,
    });
  }
  return items;
}

export const MODEL = 'claude-sonnet-5';

export function params(item: WorkItem): Anthropic.MessageCreateParamsNonStreaming {
  const p: Anthropic.MessageCreateParamsNonStreaming = {
    model: MODEL,
    max_tokens: item.maxTokens,
    messages: [{ role: 'user', content: item.user }],
  };
  if (item.cachedSystem) {
    p.system = [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }];
  }
  return p;
}

/** Sends one item through a client (streaming or not); resolves on success, rejects on failure. */
export async function send(
  client: Anthropic,
  item: WorkItem,
  headers?: Record<string, string>,
): Promise<void> {
  const options = headers ? { headers } : undefined;
  if (item.stream) await client.messages.stream(params(item), options).finalMessage();
  else await client.messages.create(params(item), options);
}

/** Runs items with at most `concurrency` in flight. */
export async function runPool(
  items: readonly WorkItem[],
  concurrency: number,
  fn: (item: WorkItem) => Promise<void>,
): Promise<{ completed: number; failed: number; errors: string[] }> {
  let next = 0;
  let completed = 0;
  let failed = 0;
  const errors: string[] = [];
  const lane = async () => {
    for (;;) {
      const i = next++;
      const item = items[i];
      if (!item) return;
      try {
        await fn(item);
        completed++;
      } catch (e) {
        failed++;
        if (errors.length < 5) errors.push(String((e as Error).message ?? e).slice(0, 200));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { completed, failed, errors };
}
