import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countText, type RunningSimulator } from '../src/index.js';
import { client, expectError, raw, sim } from './helpers.js';

const params = {
  model: 'claude-sonnet-4-6',
  max_tokens: 200,
  messages: [{ role: 'user' as const, content: 'hello' }],
};

let s: RunningSimulator;
let c: Anthropic;

beforeAll(async () => {
  s = await sim({ response: { outputTokens: { type: 'fixed', tokens: 120 } } });
  c = client(s);
});
afterAll(() => s.close());

function withFault(fault: string, extra: Record<string, unknown> = {}) {
  return { headers: { 'x-sim-fault': fault }, ...extra };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (e: unknown) => e,
  );
}

describe('faults observed through @anthropic-ai/sdk', () => {
  it('overloaded → 529 OverloadedError; api-error → 500 InternalServerError', async () => {
    const e1 = await failure(c.messages.create(params, withFault('overloaded')));
    expect(e1).toBeInstanceOf(Anthropic.OverloadedError);
    expect(e1).toMatchObject({ status: 529, type: 'overloaded_error' });
    expect((e1 as InstanceType<typeof Anthropic.APIError>).requestID).toMatch(/^req_/);
    const e2 = await failure(c.messages.create(params, withFault('api-error')));
    expect(e2).toBeInstanceOf(Anthropic.InternalServerError);
    expect(e2).toMatchObject({ status: 500, type: 'api_error' });
  });

  it('gateway-timeout → 504 GatewayTimeoutError, JSON timeout_error or the edge HTML page', async () => {
    const e1 = await failure(c.messages.create(params, withFault('gateway-timeout')));
    expect(e1).toBeInstanceOf(Anthropic.GatewayTimeoutError);
    expect(e1).toMatchObject({ status: 504, type: 'timeout_error' });
    const r = await raw(s, '/v1/messages', params, { 'x-sim-fault': '504:body=html' });
    expect(r.status).toBe(504);
    expect(r.headers.get('content-type')).toBe('text/html');
    expect(r.text).toContain('<title>504 Gateway Time-out</title>');
    const e2 = await failure(c.messages.create(params, withFault('504:body=html')));
    expect(e2).toBeInstanceOf(Anthropic.GatewayTimeoutError);
    expect((e2 as Error).message).toContain('504 Gateway Time-out');
  });

  it('reset before the response → APIConnectionError', async () => {
    const e = await failure(c.messages.create(params, withFault('reset-before')));
    expect(e).toBeInstanceOf(Anthropic.APIConnectionError);
    expect(e).not.toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
  });

  it('reset in the middle of a stream or a JSON body → the SDK throws, no final message', async () => {
    const stream = c.messages.stream(params, withFault('reset-mid:after=2'));
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const e = await failure(stream.finalMessage());
    // As with the real API, a body cut after the headers is not an APIError: undici's
    // "terminated" surfaces (wrapped in AnthropicError by the stream reader).
    expect(e).toBeInstanceOf(Anthropic.AnthropicError);
    expect((e as Error).message).toBe('terminated');
    expect(deltas.length).toBe(2);
    const e2 = await failure(c.messages.create(params, withFault('reset-mid')));
    expect(e2).toBeInstanceOf(TypeError);
    expect((e2 as Error).message).toBe('terminated');
  });

  it('stall before headers → APIConnectionTimeoutError with a short timeout', async () => {
    const e = await failure(c.messages.create(params, withFault('stall', { timeout: 300 })));
    expect(e).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const e2 = await failure(
      c.messages.stream(params, withFault('stall', { timeout: 300 })).finalMessage(),
    );
    expect(e2).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
  });

  it('stall mid-stream keeps the socket open and sends nothing more', async () => {
    const ac = new AbortController();
    const stream = c.messages.stream(params, withFault('stall:after=1', { signal: ac.signal }));
    const events: string[] = [];
    stream.on('streamEvent', (ev) => {
      events.push(ev.type);
      if (ev.type === 'content_block_delta') setTimeout(() => ac.abort(), 400);
    });
    const e = await failure(stream.finalMessage());
    expect(e).toBeInstanceOf(Anthropic.APIUserAbortError);
    expect(events).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
  });

  it('error event after a 200 → the SDK throws an APIError of type overloaded_error', async () => {
    const stream = c.messages.stream(params, withFault('stream-error:after=1'));
    const e = await failure(stream.finalMessage());
    expect(e).toBeInstanceOf(Anthropic.APIError);
    expect((e as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
    expect((e as InstanceType<typeof Anthropic.APIError>).requestID).toMatch(/^req_/);
    const r = await raw(
      s,
      '/v1/messages',
      { ...params, stream: true },
      { 'x-sim-fault': 'error-event:after=0' },
    );
    expect(r.status).toBe(200);
    expect(r.text).toMatch(
      /event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"Overloaded"\}\}\n\n$/,
    );
    expect(r.text).not.toContain('message_stop');
  });

  it('slow first byte delays the headers', async () => {
    const e = await failure(c.messages.create(params, withFault('slow:ms=600', { timeout: 150 })));
    expect(e).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    const t0 = Date.now();
    const ok = await c.messages.create(params, withFault('slow:ms=300'));
    expect(ok.type).toBe('message');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
  });

  it('an invalid x-sim-fault header is a 400', async () => {
    const r = await raw(s, '/v1/messages', params, { 'x-sim-fault': 'meltdown' });
    expect(r.status).toBe(400);
    expectError(r.json(), 'invalid_request_error', /meltdown/);
  });
});

describe('configured fault schedules', () => {
  it('every=N, next=N and per-model rules; the SDK retries past them', async () => {
    const f = await sim({ faults: 'overloaded@opus:every=3,api-error@haiku:next=2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push(
          (await raw(f, '/v1/messages', { ...params, model: 'claude-opus-4-5' })).status,
        );
      expect(statuses).toEqual([200, 200, 529, 200, 200, 529]);
      expect((await raw(f, '/v1/messages', params)).status).toBe(200);
      // The SDK's default retry gets past the next 2 api-errors.
      const retrying = client(f, { maxRetries: 2 });
      const msg = await retrying.messages.create({ ...params, model: 'claude-haiku-4-5' });
      expect(msg.type).toBe('message');
      const st = f.stats();
      expect(st.totals.faultsByKind).toEqual({ overloaded: 2, 'api-error': 2 });
      expect(st.byKey['sk-sim-test']?.['claude-haiku-4-5']?.faults).toBe(2);
      expect(st.totals.faults).toBe(4);
    } finally {
      await f.close();
    }
  });

  it('probabilities are reproducible for a seed, and configurable at run time', async () => {
    const pattern = async (spec: string) => {
      const f = await sim({ faults: spec });
      try {
        const out: number[] = [];
        for (let i = 0; i < 40; i++) out.push((await raw(f, '/v1/messages', params)).status);
        return out.join(',');
      } finally {
        await f.close();
      }
    };
    const a = await pattern('overloaded:0.3,seed=11');
    expect(a).toBe(await pattern('overloaded:0.3,seed=11'));
    const fails = a.split(',').filter((x) => x === '529').length;
    expect(fails).toBeGreaterThan(3);
    expect(fails).toBeLessThan(25);

    const f = await sim();
    try {
      expect((await raw(f, '/_sim/config', { faults: 'api-error:next=1' })).status).toBe(200);
      expect((await raw(f, '/v1/messages', params)).status).toBe(500);
      expect((await raw(f, '/v1/messages', params)).status).toBe(200);
      const bad = await raw(f, '/_sim/config', { faults: 'api-error:every=x' });
      expect(bad.status).toBe(400);
      f.configure({ faults: { rules: [{ kind: 'overloaded', trigger: { type: 'always' } }] } });
      expect((await raw(f, '/v1/messages', params)).status).toBe(529);
      f.configure({ faults: null });
      expect((await raw(f, '/v1/messages', params)).status).toBe(200);
    } finally {
      await f.close();
    }
  });
});

const PACED =
  'A paced answer with enough words in it that it streams out as several separate text deltas, each one waiting for its share of the configured tokens per second.';

describe('scripted turns with faults and delays', () => {
  it('applies a turn fault, and paces a turn by ttft_ms and tokens_per_second', async () => {
    const f = await sim({
      scenario: {
        name: 'flaky',
        turn_by: 'sequence',
        turns: [
          { content: [{ type: 'text', text: 'never sent' }], fault: 'overloaded' },
          {
            content: [{ type: 'text', text: PACED }],
            ttft_ms: 150,
            tokens_per_second: 100,
          },
        ],
      },
    });
    try {
      const c = client(f);
      const p = { ...params, messages: [{ role: 'user' as const, content: '[[scenario:flaky]]' }] };
      const e = await failure(c.messages.create(p));
      expect(e).toBeInstanceOf(Anthropic.OverloadedError);
      const t0 = Date.now();
      const stream = c.messages.stream(p);
      let firstDeltaAt = 0;
      stream.on('text', () => {
        firstDeltaAt ||= Date.now();
      });
      const msg = await stream.finalMessage();
      expect(msg.content).toEqual([{ type: 'text', text: PACED }]);
      // The first delta comes after ttft (150 ms); the remaining ≥ 30 tokens at 100 tok/s take ≥ 300 ms more.
      expect(firstDeltaAt - t0).toBeGreaterThanOrEqual(140);
      expect(countText(PACED.slice(48))).toBeGreaterThanOrEqual(30);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150 + 280);
      expect(f.stats().totals.faultsByKind).toEqual({ overloaded: 1 });
    } finally {
      await f.close();
    }
  });
});
