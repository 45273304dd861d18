import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import {
  DEFAULT_FALLBACK_MODELS,
  DEFAULT_MODEL,
  DEFAULT_SUMMARIZER_MODEL,
  findModelLifecycle,
  MODEL_LIFECYCLE,
  modelStatus,
} from './models.js';
import { defaultPriceTable } from './pricing.js';

const day = (d: string) => Date.parse(`${d}T00:00:00Z`);

describe('model defaults', () => {
  it('are active models with a price', () => {
    const prices = defaultPriceTable();
    for (const m of [DEFAULT_MODEL, ...DEFAULT_FALLBACK_MODELS, DEFAULT_SUMMARIZER_MODEL]) {
      expect(modelStatus(m).status, m).toBe('active');
      expect(prices.lookup(m), m).toBeDefined();
    }
  });

  it('are what loadConfig fills in', () => {
    const c = loadConfig({ env: {} });
    expect(c.models).toEqual({
      default: DEFAULT_MODEL,
      fallback: [...DEFAULT_FALLBACK_MODELS],
      summarizer: DEFAULT_SUMMARIZER_MODEL,
    });
  });
});

describe('model lifecycle', () => {
  it('finds a deprecated model by id and by alias', () => {
    expect(findModelLifecycle('claude-sonnet-4-5')?.id).toBe('claude-sonnet-4-5-20250929');
    expect(findModelLifecycle('claude-sonnet-4-5-20250929')?.retiresOn).toBe('2026-11-30');
    expect(findModelLifecycle('claude-sonnet-5')).toBeUndefined();
  });

  it('is active before the deprecation, deprecated until the retirement, retired from it on', () => {
    expect(modelStatus('claude-sonnet-4-0', day('2026-04-13')).status).toBe('active');
    expect(modelStatus('claude-sonnet-4-0', day('2026-04-14')).status).toBe('deprecated');
    expect(modelStatus('claude-sonnet-4-0', day('2026-06-15') - 1).status).toBe('deprecated');
    expect(modelStatus('claude-sonnet-4-0', day('2026-06-15')).status).toBe('retired');
    // Without an announcement date, a model with a retirement date is deprecated.
    const s = modelStatus('claude-sonnet-4-5', new Date('2026-11-29T23:59:59Z'));
    expect(s).toEqual({ status: 'deprecated', lifecycle: findModelLifecycle('claude-sonnet-4-5') });
    expect(modelStatus('claude-sonnet-4-5', day('2026-11-30')).status).toBe('retired');
    expect(modelStatus('claude-opus-5-5', day('2030-01-01'))).toEqual({ status: 'active' });
  });

  it('names an active replacement for every entry, and no id twice', () => {
    const ids = MODEL_LIFECYCLE.flatMap((e) => [e.id, ...e.aliases]);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of MODEL_LIFECYCLE) {
      expect(findModelLifecycle(e.replacement), e.id).toBeUndefined();
      if (e.deprecatedOn) expect(day(e.deprecatedOn)).toBeLessThan(day(e.retiresOn));
    }
  });
});
