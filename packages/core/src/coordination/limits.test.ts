import { describe, expect, it } from 'vitest';
import {
  CoordinationError,
  DEFAULT_TREE_LIMITS,
  resolveTreeLimits,
  TREE_LIMIT_CEILINGS,
} from './limits.js';

describe('resolveTreeLimits', () => {
  it('layers the settings over the defaults, the last that sets a limit wins', () => {
    expect(resolveTreeLimits()).toEqual(DEFAULT_TREE_LIMITS);
    expect(
      resolveTreeLimits({ maxAgents: 20, maxDepth: 3 }, { maxDepth: 1, budgetUsd: 0.5 }, undefined),
    ).toEqual({ maxAgents: 20, maxDepth: 1, maxConcurrent: 4, budgetUsd: 0.5, budgetTokens: null });
  });

  it('refuses a limit outside its range, naming it', () => {
    const bad: Array<[Record<string, number>, string]> = [
      [{ maxAgents: 0 }, 'maxAgents'],
      [{ maxAgents: TREE_LIMIT_CEILINGS.maxAgents + 1 }, 'maxAgents'],
      [{ maxDepth: -1 }, 'maxDepth'],
      [{ maxDepth: 1.5 }, 'maxDepth'],
      [{ maxConcurrent: 0 }, 'maxConcurrent'],
      [{ budgetUsd: 0 }, 'budgetUsd'],
      [{ budgetUsd: Number.NaN }, 'budgetUsd'],
      [{ budgetTokens: 10.5 }, 'budgetTokens'],
    ];
    for (const [layer, field] of bad) {
      const err = (() => {
        try {
          resolveTreeLimits(layer);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(CoordinationError);
      expect((err as CoordinationError).code).toBe('INVALID');
      expect((err as CoordinationError).details.field).toBe(field);
    }
  });
});
