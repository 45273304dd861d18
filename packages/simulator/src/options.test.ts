import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOutputDistribution, simulatorOptionsFromFlags, toFaultSpec } from './options.js';

describe('simulatorOptionsFromFlags', () => {
  it('turns CLI strings into options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flags-'));
    const file = join(dir, 's.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'a', turns: [{ content: [{ type: 'text', text: 'hi' }] }] }),
    );
    const o = simulatorOptionsFromFlags({
      port: '4011',
      rpm: '60',
      itpm: 1000,
      otpm: '500',
      scenario: file,
      faults: 'overloaded:0.5',
      seed: '9',
      ttftMs: '20',
      tps: '100',
      outputTokens: 'uniform:5-10',
      apiKeys: 'a, b',
    });
    expect(o.port).toBe(4011);
    expect(o.limits).toEqual({ rpm: 60, itpm: 1000, otpm: 500 });
    expect(o.scenario).toMatchObject({ scenarios: [{ name: 'a' }] });
    expect(o.faults).toEqual({
      rules: [{ kind: 'overloaded', trigger: { type: 'probability', p: 0.5 } }],
    });
    expect(o.response).toEqual({
      seed: 9,
      ttftMs: 20,
      tokensPerSecond: 100,
      outputTokens: { type: 'uniform', min: 5, max: 10 },
    });
    expect(o.apiKeys).toEqual(['a', 'b']);
    expect(simulatorOptionsFromFlags({}).port).toBe(4010);
  });

  it('names the bad flag', () => {
    expect(() => simulatorOptionsFromFlags({ port: 'abc' })).toThrow(
      /--port must be an integer from 0 to 65535, got "abc"/,
    );
    expect(() => simulatorOptionsFromFlags({ port: '70000' })).toThrow(/--port/);
    expect(() => simulatorOptionsFromFlags({ rpm: '0' })).toThrow(/--rpm must be an integer ≥ 1/);
    expect(() => simulatorOptionsFromFlags({ itpm: '1.5' })).toThrow(/--itpm/);
    expect(() => simulatorOptionsFromFlags({ otpm: '' })).toThrow(/--otpm/);
    expect(() => simulatorOptionsFromFlags({ scenario: '/nonexistent/s.yaml' })).toThrow(
      /--scenario: file not found/,
    );
    expect(() => simulatorOptionsFromFlags({ faults: 'boom' })).toThrow(
      /--faults: .*unknown fault kind "boom"/,
    );
    expect(() => simulatorOptionsFromFlags({ tps: '-1' })).toThrow(/--tps/);
    expect(() => simulatorOptionsFromFlags({ outputTokens: 'weird:1' })).toThrow(/--output-tokens/);
    expect(() => simulatorOptionsFromFlags({ apiKeys: ' , ' })).toThrow(/--api-keys/);
  });

  it('parses distributions and fault objects', () => {
    expect(parseOutputDistribution('fixed:100')).toEqual({ type: 'fixed', tokens: 100 });
    expect(parseOutputDistribution('lognormal:120:0.6')).toEqual({
      type: 'lognormal',
      median: 120,
      sigma: 0.6,
    });
    expect(() => parseOutputDistribution('uniform:10-5')).toThrow();
    expect(
      toFaultSpec({ rules: [{ kind: 'stall', trigger: { type: 'every', n: 3 }, after: 2 }] }),
    ).toEqual({
      rules: [{ kind: 'stall', trigger: { type: 'every', n: 3 }, after: 2 }],
    });
    expect(() =>
      toFaultSpec({ rules: [{ kind: 'nope' as never, trigger: { type: 'always' } }] }),
    ).toThrow(/nope/);
  });
});
