import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDb, type DbClient } from '@baton/db';
import { createBoss, type PgBoss, submitTask } from '@baton/db/queue';
import { teams } from '@baton/db/schema';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { spawnWorker, type WorkerProcess } from './fleet-helpers';
import { terminalTask } from './wait';

// BATON_CONFIG: the worker reads Baton's one configuration file through @baton/core's loader.
const workers: WorkerProcess[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'baton-worker-config-'));
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

describe('the configuration file', { timeout: 120_000 }, () => {
  let tdb: TestDatabase;
  let client: DbClient;
  let boss: PgBoss;
  let sim: RunningSimulator;

  beforeAll(async () => {
    tdb = await createTestDatabase(inject('pgAdminUrl'));
    client = createDb(tdb.url);
    boss = await createBoss(tdb.url, { supervise: false });
    sim = await startSimulator({ port: 0, response: { ttftMs: 0, tokensPerSecond: 0, seed: 3 } });
  });
  afterAll(async () => {
    await boss?.stop({ graceful: false });
    await sim?.close();
    await client?.close();
    await tdb?.drop();
  });

  const env = (file: string) => ({
    DATABASE_URL: tdb.url,
    ANTHROPIC_BASE_URL: sim.url,
    ANTHROPIC_API_KEY: 'sk-config',
    BATON_SANDBOX: 'off',
    BATON_CONFIG: file,
  });

  it('a bad value stops the start with an error naming its key', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'claudeCode:\n  maxConcurrent: 0\nmulti_agent:\n  max_depth: 40\n');
    const w = spawnWorker('config-bad', env(file));
    workers.push(w);
    const code = await w.exited;
    expect(code).not.toBe(0);
    const logs = w.logs.join('\n');
    expect(logs).toContain('claudeCode.maxConcurrent');
    expect(logs).toContain('multi_agent.max_depth');
  });

  it("the Claude Code section's CLI path is the one the worker runs", async () => {
    const file = path.join(dir, 'cli.yaml');
    const missing = path.join(dir, 'no-such-claude');
    writeFileSync(file, `claudeCode:\n  pathToClaudeCodeExecutable: ${missing}\n`);
    const w = spawnWorker('config-cli', env(file));
    workers.push(w);
    await w.healthUrl;
    const [team] = await client.db
      .insert(teams)
      .values({ name: 'config', slug: 'config', allowInstanceKey: true })
      .returning();
    const task = await submitTask(client.db, boss, {
      teamId: team!.id,
      title: 'cc',
      prompt: 'say hi',
      backend: 'claude-code',
      model: 'claude-haiku-4-5',
    });
    const done = await terminalTask(client.pool, task.id, 60_000);
    expect(done.status).toBe('failed');
    expect(done.error?.type).toBe('CliNotFound');
    expect(JSON.stringify(done.error)).toContain('no-such-claude');
  });

  it('a worker started from its entry runs a coordinated run on the api queue, with the file’s tree limits', async () => {
    const file = path.join(dir, 'agents.yaml');
    writeFileSync(file, 'multi_agent:\n  max_agents: 5\n  max_depth: 1\n');
    const w = spawnWorker('config-coordinate', { ...env(file), BATON_SANDBOX: 'off' });
    workers.push(w);
    await w.healthUrl;
    const [team] = await client.db
      .insert(teams)
      .values({ name: 'coord', slug: 'coord', allowInstanceKey: true, maxConcurrentTasks: 10 })
      .returning();
    const { startCoordination } = await import('@baton/api/agents');
    const started = await startCoordination(
      { db: client.db, pool: client.pool, boss: async () => boss },
      { teamId: team!.id, userId: null },
      {
        goal: 'Name a colour.',
        strategy: 'hierarchical',
        agents: [{ role: 'painter', instructions: 'Name one colour.' }],
        budgetUsd: 2,
      },
    );
    const root = await terminalTask(client.pool, started.root_id, 90_000);
    expect(root.status, root.status_reason ?? '').toBe('succeeded');
    const { rows } = await client.pool.query<{ role: string; status: string }>(
      `select role, status::text as status from tasks where root_task_id = $1 order by depth, created_at`,
      [started.root_id],
    );
    expect(rows.map((r) => [r.role, r.status])).toEqual([
      ['coordinator', 'succeeded'],
      ['painter', 'succeeded'],
      ['synthesiser', 'succeeded'],
    ]);
  });
});
