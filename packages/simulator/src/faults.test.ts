import { describe, expect, it } from 'vitest';
import { FaultInjector, formatFaultRule, parseFaultRule, parseFaultSpec } from './faults.js';

describe('parseFaultSpec', () => {
  it('parses kinds, models, triggers and options', () => {
    const spec = parseFaultSpec(
      'overloaded:0.1, reset-mid:p=0.05:after=3 ,stall:every=20:ms=500,504@opus:next=2:body=html,seed=7',
    );
    expect(spec.seed).toBe(7);
    expect(spec.rules).toEqual([
      { kind: 'overloaded', trigger: { type: 'probability', p: 0.1 } },
      { kind: 'reset-mid', trigger: { type: 'probability', p: 0.05 }, after: 3 },
      { kind: 'stall', trigger: { type: 'every', n: 20 }, ms: 500 },
      { kind: 'gateway-timeout', model: 'opus', trigger: { type: 'next', n: 2 }, body: 'html' },
    ]);
    expect(parseFaultSpec('')).toEqual({ rules: [] });
    expect(parseFaultRule('slow:ms=100')).toEqual({
      kind: 'slow-first-byte',
      trigger: { type: 'always' },
      ms: 100,
    });
    expect(formatFaultRule(parseFaultRule('overloaded@claude-opus-4-5:every=3'))).toBe(
      'overloaded@claude-opus-4-5:every=3',
    );
  });

  it('rejects bad specs with a clear message', () => {
    expect(() => parseFaultSpec('explode:0.1')).toThrow(/unknown fault kind "explode"/);
    expect(() => parseFaultSpec('overloaded:1.5')).toThrow(/probability/);
    expect(() => parseFaultSpec('overloaded:every=0')).toThrow(/positive integer/);
    expect(() => parseFaultSpec('overloaded:foo=1')).toThrow(/unknown option "foo"/);
    expect(() => parseFaultSpec('overloaded@:0.1')).toThrow(/empty model/);
    expect(() => parseFaultSpec('seed=x')).toThrow(/seed/);
  });
});

describe('FaultInjector', () => {
  it('fires every Nth matching request and the next N requests', () => {
    const f = new FaultInjector(parseFaultSpec('overloaded:every=3,api-error@haiku:next=2'));
    const kinds = [];
    for (let i = 0; i < 6; i++)
      kinds.push(
        f.decide('claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'sonnet')?.kind ?? '-',
      );
    expect(kinds).toEqual(['-', '-', 'overloaded', '-', '-', 'overloaded']);
    const h = [];
    for (let i = 0; i < 4; i++)
      h.push(f.decide('claude-haiku-4-5', 'claude-haiku-4-5-20251001', 'haiku')?.kind ?? '-');
    expect(h).toEqual(['api-error', 'api-error', 'overloaded', '-']);
  });

  it('draws probabilities from a seeded sequence', () => {
    const run = (seed: number) => {
      const f = new FaultInjector(parseFaultSpec(`overloaded:0.3,seed=${seed}`));
      return Array.from({ length: 200 }, () => (f.decide('m', 'm', 'opus') ? 1 : 0)).join('');
    };
    expect(run(5)).toBe(run(5));
    expect(run(5)).not.toBe(run(6));
    const hits = run(5)
      .split('')
      .filter((c) => c === '1').length;
    expect(hits).toBeGreaterThan(35);
    expect(hits).toBeLessThan(85);
  });

  it('restricts a rule to a model id or class', () => {
    const f = new FaultInjector(parseFaultSpec('overloaded@claude-opus-4-5'));
    expect(f.decide('claude-sonnet-4-5', 'claude-sonnet-4-5-20250929', 'sonnet')).toBeUndefined();
    expect(f.decide('claude-opus-4-5', 'claude-opus-4-5-20251101', 'opus')?.kind).toBe(
      'overloaded',
    );
  });
});
