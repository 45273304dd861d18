import { describe, expect, it } from 'vitest';
import { AbortError, BatonError, ModelOverloadedError } from './errors.js';
import { type BatonEvent, type RunResult, startRun } from './events.js';

const done: RunResult = {
  backend: 'api',
  text: 'hi',
  stopReason: 'end_turn',
  turns: 1,
  model: 'm',
  costUsd: '0',
  inputTokens: 1,
  outputTokens: 1,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  durationMs: 1,
};

async function drain(
  it: AsyncIterable<BatonEvent>,
): Promise<{ events: string[]; error?: unknown }> {
  const events: string[] = [];
  try {
    for await (const e of it) events.push(e.type);
  } catch (error) {
    return { events, error };
  }
  return { events };
}

describe('startRun (the run wiring both backends share)', () => {
  it('feeds the iteration and onEvent alike, and ends with the result', async () => {
    const seen: string[] = [];
    const order: string[] = [];
    const run = startRun(
      async (emit) => {
        emit({ type: 'text', text: 'h' });
        emit({ type: 'text', text: 'i' });
        return done;
      },
      {
        onEvent: (e) => {
          seen.push(e.type);
          if (e.type === 'result') order.push('result event');
        },
        toError: (e) => e as Error,
        onResult: () => order.push('onResult'),
      },
    );
    expect(await run.result).toBe(done);
    expect(await drain(run)).toEqual({ events: ['text', 'text', 'result'] });
    expect(seen).toEqual(['text', 'text', 'result']);
    expect(order).toEqual(['onResult', 'result event']);
  });

  it('a typed failure is an error event, then the iteration throws the mapped error', async () => {
    const seen: BatonEvent[] = [];
    const run = startRun(
      async (emit) => {
        emit({ type: 'text', text: 'partial' });
        throw new Error('boom');
      },
      {
        onEvent: (e) => seen.push(e),
        toError: () => new ModelOverloadedError('overloaded', { status: 529, requestId: 'req_1' }),
      },
    );
    await expect(run.result).rejects.toBeInstanceOf(BatonError);
    const out = await drain(run);
    expect(out.events).toEqual(['text', 'error']);
    expect(out.error).toMatchObject({ code: 'ModelOverloaded' });
    expect(seen.at(-1)).toEqual({
      type: 'error',
      error: { code: 'ModelOverloaded', message: 'overloaded', status: 529, requestId: 'req_1' },
    });
  });

  it('an abort is not an error event; the result rejects with it', async () => {
    const run = startRun(
      async () => {
        throw new AbortError();
      },
      { toError: (e) => e as Error },
    );
    await expect(run.result).rejects.toBeInstanceOf(AbortError);
    const out = await drain(run);
    expect(out.events).toEqual([]);
    expect(out.error).toBeInstanceOf(AbortError);
  });
});
