import { describe, expect, it } from 'vitest';
import { CoordinationError } from './limits.js';
import { createMemoryTaskQueue } from './memory-queue.js';
import {
  agentsNeeded,
  DEFAULT_MESH_MAX_ROUNDS,
  parseCoordinationPlan,
  runCoordination,
} from './plan.js';

const agents = [{ role: ' a ', instructions: 'do a' }];

describe('coordination plans', () => {
  it('parses a plan, trimming roles and defaulting mesh rounds', () => {
    expect(parseCoordinationPlan({ strategy: 'mesh', goal: ' g ', agents })).toEqual({
      strategy: 'mesh',
      goal: 'g',
      agents: [{ role: 'a', instructions: 'do a' }],
      maxRounds: DEFAULT_MESH_MAX_ROUNDS,
    });
    expect(
      agentsNeeded(parseCoordinationPlan({ strategy: 'hierarchical', goal: 'g', agents })),
    ).toBe(3);
  });

  it('names the bad field', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'coordinate'],
      [{ strategy: 'star', goal: 'g', agents }, 'strategy'],
      [{ strategy: 'mesh', goal: '', agents }, 'goal'],
      [{ strategy: 'mesh', goal: 'g', agents: [] }, 'agents'],
      [{ strategy: 'mesh', goal: 'g', agents: [{ role: 'x' }] }, 'agents.0.instructions'],
      [{ strategy: 'mesh', goal: 'g', agents: [{ instructions: 'x' }] }, 'agents.0.role'],
      [{ strategy: 'mesh', goal: 'g', agents, maxRounds: 0 }, 'maxRounds'],
      [{ strategy: 'hierarchical', goal: 'g', agents, maxRounds: 2 }, 'maxRounds'],
    ];
    for (const [raw, field] of cases) {
      let err: unknown;
      try {
        parseCoordinationPlan(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CoordinationError);
      expect((err as CoordinationError).details.field).toBe(field);
    }
  });

  it('runs the strategy it names', async () => {
    const queue = createMemoryTaskQueue({
      run: async (a) => (a.depth === 0 ? new Promise<string>(() => {}) : 'FINDING: f\nVOTE: done'),
    });
    const root = await queue.spawn({ task: 'lead' });
    const signal = new AbortController().signal;
    const mesh = await runCoordination(
      queue,
      root.agentId,
      parseCoordinationPlan({ strategy: 'mesh', goal: 'g', agents }),
      { signal },
    );
    expect(mesh).toMatchObject({ strategy: 'mesh', stopReason: 'vote', rounds: 1 });
    const hier = await runCoordination(
      queue,
      root.agentId,
      parseCoordinationPlan({ strategy: 'hierarchical', goal: 'g', agents }),
      { signal },
    );
    expect(hier).toMatchObject({
      strategy: 'hierarchical',
      status: 'succeeded',
      result: 'FINDING: f\nVOTE: done',
    });
  });
});
