import { describe, expect, it } from 'vitest';
import { CoordinationError } from './limits.js';
import { createMemoryTaskQueue, type MemoryAgentRun } from './memory-queue.js';

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });

/** A root that stays running until it is cancelled (a lead whose work is elsewhere). */
const holdRoot = (a: MemoryAgentRun) => sleep(60_000, a.signal).then(() => 'lead');

async function refusal(p: Promise<unknown>): Promise<CoordinationError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CoordinationError);
  return err as CoordinationError;
}

describe('createMemoryTaskQueue', () => {
  it('runs agents under a root, with their usage, proof and results', async () => {
    const q = createMemoryTaskQueue({
      run: async (a) =>
        a.depth === 0
          ? holdRoot(a)
          : {
              result: `done: ${a.task}`,
              costUsd: 0.01,
              inputTokens: 10,
              outputTokens: 5,
              requestId: `req-${a.agentId}`,
            },
    });
    const root = await q.spawn({ task: 'lead' });
    expect(root).toMatchObject({ depth: 0, status: 'queued', rootId: root.agentId });
    const a = await q.spawn({ task: 'one', role: 'r1', parentId: root.agentId });
    const b = await q.spawn({ task: 'two', parentId: root.agentId });
    const { agents, timedOut } = await q.wait([a.agentId, b.agentId], { timeoutMs: 1000 });
    expect(timedOut).toBe(false);
    expect(agents.map((x) => [x.status, x.result, x.depth, x.role])).toEqual([
      ['succeeded', 'done: one', 1, 'r1'],
      ['succeeded', 'done: two', 1, null],
    ]);
    expect(agents[0]!.proof).toEqual({
      sessionId: `memory:${a.agentId}`,
      requestIds: [`req-${a.agentId}`],
      noModelCall: false,
    });
    const tree = await q.tree(root.agentId);
    expect(tree).toMatchObject({ agents: 3, status: 'running', spentTokens: 30 });
    expect(tree.spentUsd).toBeCloseTo(0.02, 10);
    expect((await q.list({ rootId: root.agentId })).map((x) => x.depth)).toEqual([0, 1, 1]);
    await q.cancel(root.agentId, 'done here');
    expect((await q.get(root.agentId)).status).toBe('cancelled');
    expect((await q.tree(root.agentId)).status).toBe('cancelled');
  });

  it('refuses spawns past the depth and agent limits, and holds agents past maxConcurrent', async () => {
    let running = 0;
    let peak = 0;
    const q = createMemoryTaskQueue({
      limits: { maxAgents: 4, maxDepth: 1, maxConcurrent: 2 },
      run: async (a) => {
        if (a.depth === 0) return holdRoot(a);
        running++;
        peak = Math.max(peak, running);
        await sleep(20);
        running--;
        return 'ok';
      },
    });
    const root = await q.spawn({ task: 'lead' });
    const kids = [];
    for (let i = 0; i < 3; i++)
      kids.push((await q.spawn({ task: `k${i}`, parentId: root.agentId })).agentId);
    expect((await refusal(q.spawn({ task: 'k4', parentId: root.agentId }))).details.limit).toBe(
      'maxAgents',
    );
    expect((await refusal(q.spawn({ task: 'deep', parentId: kids[0]! }))).details.limit).toBe(
      'maxDepth',
    );
    const { agents } = await q.wait(kids, { timeoutMs: 2000 });
    expect(agents.every((x) => x.status === 'succeeded')).toBe(true);
    // The root runs too: with maxConcurrent 2 one child at a time.
    expect(peak).toBe(1);
    expect((await refusal(q.spawn({ task: '' }))).code).toBe('INVALID');
    expect((await refusal(q.get('nope'))).code).toBe('NOT_FOUND');
  });

  it('stops the tree when its budget is spent: running agents end budget_exceeded, spawns are refused', async () => {
    const q = createMemoryTaskQueue({
      run: async (a) => {
        if (a.depth === 0) return holdRoot(a);
        for (let i = 0; ; i++) {
          a.charge({ costUsd: 0.004, requestId: `${a.agentId}-${i}` });
          await sleep(5, a.signal);
        }
      },
    });
    const root = await q.spawn({ task: 'lead', budgetUsd: 0.05 });
    const kids = [
      (await q.spawn({ task: 'a', parentId: root.agentId })).agentId,
      (await q.spawn({ task: 'b', parentId: root.agentId })).agentId,
    ];
    const { agents } = await q.wait(kids, { timeoutMs: 3000 });
    expect(agents.map((x) => x.status)).toEqual(['budget_exceeded', 'budget_exceeded']);
    const tree = await q.tree(root.agentId);
    expect(tree.status).toBe('budget_exceeded');
    // Never more than the budget plus one request in flight per running agent.
    expect(tree.spentUsd).toBeGreaterThanOrEqual(0.05);
    expect(tree.spentUsd).toBeLessThanOrEqual(0.05 + 2 * 0.004 + 1e-9);
    expect((await refusal(q.spawn({ task: 'c', parentId: root.agentId }))).code).toBe(
      'TREE_STOPPED',
    );
    expect((await q.get(root.agentId)).status).toBe('budget_exceeded');
  });

  it('continues a finished agent with input, keeps a board, and cancels descendants', async () => {
    const q = createMemoryTaskQueue({
      limits: { maxDepth: 2 },
      run: async (a) =>
        a.depth === 0 || a.task === 'hold' ? holdRoot(a) : `turn ${a.turn}: ${a.inputs.join('|')}`,
    });
    const root = await q.spawn({ task: 'lead' });
    const peer = (await q.spawn({ task: 'peer', parentId: root.agentId })).agentId;
    await q.wait([peer], { timeoutMs: 1000 });
    expect(['queued', 'running']).toContain((await q.sendInput(peer, 'more')).status);
    const [after] = (await q.wait([peer], { timeoutMs: 1000 })).agents;
    expect(after!.result).toBe('turn 2: more');

    const p1 = await q.post(root.agentId, { agentId: peer, round: 1, kind: 'finding', body: 'x' });
    await q.post(root.agentId, { round: 2, kind: 'note', body: 'y' });
    expect((await q.board(root.agentId, { afterId: p1.id })).map((p) => p.body)).toEqual(['y']);
    expect((await refusal(q.post(root.agentId, { kind: 'nope' as 'note', body: 'z' }))).code).toBe(
      'INVALID',
    );

    const mid = (await q.spawn({ task: 'hold', parentId: root.agentId })).agentId;
    const leaf = (await q.spawn({ task: 'hold', parentId: mid })).agentId;
    await sleep(10);
    expect(await q.cancel(mid, 'enough')).toEqual({ cancelled: 2 });
    const { agents } = await q.wait([mid, leaf], { timeoutMs: 1000 });
    expect(agents.map((x) => [x.status, x.statusReason])).toEqual([
      ['cancelled', 'enough'],
      ['cancelled', 'enough'],
    ]);
    expect(agents[0]!.proof.noModelCall).toBe(true);
    expect((await q.tree(root.agentId)).status).toBe('running');
  });

  it('wait is bounded and honours its signal', async () => {
    const q = createMemoryTaskQueue({ run: holdRoot });
    const root = await q.spawn({ task: 'lead' });
    const t0 = Date.now();
    expect((await q.wait([root.agentId], { timeoutMs: 50 })).timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('bye')), 20);
    await expect(q.wait([root.agentId], { timeoutMs: 5000, signal: ac.signal })).rejects.toThrow(
      'bye',
    );
    await q.cancel(root.agentId, 'end');
  });
});
