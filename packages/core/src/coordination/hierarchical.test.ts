import { describe, expect, it } from 'vitest';
import { runHierarchical } from './hierarchical.js';
import { createMemoryTaskQueue, type MemoryAgentRun } from './memory-queue.js';
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

const AGENTS = [
  { role: 'researcher', instructions: 'Find the facts.' },
  { role: 'critic', instructions: 'Find the holes.' },
];
const GOAL = 'Decide whether to cache the build.';

/**
 * A queue whose root runs the hierarchical coordinator on the queue itself (as the worker runs a
 * coordination task), and whose sub-agents are answered by `child`.
 */
function coordinated(
  child: (a: MemoryAgentRun) => Promise<string | { result: string; costUsd: number }>,
  limits: Parameters<typeof createMemoryTaskQueue>[0]['limits'] = {},
) {
  const prompts = new Map<string, string>();
  const runs: Array<Awaited<ReturnType<typeof runHierarchical>>> = [];
  const queue: TaskQueue = createMemoryTaskQueue({
    limits,
    run: async (a) => {
      if (a.depth > 0) {
        prompts.set(a.role ?? '', a.task);
        return child(a);
      }
      const out = await runHierarchical(
        queue,
        { rootId: a.agentId, goal: GOAL, agents: AGENTS },
        { signal: a.signal, waitMs: 50 },
      );
      runs.push(out);
      if (out.status !== 'succeeded') throw new Error(`${out.status}: ${out.reason}`);
      return out.result!;
    },
  });
  return { queue, prompts, runs };
}

describe('runHierarchical', () => {
  it('spawns each agent under the root, then a synthesiser given every role and result', async () => {
    const { queue, prompts, runs } = coordinated(async (a) =>
      a.role === 'synthesiser' ? `SYNTHESIS of ${a.task.length} chars` : `${a.role} says yes`,
    );
    const root = await queue.spawn({ task: 'lead' });
    const [done] = (await queue.wait([root.agentId], { timeoutMs: 5000 })).agents;
    expect(done!.status).toBe('succeeded');
    expect(done!.result).toMatch(/^SYNTHESIS of \d+ chars$/);
    const tree = await queue.list({ rootId: root.agentId });
    expect(tree.map((a) => [a.depth, a.role, a.status])).toEqual([
      [0, null, 'succeeded'],
      [1, 'researcher', 'succeeded'],
      [1, 'critic', 'succeeded'],
      [1, 'synthesiser', 'succeeded'],
    ]);
    expect(prompts.get('researcher')).toContain(GOAL);
    expect(prompts.get('researcher')).toContain('Find the facts.');
    const synth = prompts.get('synthesiser')!;
    for (const s of ['researcher', 'researcher says yes', 'critic', 'critic says yes', GOAL])
      expect(synth).toContain(s);
    const [run] = runs;
    expect(run).toMatchObject({ status: 'succeeded', reason: null });
    expect(run!.agents.map((a) => a.role)).toEqual(['researcher', 'critic']);
    expect(run!.synthesisId).toBe(tree[3]!.agentId);
  });

  it('synthesises around a failing agent, and fails when no agent succeeds', async () => {
    const one = coordinated(async (a) => {
      if (a.role === 'critic') throw new Error('model overloaded');
      return a.role === 'synthesiser' ? 'partial synthesis' : 'facts';
    });
    const root = await one.queue.spawn({ task: 'lead' });
    await one.queue.wait([root.agentId], { timeoutMs: 5000 });
    expect(one.runs[0]).toMatchObject({ status: 'succeeded', result: 'partial synthesis' });
    expect(one.runs[0]!.agents.map((a) => a.status)).toEqual(['succeeded', 'failed']);
    expect(one.prompts.get('synthesiser')).toContain('(no result: the agent failed)');

    const none = coordinated(async () => {
      throw new Error('down');
    });
    const root2 = await none.queue.spawn({ task: 'lead' });
    const [r] = (await none.queue.wait([root2.agentId], { timeoutMs: 5000 })).agents;
    expect(r!.status).toBe('failed');
    expect(none.runs[0]!.status).toBe('failed');
    expect(none.runs[0]!.reason).toMatch(
      /No agent succeeded: researcher failed \(down\); critic failed/,
    );
    expect(none.runs[0]!.synthesisId).toBeNull();
  });

  it('ends on a refusing spawn: a full tree is failed, a spent tree budget_exceeded', async () => {
    // Root + 2 agents fill the tree: the synthesiser is refused.
    const full = coordinated(async () => 'ok', { maxAgents: 3 });
    const root = await full.queue.spawn({ task: 'lead' });
    await full.queue.wait([root.agentId], { timeoutMs: 5000 });
    expect(full.runs[0]).toMatchObject({ status: 'failed', synthesisId: null });
    expect(full.runs[0]!.reason).toContain('maximum of 3 agents');

    // A tree whose budget a first agent spent refuses the run's first spawn.
    const queue = createMemoryTaskQueue({
      run: async (a) => {
        if (a.depth > 0) return { result: 'scouted', costUsd: 0.02 };
        await sleep(60_000, a.signal);
        return 'lead';
      },
    });
    const lead = await queue.spawn({ task: 'lead', budgetUsd: 0.02 });
    const scout = await queue.spawn({ task: 'scout', parentId: lead.agentId });
    await queue.wait([scout.agentId], { timeoutMs: 1000 });
    const out = await runHierarchical(
      queue,
      { rootId: lead.agentId, goal: GOAL, agents: AGENTS },
      { signal: new AbortController().signal },
    );
    expect(out.status).toBe('budget_exceeded');
    expect(out.reason).toMatch(/budget/);
    expect(out.agents).toEqual([]);
  });

  it('stops agents by the tree budget while they run: budget_exceeded', async () => {
    const { queue, runs } = coordinated(async (a) => {
      for (;;) {
        a.charge({ costUsd: 0.01 });
        await sleep(5, a.signal);
      }
    });
    const root = await queue.spawn({ task: 'lead', budgetUsd: 0.1 });
    const [r] = (await queue.wait([root.agentId], { timeoutMs: 5000 })).agents;
    expect(r!.status).toBe('budget_exceeded');
    const tree = await queue.tree(root.agentId);
    expect(tree.spentUsd).toBeLessThanOrEqual(0.1 + 2 * 0.01 + 1e-9);
    // The root was stopped with its tree; its coordinator's record (if it got to write one) agrees.
    for (const run of runs) expect(run.status).toBe('budget_exceeded');
  });

  it('returns cancelled when aborted, and the root cancel stops every descendant', async () => {
    const queue = createMemoryTaskQueue({
      run: async (a) => {
        await sleep(60_000, a.signal);
        return 'never';
      },
    });
    const lead = await queue.spawn({ task: 'lead' });
    const ac = new AbortController();
    const running = runHierarchical(
      queue,
      { rootId: lead.agentId, goal: GOAL, agents: AGENTS },
      { signal: ac.signal, waitMs: 20 },
    );
    await sleep(50);
    ac.abort(new Error('the user cancelled'));
    const out = await running;
    expect(out).toMatchObject({ status: 'cancelled', reason: 'the user cancelled' });
    expect(out.agents.map((a) => a.status)).toEqual(['running', 'running']);
    expect(await queue.cancel(lead.agentId, 'stop all')).toEqual({ cancelled: 3 });
    const all = await queue.list({ rootId: lead.agentId });
    expect(all.map((a) => a.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
  });

  it('refuses a run without agents or goal', async () => {
    const queue = createMemoryTaskQueue({ run: async () => 'x' });
    const signal = new AbortController().signal;
    await expect(
      runHierarchical(queue, { rootId: 'r', goal: 'g', agents: [] }, { signal }),
    ).rejects.toThrow(/at least one/);
    await expect(
      runHierarchical(queue, { rootId: 'r', goal: ' ', agents: AGENTS }, { signal }),
    ).rejects.toThrow(/goal/);
  });
});
