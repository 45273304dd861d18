import { createMemoryTaskQueue, type TaskQueue } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { TaskAbort } from './cancel';
import { runCoordinationTask, withCoordination } from './coordination';
import type { TaskEvent } from './events';
import type { TaskRow } from './lifecycle';
import type { RunContext, TaskRunner } from './runner';

const PLAN = {
  strategy: 'hierarchical',
  goal: 'Decide.',
  agents: [{ role: 'a', instructions: 'Think.' }],
};

function task(id: string, options: Record<string, unknown>): TaskRow {
  return {
    id,
    team_id: 'team-1',
    created_by: 'user-1',
    prompt: 'Decide.',
    backend: 'api',
    model: 'claude-haiku-4-5',
    fallback_models: [],
    options,
    status: 'running',
    attempts: 1,
    max_attempts: 3,
    budget_usd: null,
    timeout_ms: null,
    cancel_requested_at: null,
    priority: 0,
    root_task_id: id,
  };
}

function context(t: TaskRow, signal = new AbortController().signal) {
  const events: TaskEvent[] = [];
  const ctx: RunContext = {
    task: t,
    attempt: 1,
    signal,
    emit: (e) => events.push(e),
    recordUsage: () => {},
    flushUsage: async () => {},
  };
  return { ctx, events };
}

async function failure(p: Promise<unknown>) {
  const err = await p.then(
    () => null,
    (e: unknown) => e as Error & { code?: string; retryable?: boolean },
  );
  expect(err).toBeInstanceOf(Error);
  return err!;
}

/** A memory queue with a held root (the coordination task itself) and agents answered by `answer`. */
async function world(answer: (task: string) => string) {
  const queue = createMemoryTaskQueue({
    run: async (a) =>
      a.depth === 0
        ? new Promise<string>((_, reject) =>
            a.signal.addEventListener('abort', () => reject(a.signal.reason)),
          )
        : answer(a.task),
  });
  const root = await queue.spawn({ task: 'lead' });
  return { queue, rootId: root.agentId };
}

describe('coordination tasks in the worker', () => {
  it('runs the plan on the queue given for the task’s scope; the synthesis is the result', async () => {
    const { queue, rootId } = await world((t) =>
      t.includes('Combine') ? 'THE SYNTHESIS' : 'idea',
    );
    const scopes: unknown[] = [];
    const { ctx, events } = context(task(rootId, { coordinate: PLAN }));
    const out = await runCoordinationTask(ctx, (scope) => {
      scopes.push(scope);
      return queue;
    });
    expect(out).toEqual({ result: 'THE SYNTHESIS' });
    expect(scopes).toEqual([
      { teamId: 'team-1', userId: 'user-1', rootTaskId: rootId, taskId: rootId },
    ]);
    expect(events.map((e) => [e.type, e.data.phase, e.data.status])).toEqual([
      ['coordination', 'started', undefined],
      ['coordination', 'finished', 'succeeded'],
    ]);
  });

  it('fails without retry: a bad plan, no queue, a run that did not succeed', async () => {
    const bad = await failure(
      runCoordinationTask(
        context(task('t', { coordinate: { ...PLAN, agents: [] } })).ctx,
        undefined,
      ),
    );
    expect(bad).toMatchObject({ code: 'InvalidRequest', retryable: false });
    expect(bad.message).toContain('options.coordinate: agents is a list');
    const none = await failure(
      runCoordinationTask(context(task('t', { coordinate: PLAN })).ctx, undefined),
    );
    expect(none).toMatchObject({ code: 'CoordinationUnavailable', retryable: false });
    const { queue, rootId } = await world(() => {
      throw new Error('down');
    });
    const failed = await failure(
      runCoordinationTask(context(task(rootId, { coordinate: PLAN })).ctx, () => queue),
    );
    expect(failed).toMatchObject({ code: 'CoordinationFailed', retryable: false });
    expect(failed.message).toMatch(/hierarchical run ended failed: No agent succeeded/);
  });

  it('rethrows the task’s abort, so the executor settles cancelled', async () => {
    const slow: TaskQueue = createMemoryTaskQueue({
      run: (a) =>
        new Promise((_, reject) =>
          a.signal.addEventListener('abort', () => reject(a.signal.reason)),
        ),
    });
    const root = await slow.spawn({ task: 'lead' });
    const ac = new AbortController();
    const { ctx } = context(task(root.agentId, { coordinate: PLAN }), ac.signal);
    setTimeout(() => ac.abort(new TaskAbort('cancelled', 'cancelled on request')), 30);
    const err = await failure(runCoordinationTask(ctx, () => slow, { waitMs: 10 }));
    expect(err).toBeInstanceOf(TaskAbort);
    expect((err as unknown as TaskAbort).reason).toBe('cancelled');
  });

  it('leaves other tasks to the runner it wraps', async () => {
    const seen: string[] = [];
    const inner: TaskRunner = {
      run: async (c) => {
        seen.push(c.task.id);
        return { result: 'from the model' };
      },
      poolStats: () => ({ active: 1, idle: 0, waiting: 0, max: 8 }),
    };
    const runner = withCoordination(inner, undefined);
    expect(await runner.run(context(task('plain', {})).ctx)).toEqual({ result: 'from the model' });
    expect(seen).toEqual(['plain']);
    expect(runner.poolStats?.()).toEqual({ active: 1, idle: 0, waiting: 0, max: 8 });
    await failure(runner.run(context(task('coord', { coordinate: PLAN })).ctx));
    expect(seen).toEqual(['plain']);
  });
});
