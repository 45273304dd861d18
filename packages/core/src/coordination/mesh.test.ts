import { describe, expect, it } from 'vitest';
import { createMemoryTaskQueue, type MemoryAgentRun } from './memory-queue.js';
import { type MeshResult, runMesh } from './mesh.js';
import type { TaskQueue } from './task-queue.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

const PEERS = [
  { role: 'alpha', instructions: 'Look at the data.' },
  { role: 'beta', instructions: 'Look at the code.' },
  { role: 'gamma', instructions: 'Look at the logs.' },
];
const GOAL = 'Find why the build is slow.';

/** A queue whose root runs the mesh coordinator; each peer turn is answered by `peer`. */
function mesh(peer: (a: MemoryAgentRun) => string, maxRounds: number, agents = PEERS) {
  const seen: Array<{ role: string; turn: number; prompt: string }> = [];
  const runs: MeshResult[] = [];
  const queue: TaskQueue = createMemoryTaskQueue({
    run: async (a) => {
      if (a.depth > 0) {
        seen.push({
          role: a.role!,
          turn: a.turn,
          prompt: a.turn === 1 ? a.task : a.inputs.at(-1)!,
        });
        return peer(a);
      }
      const out = await runMesh(
        queue,
        { rootId: a.agentId, goal: GOAL, agents, maxRounds },
        { signal: a.signal, waitMs: 50 },
      );
      runs.push(out);
      return out.result;
    },
  });
  const start = async () => {
    const root = await queue.spawn({ task: 'mesh lead' });
    const [r] = (await queue.wait([root.agentId], { timeoutMs: 5000 })).agents;
    return { root: r!, run: runs[0]! };
  };
  return { queue, seen, start };
}

describe('runMesh', () => {
  it('stops when a peer marks the goal met; later peers read the earlier findings', async () => {
    const m = mesh(
      (a) =>
        a.turn === 1
          ? `Thinking.\nFINDING: ${a.role} saw X\nVOTE: continue`
          : a.role === 'beta'
            ? 'GOAL MET: the cache key changes every build\nVOTE: done'
            : 'VOTE: continue',
      5,
    );
    const { root, run } = await m.start();
    expect(run).toMatchObject({ status: 'succeeded', stopReason: 'goal_met', rounds: 2 });
    expect(root.status).toBe('succeeded');
    expect(root.result).toContain('the cache key changes every build');
    expect(root.result).toContain('alpha: alpha saw X');
    expect(run.posts.filter((p) => p.kind === 'finding').map((p) => [p.round, p.body])).toEqual([
      [1, 'alpha saw X'],
      [1, 'beta saw X'],
      [1, 'gamma saw X'],
    ]);
    expect(run.posts.every((p) => run.agents.some((a) => a.agentId === p.agentId))).toBe(true);
    // Round 1 prompts carry the goal, the instructions and the protocol; round 2 inputs carry the
    // other peers' posts but not the peer's own.
    const first = m.seen.find((s) => s.role === 'alpha' && s.turn === 1)!.prompt;
    expect(first).toContain(GOAL);
    expect(first).toContain('Look at the data.');
    expect(first).toContain('VOTE: done');
    const second = m.seen.find((s) => s.role === 'alpha' && s.turn === 2)!.prompt;
    expect(second).toContain('beta — FINDING: beta saw X');
    expect(second).not.toContain('alpha saw X');
    expect(run.agents.map((a) => a.depth)).toEqual([1, 1, 1]);
  });

  it('stops by a majority vote of done', async () => {
    const m = mesh(
      (a) => (a.role === 'gamma' ? 'FINDING: more to do\nVOTE: continue' : 'VOTE: done'),
      5,
    );
    const { run } = await m.start();
    expect(run).toMatchObject({ status: 'succeeded', stopReason: 'vote', rounds: 1 });
    expect(
      run.posts
        .filter((p) => p.kind === 'vote')
        .map((p) => p.body)
        .sort(),
    ).toEqual(['continue', 'done', 'done']);
  });

  it('stops after maxRounds when nobody is done; a reply without markers is a note', async () => {
    const m = mesh((a) => `round thoughts of ${a.role}`, 3, PEERS.slice(0, 2));
    const { run } = await m.start();
    expect(run).toMatchObject({ status: 'succeeded', stopReason: 'max_rounds', rounds: 3 });
    expect(run.posts.map((p) => [p.round, p.kind])).toEqual([
      [1, 'note'],
      [1, 'note'],
      [2, 'note'],
      [2, 'note'],
      [3, 'note'],
      [3, 'note'],
    ]);
    expect(m.seen.filter((s) => s.role === 'alpha').map((s) => s.turn)).toEqual([1, 2, 3]);
    expect(run.result).toContain('Stopped after 3 rounds');
  });

  it('drops a failing peer and fails when every peer failed', async () => {
    const queue: TaskQueue = createMemoryTaskQueue({
      run: async (a) => {
        if (a.depth > 0) throw new Error('no model');
        return (
          await runMesh(
            queue,
            { rootId: a.agentId, goal: GOAL, agents: PEERS, maxRounds: 3 },
            { signal: a.signal },
          )
        ).stopReason;
      },
    });
    const root = await queue.spawn({ task: 'lead' });
    const [r] = (await queue.wait([root.agentId], { timeoutMs: 5000 })).agents;
    expect(r!.result).toBe('failed');
  });

  it('stops on the tree budget and on abort', async () => {
    const queue = createMemoryTaskQueue({
      run: async (a) => {
        if (a.depth === 0) {
          await sleep(60_000, a.signal);
          return 'lead';
        }
        return { result: 'FINDING: costly\nVOTE: continue', costUsd: 0.03 };
      },
    });
    const lead = await queue.spawn({ task: 'lead', budgetUsd: 0.1 });
    const out = await runMesh(
      queue,
      { rootId: lead.agentId, goal: GOAL, agents: PEERS.slice(0, 2), maxRounds: 10 },
      { signal: new AbortController().signal, waitMs: 50 },
    );
    expect(out).toMatchObject({ status: 'budget_exceeded', stopReason: 'budget' });
    // 0.03 a turn, two peers: the budget of 0.10 is crossed in round 2.
    expect(out.rounds).toBe(2);
    expect((await queue.tree(lead.agentId)).spentUsd).toBeCloseTo(0.12, 10);

    const slow = createMemoryTaskQueue({
      run: async (a) => {
        await sleep(60_000, a.signal);
        return 'x';
      },
    });
    const root = await slow.spawn({ task: 'lead' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by the user')), 50);
    const aborted = await runMesh(
      slow,
      { rootId: root.agentId, goal: GOAL, agents: PEERS, maxRounds: 2 },
      { signal: ac.signal, waitMs: 20 },
    );
    expect(aborted).toMatchObject({ status: 'cancelled', stopReason: 'cancelled', rounds: 1 });
    expect(aborted.agents).toHaveLength(3);
  });
});
