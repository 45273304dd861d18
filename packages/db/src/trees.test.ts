/**
 * An agent tree's limits and budget as the task lifecycle statements enforce them
 * (packages/db/sql/task_lifecycle.sql, packages/db/sql/spend.sql): a stopped or spent tree's task
 * does not start, one over the tree's max_concurrent is deferred as a team over its quota is, the
 * tree's spend follows its tasks' usage (and only theirs), the budget reached stops the tree and
 * tells the workers, and the root's end ends the tree and its queued agents.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPool } from './pool';
import { createTestDatabase, type TestDatabase } from './testing';
import { insertUsage, type UsageRow } from './usage';

let tdb: TestDatabase;
let pool: ReturnType<typeof createPool>;
const team = randomUUID();

beforeAll(async () => {
  tdb = await createTestDatabase(inject('pgAdminUrl'));
  pool = createPool(tdb.url, { max: 4 });
  // A team quota out of the way: the limits under test are the trees'.
  await pool.query(
    `insert into teams (id, name, slug, max_concurrent_tasks) values ($1, 'Trees', 'trees', 1000)`,
    [team],
  );
});

afterAll(async () => {
  await pool?.end();
  await tdb?.drop();
});

interface TreeLimits {
  maxConcurrent?: number;
  budgetUsd?: string | null;
  budgetTokens?: number | null;
  status?: string;
  stopReason?: string | null;
}

/** A root task with its tree around it (root_task_id = its own id), and `children` agents queued. */
async function tree(
  limits: TreeLimits = {},
  children = 0,
): Promise<{ root: string; agents: string[] }> {
  const root = randomUUID();
  await pool.query(
    `insert into tasks (id, team_id, prompt, model, root_task_id, role)
     values ($1, $2, 'root', 'claude-sonnet-4-5', $1, 'lead')`,
    [root, team],
  );
  await pool.query(
    `insert into task_trees (root_task_id, team_id, max_agents, max_depth, max_concurrent,
                             budget_usd, budget_tokens, agents, status, stop_reason)
     values ($1, $2, 10, 2, $3, $4, $5, $6, $7, $8)`,
    [
      root,
      team,
      limits.maxConcurrent ?? 10,
      limits.budgetUsd ?? null,
      limits.budgetTokens ?? null,
      1 + children,
      limits.status ?? 'running',
      limits.stopReason ?? null,
    ],
  );
  const agents: string[] = [];
  for (let i = 0; i < children; i++) {
    const id = randomUUID();
    await pool.query(
      `insert into tasks (id, team_id, prompt, model, root_task_id, depth, role)
       values ($1, $2, 'child', 'claude-sonnet-4-5', $3, 1, 'worker')`,
      [id, team, root],
    );
    agents.push(id);
  }
  return { root, agents };
}

async function ordinaryTask(): Promise<string> {
  const id = randomUUID();
  await pool.query(
    `insert into tasks (id, team_id, prompt, model) values ($1, $2, 'p', 'claude-sonnet-4-5')`,
    [id, team],
  );
  return id;
}

interface Started {
  outcome: string;
  attempt: number | null;
  task: { capped: boolean; root_task_id: string | null } | null;
}

async function start(task: string): Promise<Started> {
  const { rows } = await pool.query<Started>(
    `select outcome, attempt, task from baton_task_start($1, $2, 0)`,
    [task, `job-${randomUUID()}`],
  );
  return rows[0]!;
}

async function settle(task: string, status: string, attempt: number | null, reason?: string) {
  const { rows } = await pool.query<{ made: boolean }>(
    `select baton_task_settle($1, $2, $3, null, null, null, null, $4) as made`,
    [task, status, reason ?? null, attempt],
  );
  return rows[0]!.made;
}

async function taskRow(id: string) {
  const { rows } = await pool.query<{
    status: string;
    status_reason: string | null;
    error: { type: string; message: string; tree?: Record<string, unknown> } | null;
  }>(`select status::text, status_reason, error from tasks where id = $1`, [id]);
  return rows[0]!;
}

async function treeRow(root: string) {
  const { rows } = await pool.query<{
    status: string;
    stop_reason: string | null;
    spent_usd: string;
    spent_tokens: string;
  }>(
    `select status, stop_reason, spent_usd::text, spent_tokens::text from task_trees where root_task_id = $1`,
    [root],
  );
  return rows[0]!;
}

let n = 0;
const usage = (
  taskId: string | null,
  cost: string,
  tokens: Partial<
    Pick<
      UsageRow,
      | 'inputTokens'
      | 'outputTokens'
      | 'cacheWrite5mTokens'
      | 'cacheWrite1hTokens'
      | 'cacheReadTokens'
    >
  > = {},
): UsageRow => ({
  providerRequestId: `req_tree_${++n}`,
  messageId: `msg_${n}`,
  taskId,
  teamId: team,
  backend: 'api',
  model: 'claude-sonnet-4-5',
  inputTokens: 0,
  outputTokens: 0,
  cacheWrite5mTokens: 0,
  cacheWrite1hTokens: 0,
  cacheReadTokens: 0,
  ...tokens,
  costUsd: cost,
  status: 'ok',
});

/** Collects baton_spend_cap notifications while `fn` runs (and a moment after). */
async function capNotices(fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const listener = new pg.Client({ connectionString: tdb.url });
  await listener.connect();
  const got: Record<string, unknown>[] = [];
  listener.on('notification', (m) => got.push(JSON.parse(m.payload ?? '{}')));
  await listener.query('listen baton_spend_cap');
  try {
    await fn();
    await new Promise((r) => setTimeout(r, 300));
    return got;
  } finally {
    await listener.end();
  }
}

describe('start of a tree task', () => {
  it('in a cancelled tree: the task ends cancelled, its reason naming the tree', async () => {
    const t = await tree({ status: 'cancelled', stopReason: 'cancelled by Ann' }, 1);
    const s = await start(t.agents[0]!);
    expect(s.outcome).toBe('cancelled');
    expect(await taskRow(t.agents[0]!)).toMatchObject({
      status: 'cancelled',
      status_reason: 'not started: the agent tree was cancelled — cancelled by Ann',
      error: null,
    });
  });

  it('in a spent tree: the task ends budget_exceeded with the budget in its reason', async () => {
    const t = await tree({ budgetUsd: '0.50' }, 1);
    await pool.query(`update task_trees set spent_usd = 0.50123 where root_task_id = $1`, [t.root]);
    const s = await start(t.agents[0]!);
    expect(s.outcome).toBe('budget-exceeded');
    const row = await taskRow(t.agents[0]!);
    expect(row.status).toBe('budget_exceeded');
    expect(row.status_reason).toBe(
      "not started: the agent tree's budget of $0.50 is spent ($0.5012)",
    );
    expect(row.error).toMatchObject({
      type: 'BudgetExceeded',
      message: "the agent tree's budget of $0.50 is spent ($0.5012)",
      tree: { rootTaskId: t.root, budgetUsd: '0.500000', spentUsd: '0.5012300000' },
    });
    // The tree read running with its budget spent: it stops now, for its other agents too.
    expect(await treeRow(t.root)).toMatchObject({
      status: 'budget_exceeded',
      stop_reason: "the agent tree's budget of $0.50 is spent ($0.5012)",
    });
    // A token budget spent refuses a start the same way.
    const k = await tree({ budgetTokens: 1000 }, 1);
    await pool.query(`update task_trees set spent_tokens = 1000 where root_task_id = $1`, [k.root]);
    expect((await start(k.agents[0]!)).outcome).toBe('budget-exceeded');
    expect((await taskRow(k.agents[0]!)).status_reason).toBe(
      "not started: the agent tree's budget of 1000 tokens is spent (1000 tokens)",
    );
  });

  it('past max_concurrent: deferred (over-quota) until a running agent settles', async () => {
    const t = await tree({ maxConcurrent: 1 }, 1);
    const first = await start(t.root);
    expect(first.outcome).toBe('started');
    expect(first.task).toMatchObject({ root_task_id: t.root, capped: false });
    const second = await start(t.agents[0]!);
    expect(second.outcome).toBe('over-quota');
    // Deferred, not ended: still queued, as a team over its quota leaves it.
    expect(await taskRow(t.agents[0]!)).toMatchObject({ status: 'queued' });
    // A retry of the running one (its own slot) is not held back by itself.
    await settle(t.root, 'queued', first.attempt);
    expect((await start(t.agents[0]!)).outcome).toBe('started');
    expect((await start(t.root)).outcome).toBe('over-quota');
  });

  it('a running tree within its budget starts its task, capped (usage written as it comes)', async () => {
    const t = await tree({ budgetUsd: '1', maxConcurrent: 2 }, 1);
    const s = await start(t.agents[0]!);
    expect(s.outcome).toBe('started');
    expect(s.task).toMatchObject({ root_task_id: t.root, capped: true });
    // An ordinary task: no tree, not capped.
    const o = await start(await ordinaryTask());
    expect(o.outcome).toBe('started');
    expect(o.task).toMatchObject({ root_task_id: null, capped: false });
  });
});

describe('inputs sent to an agent', () => {
  it('an attempt takes the inputs not yet taken, in order, once; an ordinary task has none', async () => {
    const t = await tree({}, 1);
    const agent = t.agents[0]!;
    await pool.query(
      `insert into task_inputs (task_id, message) values ($1, 'first'), ($1, 'second')`,
      [agent],
    );
    const s = await start(agent);
    expect(s.outcome).toBe('started');
    const inputs = (s.task as { inputs?: { id: number; message: string }[] }).inputs;
    expect(inputs?.map((i) => i.message)).toEqual(['first', 'second']);
    const { rows } = await pool.query<{ pending: number }>(
      `select count(*) filter (where consumed_at is null)::int as pending from task_inputs where task_id = $1`,
      [agent],
    );
    expect(rows[0]!.pending).toBe(0);
    // The next attempt takes only what came since.
    await settle(agent, 'queued', s.attempt);
    await pool.query(`insert into task_inputs (task_id, message) values ($1, 'third')`, [agent]);
    const again = await start(agent);
    expect(
      (again.task as { inputs?: { message: string }[] }).inputs?.map((i) => i.message),
    ).toEqual(['third']);
    const third = await start(agent);
    expect((third.task as { inputs?: unknown }).inputs).toBeUndefined();
    const o = await start(await ordinaryTask());
    expect((o.task as { inputs?: unknown }).inputs).toBeUndefined();
  });
});

describe('tree spend', () => {
  it('adds each tree task’s cost and tokens to its tree, exactly; ordinary usage leaves trees alone', async () => {
    const a = await tree({}, 1);
    const b = await tree({}, 0);
    const plain = await ordinaryTask();
    const before = await pool.query(`select * from task_trees order by root_task_id`);
    await insertUsage(pool, [usage(plain, '0.25', { inputTokens: 1000, outputTokens: 500 })]);
    await insertUsage(pool, [usage(null, '0.10', { inputTokens: 10 })]);
    expect((await pool.query(`select * from task_trees order by root_task_id`)).rows).toEqual(
      before.rows,
    );
    // One batch across two trees and an ordinary task, tokens of every kind counted.
    const rows = [
      usage(a.root, '0.0012345', {
        inputTokens: 100,
        outputTokens: 20,
        cacheWrite5mTokens: 3,
        cacheWrite1hTokens: 4,
        cacheReadTokens: 5,
      }),
      usage(a.agents[0]!, '0.0100000', { inputTokens: 1000, outputTokens: 200 }),
      usage(b.root, '0.5', { outputTokens: 7 }),
      usage(plain, '9', { inputTokens: 99999 }),
    ];
    await insertUsage(pool, rows);
    // The same rows again (a retried write): counted once.
    await insertUsage(pool, rows);
    expect(await treeRow(a.root)).toMatchObject({
      spent_usd: '0.0112345000',
      spent_tokens: '1332',
      status: 'running',
    });
    expect(await treeRow(b.root)).toMatchObject({ spent_usd: '0.5000000000', spent_tokens: '7' });
    // The usage rows' references are still checked (the lookup the tree spend rides on).
    await expect(insertUsage(pool, [usage(randomUUID(), '0.1')])).rejects.toMatchObject({
      code: '23503',
      constraint: 'usage_events_task_id_tasks_id_fk',
    });
  });

  it('reaching the budget stops the tree and tells the workers running its agents', async () => {
    const t = await tree({ budgetUsd: '0.05', budgetTokens: 1_000_000 }, 2);
    const root = await start(t.root);
    const agent = await start(t.agents[0]!);
    expect([root.outcome, agent.outcome]).toEqual(['started', 'started']);
    expect(agent.task?.capped).toBe(true);
    const below = await capNotices(() =>
      insertUsage(pool, [usage(t.agents[0]!, '0.03', { outputTokens: 100 })]),
    );
    expect(below).toEqual([]);
    expect((await treeRow(t.root)).status).toBe('running');
    const reached = await capNotices(() =>
      insertUsage(pool, [usage(t.root, '0.0212', { outputTokens: 50 })]),
    );
    const message = "the agent tree's budget of $0.05 is spent ($0.0512)";
    expect(reached).toEqual([{ scope: 'tree', team, root: t.root, message }]);
    expect(await treeRow(t.root)).toEqual({
      status: 'budget_exceeded',
      stop_reason: message,
      spent_usd: '0.0512000000',
      spent_tokens: '150',
    });
    // A request in flight when it was reached lands after: counted, and the agents told again.
    const late = await capNotices(() =>
      insertUsage(pool, [usage(t.agents[0]!, '0.001', { outputTokens: 1 })]),
    );
    expect(late).toEqual([{ scope: 'tree', team, root: t.root, message }]);
    expect(await treeRow(t.root)).toMatchObject({
      spent_usd: '0.0522000000',
      stop_reason: message,
    });
    // The agent still queued does not start.
    expect((await start(t.agents[1]!)).outcome).toBe('budget-exceeded');
    expect((await taskRow(t.agents[1]!)).status_reason).toBe(`not started: ${message}`);
  });

  it('a token budget stops the tree as well', async () => {
    const t = await tree({ budgetTokens: 500 }, 0);
    await start(t.root);
    const got = await capNotices(() =>
      insertUsage(pool, [usage(t.root, '0.001', { inputTokens: 400, cacheReadTokens: 100 })]),
    );
    expect(got).toEqual([
      {
        scope: 'tree',
        team,
        root: t.root,
        message: "the agent tree's budget of 500 tokens is spent (500 tokens)",
      },
    ]);
    expect((await treeRow(t.root)).status).toBe('budget_exceeded');
  });
});

describe('settle', () => {
  it('the root’s end: the tree follows and its queued agents are cancelled', async () => {
    const t = await tree({}, 3);
    const root = await start(t.root);
    const running = await start(t.agents[0]!);
    expect(running.outcome).toBe('started');
    // A non-root agent settling changes nothing for the tree.
    expect(await settle(t.agents[0]!, 'succeeded', running.attempt)).toBe(true);
    expect(await treeRow(t.root)).toMatchObject({ status: 'running', stop_reason: null });
    const other = await start(t.agents[1]!);
    expect(other.outcome).toBe('started');
    expect(await settle(t.root, 'failed', root.attempt, 'the model refused')).toBe(true);
    expect(await treeRow(t.root)).toMatchObject({
      status: 'failed',
      stop_reason: 'the root task ended failed: the model refused',
    });
    expect(await taskRow(t.agents[2]!)).toMatchObject({
      status: 'cancelled',
      status_reason: "the tree's root ended",
    });
    // The one running and the one finished keep their own course.
    expect((await taskRow(t.agents[1]!)).status).toBe('running');
    expect((await taskRow(t.agents[0]!)).status).toBe('succeeded');
    // The cancelled agent's job, when it comes, finds it finished.
    expect((await start(t.agents[2]!)).outcome).toBe('finished');
  });

  it('each terminal status of the root maps to the tree’s; a tree already stopped keeps its own', async () => {
    for (const [status, tree_status] of [
      ['succeeded', 'succeeded'],
      ['cancelled', 'cancelled'],
      ['timed_out', 'failed'],
      ['budget_exceeded', 'budget_exceeded'],
    ] as const) {
      const t = await tree({}, 0);
      const s = await start(t.root);
      await settle(t.root, status, s.attempt);
      expect((await treeRow(t.root)).status).toBe(tree_status);
    }
    const spent = await tree({ budgetUsd: '0.01' }, 1);
    const s = await start(spent.root);
    await insertUsage(pool, [usage(spent.root, '0.02')]);
    await settle(spent.root, 'succeeded', s.attempt);
    expect(await treeRow(spent.root)).toMatchObject({
      status: 'budget_exceeded',
      stop_reason: "the agent tree's budget of $0.01 is spent ($0.0200)",
    });
    expect((await taskRow(spent.agents[0]!)).status).toBe('cancelled');
    // A retry of the root (back to queued) is no end.
    const r = await tree({}, 1);
    const rs = await start(r.root);
    await settle(r.root, 'queued', rs.attempt, 'retrying');
    expect((await treeRow(r.root)).status).toBe('running');
    expect((await taskRow(r.agents[0]!)).status).toBe('queued');
  });

  it('a root cancelled before it started ends its tree too', async () => {
    const t = await tree({}, 1);
    await pool.query(`update tasks set cancel_requested_at = now() where id = $1`, [t.root]);
    expect((await start(t.root)).outcome).toBe('cancelled');
    expect(await treeRow(t.root)).toMatchObject({
      status: 'cancelled',
      stop_reason: 'the root task ended cancelled: cancelled before it started',
    });
    expect((await taskRow(t.agents[0]!)).status).toBe('cancelled');
  });
});
