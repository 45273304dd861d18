import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import type { UsageRow } from '@baton/db/usage';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { beginAttempt, finish, settleTask, startTask } from './lifecycle';

let tdb: TestDatabase;
let pool: pg.Pool;
let teamId: string;

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = new pg.Pool({ connectionString: tdb.url });
  const { rows } = await pool.query<{ id: string }>(
    `insert into teams (name, slug, max_concurrent_tasks) values ('Q', 'q', 2) returning id`,
  );
  teamId = rows[0]!.id;
});
afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
});

async function task(): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `insert into tasks (team_id, prompt, model) values ($1, 'x', 'claude-sonnet-5') returning id`,
    [teamId],
  );
  return rows[0]!.id;
}

describe('beginAttempt', () => {
  it('holds the team quota exactly, even when many workers start tasks at the same instant', async () => {
    const ids = await Promise.all(Array.from({ length: 8 }, () => task()));
    const results = await Promise.all(
      ids.map((id, i) => beginAttempt(pool, id, `job-${i}`, teamId)),
    );
    expect(results.filter((r) => r === 1)).toHaveLength(2);
    expect(results.filter((r) => r === 'over-quota')).toHaveLength(6);
    const started = ids.filter((_, i) => results[i] === 1);
    const waiting = ids.filter((_, i) => results[i] === 'over-quota');
    // a slot frees: exactly one more may start
    await finish(pool, started[0]!, 'succeeded', { result: 'done' });
    const next = await Promise.all(
      waiting.map((id, i) => beginAttempt(pool, id, `job-b${i}`, teamId)),
    );
    expect(next.filter((r) => r === 1)).toHaveLength(1);
  });

  it('counts a retried attempt and leaves a finished task alone', async () => {
    const id = await task();
    await pool.query(`update teams set max_concurrent_tasks = 64 where id = $1`, [teamId]);
    expect(await beginAttempt(pool, id, 'j1', teamId)).toBe(1);
    expect(await beginAttempt(pool, id, 'j2', teamId)).toBe(2); // the retry after a crash
    await finish(pool, id, 'failed', { error: { type: 'Unknown', message: 'x' } });
    expect(await beginAttempt(pool, id, 'j3', teamId)).toBeUndefined();
  });
});

describe('startTask and settleTask', () => {
  it('starts in one statement: attempt counted, attempt_started written, saved session returned', async () => {
    await pool.query(`update teams set max_concurrent_tasks = 64 where id = $1`, [teamId]);
    const id = await task();
    const first = await startTask(pool, id, 'job-1', 0);
    expect(first).toMatchObject({ outcome: 'started', attempt: 1, lastSeq: 1, session: null });
    if (first.outcome !== 'started') throw new Error('not started');
    expect(first.task).toMatchObject({ id, team_id: teamId, prompt: 'x', backend: 'api' });
    // The attempt ends with two more events and its conversation, and goes back to the queue.
    const made = await settleTask(pool, id, 'queued', {
      reason: 'retrying',
      events: [
        { seq: 2, attempt: 1, type: 'text', data: { text: 'hi' }, at: new Date() },
        { seq: 3, attempt: 1, type: 'error', data: { type: 'Overloaded' }, at: new Date() },
      ],
      session: {
        backend: 'api',
        model: 'claude-sonnet-5',
        config: { model: 'claude-sonnet-5' },
        messageCount: 2,
        inputTokens: 10,
        outputTokens: 5,
        cacheWriteTokens: 0,
        cacheReadTokens: 0,
        summary: null,
        stateJson: JSON.stringify({ conversationId: id, messages: ['x', 'hi'] }),
      },
    });
    expect(made).toBe(true);
    const { rows: t1 } = await pool.query('select status, status_reason from tasks where id = $1', [
      id,
    ]);
    expect(t1[0]).toEqual({ status: 'queued', status_reason: 'retrying' });
    // The retry continues the sequence and gets the conversation back.
    const second = await startTask(pool, id, 'job-1', 1);
    expect(second).toMatchObject({
      outcome: 'started',
      attempt: 2,
      lastSeq: 4,
      session: { conversationId: id, messages: ['x', 'hi'] },
    });
    expect(await settleTask(pool, id, 'succeeded', { result: 'done' })).toBe(true);
    expect(await settleTask(pool, id, 'failed', { error: { type: 'X', message: 'late' } })).toBe(
      false,
    );
    const { rows: events } = await pool.query<{ seq: number; attempt: number; type: string }>(
      'select seq, attempt, type from task_events where task_id = $1 order by seq',
      [id],
    );
    expect(events.map((e) => `${e.seq}:${e.attempt}:${e.type}`)).toEqual([
      '1:1:attempt_started',
      '2:1:text',
      '3:1:error',
      '4:2:attempt_started',
    ]);
    const { rows: sessions } = await pool.query(
      'select team_id, task_id, message_count, state from claude_sessions where provider_session_id = $1',
      [id],
    );
    // The task succeeded: its conversation ended with it (a retry would have left it idle).
    expect(sessions).toEqual([{ team_id: teamId, task_id: id, message_count: 2, state: 'closed' }]);
    const { rows: t2 } = await pool.query(
      'select status, result, attempts from tasks where id = $1',
      [id],
    );
    expect(t2[0]).toEqual({ status: 'succeeded', result: 'done', attempts: 2 });
    expect((await startTask(pool, id, 'job-2')).outcome).toBe('finished');
  });

  it('writes the usage in the settle statement: with the status or not at all, and once', async () => {
    const id = await task();
    expect((await startTask(pool, id, 'job-u', 0)).outcome).toBe('started');
    const rec = (n: string, over: Partial<UsageRow> = {}): UsageRow => ({
      providerRequestId: `req_settle_${n}`,
      messageId: `msg_${n}`,
      taskId: id,
      teamId,
      backend: 'api',
      model: 'claude-haiku-4-5',
      inputTokens: 10,
      outputTokens: 4,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
      costUsd: '0.00003',
      status: 'ok',
      ...over,
    });
    const count = async () =>
      (
        await pool.query<{ n: number; out: number }>(
          'select count(*)::int as n, coalesce(sum(output_tokens), 0)::int as out from usage_events where task_id = $1',
          [id],
        )
      ).rows[0];
    // A row with an unknown session fails the statement: neither the usage nor the status lands.
    const bad = rec('b', { sessionId: '00000000-0000-4000-8000-00000000beef' });
    await expect(
      settleTask(pool, id, 'succeeded', { result: 'x', usage: [rec('a'), bad] }),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await count()).toEqual({ n: 0, out: 0 });
    const { rows: still } = await pool.query('select status from tasks where id = $1', [id]);
    expect(still[0]).toEqual({ status: 'running' });
    // Settled with its usage; a second settle with the same rows (a retry) counts nothing twice.
    const usage = [rec('a'), rec('b'), rec('a')];
    expect(await settleTask(pool, id, 'succeeded', { result: 'ok', usage })).toBe(true);
    expect(await count()).toEqual({ n: 2, out: 8 });
    expect(await settleTask(pool, id, 'succeeded', { result: 'ok', usage })).toBe(false);
    expect(await count()).toEqual({ n: 2, out: 8 });
    const { rows } = await pool.query('select status, result from tasks where id = $1', [id]);
    expect(rows[0]).toEqual({ status: 'succeeded', result: 'ok' });
  });

  it('cancels a task whose cancellation came before it started, and knows a missing one', async () => {
    const id = await task();
    await pool.query('update tasks set cancel_requested_at = now() where id = $1', [id]);
    expect((await startTask(pool, id, 'job-c')).outcome).toBe('cancelled');
    const { rows } = await pool.query(
      'select status, status_reason, attempts, finished_at is not null as finished from tasks where id = $1',
      [id],
    );
    expect(rows[0]).toEqual({
      status: 'cancelled',
      status_reason: 'cancelled before it started',
      attempts: 0,
      finished: true,
    });
    expect((await startTask(pool, '00000000-0000-4000-8000-000000000000', 'job-m')).outcome).toBe(
      'missing',
    );
  });
});

describe('startTask of a claude-code task', () => {
  it('returns the team’s tools and mode, the instance limits and the task’s repository, in the same statement', async () => {
    const { rows: t } = await pool.query<{ id: string }>(
      `insert into teams (name, slug, claude_code_tools, claude_code_permission_mode)
       values ('CC', 'cc-policy', '{Read,Bash}', 'dontAsk') returning id`,
    );
    const cc = t[0]!.id;
    const { rows: other } = await pool.query<{ id: string }>(
      `insert into teams (name, slug) values ('Other', 'other-policy') returning id`,
    );
    const repo = await pool.query<{ id: string }>(
      `insert into team_repositories (team_id, name, source, default_ref) values ($1, 'app', '/srv/repos/app.git', 'main') returning id`,
      [cc],
    );
    const foreign = await pool.query<{ id: string }>(
      `insert into team_repositories (team_id, name, source) values ($1, 'theirs', '/srv/repos/theirs.git') returning id`,
      [other[0]!.id],
    );
    await pool.query('update instance_settings set task_memory_mb = 1536');
    const mk = async (options: object) =>
      (
        await pool.query<{ id: string }>(
          `insert into tasks (team_id, prompt, model, backend, options) values ($1, 'x', 'claude-opus-5-5', 'claude-code', $2) returning id`,
          [cc, JSON.stringify(options)],
        )
      ).rows[0]!.id;
    const mine = await startTask(
      pool,
      await mk({ repositoryId: repo.rows[0]!.id, ref: 'v1' }),
      'j1',
    );
    expect(mine.outcome).toBe('started');
    if (mine.outcome !== 'started') return;
    expect(mine.task.sandbox).toEqual({
      tools: ['Read', 'Bash'],
      permission_mode: 'dontAsk',
      limits: { memory_mb: 1536, max_processes: 512, cpu_seconds: 1800, disk_mb: 2048 },
    });
    expect(mine.task.repository).toEqual({
      id: repo.rows[0]!.id,
      name: 'app',
      source: '/srv/repos/app.git',
      default_ref: 'main',
    });
    // Another team's repository is never handed out.
    const theirs = await startTask(pool, await mk({ repositoryId: foreign.rows[0]!.id }), 'j2');
    expect(theirs.outcome === 'started' && theirs.task.repository).toBeNull();
    // An api task carries none of it.
    const api = await startTask(pool, await task(), 'j3');
    expect(api.outcome === 'started' && api.task.sandbox).toBeUndefined();
  });
});

describe('fencing', () => {
  it('a stale attempt writes no event, no session and no status; its usage is kept', async () => {
    const id = await task();
    const first = await startTask(pool, id, 'j1');
    expect(first.outcome === 'started' && first.attempt).toBe(1);
    // The worker of attempt 1 stalls past its heartbeat; the task starts again elsewhere.
    const second = await startTask(pool, id, 'j1', 1);
    expect(second.outcome === 'started' && second.attempt).toBe(2);
    const usage: UsageRow = {
      providerRequestId: `req_stale_${id}`,
      messageId: `msg_stale_${id}`,
      taskId: id,
      teamId,
      backend: 'api',
      model: 'claude-sonnet-5',
      inputTokens: 7,
      outputTokens: 3,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      cacheReadTokens: 0,
      costUsd: '0.0001',
      status: 'ok',
    };
    const lastSeq = first.outcome === 'started' ? first.lastSeq : 0;
    const stale = await settleTask(pool, id, 'succeeded', {
      attempt: 1,
      result: 'from the stalled worker',
      events: [{ seq: lastSeq + 1, attempt: 1, type: 'result', data: {}, at: new Date() }],
      usage: [usage],
    });
    expect(stale).toBe(false);
    const { rows } = await pool.query(`select status, attempts, result from tasks where id = $1`, [
      id,
    ]);
    expect(rows[0]).toEqual({ status: 'running', attempts: 2, result: null });
    const { rows: events } = await pool.query(
      `select attempt, type from task_events where task_id = $1 order by seq`,
      [id],
    );
    expect(events).toEqual([
      { attempt: 1, type: 'attempt_started' },
      { attempt: 2, type: 'attempt_started' },
    ]);
    const { rows: used } = await pool.query(
      `select output_tokens from usage_events where task_id = $1`,
      [id],
    );
    expect(used).toEqual([{ output_tokens: 3 }]);
    // The latest attempt settles.
    expect(await settleTask(pool, id, 'succeeded', { attempt: 2, result: 'done' })).toBe(true);
  });

  it('the event writer refuses a stale attempt’s events and names it', async () => {
    const { EventWriter } = await import('./events');
    const id = await task();
    const first = await startTask(pool, id, 'j1');
    await startTask(pool, id, 'j1', 1);
    const stale: [string, number][] = [];
    const writer = new EventWriter(pool, { onStale: (t, a) => stale.push([t, a]) });
    await writer.open(id, first.outcome === 'started' ? first.lastSeq : 0);
    writer.append(id, 1, { type: 'text', data: { text: 'late' } });
    await writer.flush();
    expect(stale).toEqual([[id, 1]]);
    writer.append(id, 2, { type: 'text', data: { text: 'current' } });
    await writer.flush();
    expect(stale).toHaveLength(1);
    const { rows } = await pool.query(
      `select attempt, type from task_events where task_id = $1 order by seq`,
      [id],
    );
    expect(rows.map((r) => `${r.type}@${r.attempt}`)).toEqual([
      'attempt_started@1',
      'attempt_started@2',
      'text@2',
    ]);
  });
});
