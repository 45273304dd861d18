import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanEnv, runCli } from './helpers';

// The task commands against a database with no worker running: what is
// queued stays queued, so each command's effect is observable.
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(
    `insert into teams (name, slug, allow_instance_key) values ('Demo', 'demo', true), ('Other', 'other', true)`,
  );
  await c.end();
  env = cleanEnv({ DATABASE_URL: db.url });
});
afterAll(async () => db?.drop());

async function cli(...args: string[]) {
  const run = runCli(args, env);
  const code = await run.exited;
  return { code, out: run.output() };
}

describe('baton task', () => {
  let id: string;

  it('submits a task to the demo team by default', async () => {
    const r = await cli(
      'task',
      'submit',
      'write a haiku',
      '--model',
      'claude-haiku-4-5',
      '--priority',
      '7',
      '--json',
    );
    expect(r.code).toBe(0);
    const task = JSON.parse(r.out) as {
      id: string;
      team: string;
      status: string;
      model: string;
      usage: { requests: number };
      costUsd: string;
    };
    expect(task).toMatchObject({
      team: 'demo',
      status: 'queued',
      model: 'claude-haiku-4-5',
      usage: { requests: 0 },
      costUsd: '0',
    });
    id = task.id;
  });

  it("takes the configuration file's default models (--config), and refuses a bad one naming the key", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-cli-config-'));
    try {
      const file = path.join(dir, 'baton.yaml');
      writeFileSync(
        file,
        'models:\n  default: claude-opus-4-6\nclaudeCode:\n  model: claude-haiku-4-5\n',
      );
      const api = await cli('--config', file, 'task', 'submit', 'plain', '--json');
      expect(api.code).toBe(0);
      expect(JSON.parse(api.out)).toMatchObject({ model: 'claude-opus-4-6', backend: 'api' });
      const cc = await cli(
        '--config',
        file,
        'task',
        'submit',
        'code',
        '--backend',
        'claude-code',
        '--json',
      );
      expect(cc.code).toBe(0);
      expect(JSON.parse(cc.out)).toMatchObject({ model: 'claude-haiku-4-5' });
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, 'multi_agent:\n  max_agents: -1\n');
      const r = await cli('--config', bad, 'task', 'list');
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('multi_agent.max_agents');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad input with a message naming the option', async () => {
    expect((await cli('task', 'submit', 'x', '--backend', 'gpt')).out).toMatch(
      /--backend must be api or claude-code/,
    );
    expect((await cli('task', 'submit', 'x', '--priority', '500')).out).toMatch(
      /--priority must be an integer from -100 to 100/,
    );
    expect((await cli('task', 'submit', 'x', '--team', 'nope')).out).toMatch(/no team "nope"/);
    expect((await cli('task', 'list', '--status', 'exploded')).out).toMatch(
      /--status must be one of/,
    );
  });

  it('lists and shows it', async () => {
    const list = await cli('task', 'list', '--team', 'demo', '--json');
    expect((JSON.parse(list.out) as { id: string }[]).map((t) => t.id)).toContain(id);
    const show = await cli('task', 'show', id, '--json');
    expect(JSON.parse(show.out)).toMatchObject({
      id,
      status: 'queued',
      prompt: 'write a haiku',
      events: [],
    });
  });

  it('cancels a queued task, then re-drives it', async () => {
    expect((await cli('task', 'cancel', id)).out).toMatch(`cancelled ${id}`);
    expect((await cli('task', 'cancel', id)).out).toMatch('had already finished');
    const retry = await cli('task', 'retry', id);
    expect(retry.code).toBe(0);
    expect(retry.out).toMatch(`requeued ${id}`);
    const show = JSON.parse((await cli('task', 'show', id, '--json')).out) as {
      status: string;
      statusReason: string;
    };
    expect(show).toMatchObject({ status: 'queued', statusReason: 're-driven by cli' });
    expect((await cli('task', 'retry', id)).out).toMatch('is still queued or running');
  });

  it("cancelling an agent tree's root cancels the whole tree", async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ id: string }>(
        `with t as (select id from teams where slug = 'demo')
         insert into tasks (team_id, prompt, model) select t.id, 'lead', 'claude-haiku-4-5' from t returning id`,
      );
      const root = rows[0]!.id;
      await c.query(`update tasks set root_task_id = id where id = $1`, [root]);
      await c.query(
        `insert into task_trees (root_task_id, team_id, max_agents, max_depth, max_concurrent, agents)
         select id, team_id, 8, 2, 4, 3 from tasks where id = $1`,
        [root],
      );
      await c.query(
        `insert into tasks (team_id, prompt, model, parent_task_id, root_task_id, depth)
         select team_id, p, model, id, id, 1 from tasks, unnest(array['a', 'b']) p where id = $1`,
        [root],
      );
      const r = await cli('task', 'cancel', root);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(`cancelled ${root} and what it spawned: 3 agent(s) asked to stop`);
      const after = await c.query<{ status: string }>(
        `select status::text from tasks where root_task_id = $1`,
        [root],
      );
      expect(after.rows.map((x) => x.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      const tree = await c.query(`select status from task_trees where root_task_id = $1`, [root]);
      expect(tree.rows[0]).toEqual({ status: 'cancelled' });
      expect((await cli('task', 'cancel', 'not-a-task')).out).toMatch('no task not-a-task');
    } finally {
      await c.end();
    }
  });
});
