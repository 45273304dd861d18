import { describe, expect, it } from 'vitest';
import { findModel, listModels, MODELS } from './models.js';

describe('models', () => {
  it('serves current models, dated aliases and Claude Code default', () => {
    for (const id of [
      'claude-opus-5-5',
      'claude-opus-4-5',
      'claude-opus-4-1',
      'claude-sonnet-4-5',
      'claude-sonnet-4-6',
      'claude-sonnet-5',
      'claude-haiku-4-5',
    ]) {
      expect(findModel(id), id).toBeDefined();
    }
    expect(findModel('claude-sonnet-4-5')?.id).toBe('claude-sonnet-4-5-20250929');
    expect(findModel('claude-haiku-4-5-20251001')?.modelClass).toBe('haiku');
    expect(findModel('gpt-4')).toBeUndefined();
    for (const m of MODELS) {
      expect(m.contextWindow).toBeGreaterThanOrEqual(200_000);
      expect(m.maxOutput).toBeGreaterThanOrEqual(32_000);
    }
  });

  it('paginates like the real API', () => {
    const p1 = listModels(new URLSearchParams('limit=5'));
    expect(p1.data).toHaveLength(5);
    expect(p1.has_more).toBe(true);
    const p2 = listModels(new URLSearchParams(`limit=100&after_id=${p1.last_id}`));
    expect(p2.data).toHaveLength(MODELS.length - 5);
    expect(p2.has_more).toBe(false);
    const back = listModels(new URLSearchParams(`limit=2&before_id=${p2.first_id}`));
    expect(back.data.map((m) => m.id)).toEqual(p1.data.slice(3).map((m) => m.id));
    expect(() => listModels(new URLSearchParams('limit=0'))).toThrow(/limit/);
  });
});
