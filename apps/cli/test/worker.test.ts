import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encryptSecret } from '@baton/db/crypto';
import { createTestDatabase, type TestDatabase } from '@baton/db/testing';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cleanEnv, freePort, runCli, stopAll } from './helpers';

// `baton worker` is the worker `baton start` runs: it decrypts a team's own key with the
// BATON_SECRET it is given and prepares the sandbox for claude-code tasks.
const SECRET = randomBytes(32).toString('hex');
const TEAM_KEY = 'sk-team-cli-worker';
let db: TestDatabase;
let sim: RunningSimulator;
let pool: pg.Pool;
let dataDir: string;
let teamId: string;

beforeAll(async () => {
  db = await createTestDatabase(inject('pgAdminUrl'));
  sim = await startSimulator({ port: 0, apiKeys: [TEAM_KEY] });
  pool = new pg.Pool({ connectionString: db.url });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'baton-cli-worker-'));
  const { rows } = await pool.query<{ id: string }>(
    `insert into teams (name, slug, allow_instance_key) values ('Own', 'own', false) returning id`,
  );
  teamId = rows[0]!.id;
  await pool.query(
    `insert into provider_credentials (team_id, label, ciphertext, fingerprint) values ($1, 'main', $2, 'x')`,
    [teamId, encryptSecret(SECRET, TEAM_KEY, `${teamId}:anthropic:main`)],
  );
});
afterAll(async () => {
  await stopAll();
  await pool?.end();
  await sim?.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('baton worker', () => {
  it("runs a team's task with the team's own key and stops cleanly on SIGINT", async () => {
    const port = await freePort();
    const env = cleanEnv({
      DATABASE_URL: db.url,
      BATON_SECRET: SECRET,
      BATON_DATA_DIR: dataDir,
      ANTHROPIC_BASE_URL: sim.url,
      ANTHROPIC_API_KEY: 'sk-instance-not-for-this-team',
    });
    const worker = runCli(['worker', '--port', String(port), '--id', 'cli-worker-1'], env);
    await worker.waitFor(/"msg":"worker ready"/, 90_000);
    // The sandbox is configured (a status, not "no workspace for claude-code tasks").
    expect(worker.output()).toMatch(
      /claude-code tasks (run in the sandbox|will be refused)|sandbox/,
    );
    const submit = runCli(
      ['task', 'submit', 'Say hello.', '--team', 'own', '--model', 'claude-haiku-4-5', '--json'],
      env,
    );
    expect(await submit.exited, submit.output()).toBe(0);
    const { id } = JSON.parse(submit.output()) as { id: string };
    let status = '';
    for (let i = 0; i < 300 && !/succeeded|failed/.test(status); i++) {
      await new Promise((r) => setTimeout(r, 200));
      const { rows } = await pool.query<{ status: string; error: unknown }>(
        'select status, error from tasks where id = $1',
        [id],
      );
      status = `${rows[0]?.status} ${JSON.stringify(rows[0]?.error)}`;
    }
    expect(status).toMatch(/^succeeded/);
    expect(Object.keys(sim.stats().byKey)).toEqual([TEAM_KEY]);
    expect(worker.output()).not.toContain(TEAM_KEY);
    expect(worker.output()).not.toContain(SECRET);
    worker.child.kill('SIGINT');
    expect(await worker.exited).toBe(0);
  });
});
