import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'baton-embedded-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('embedded PostgreSQL', () => {
  it('keeps its data across a stop and a start', async () => {
    const dir = tempDir();
    const first = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    expect(first.attached).toBe(false);
    await query(first.url, `create table kept (v text); insert into kept values ('hello')`);
    const [row] = await query<{ major: number }>(
      first.url,
      `select current_setting('server_version_num')::int / 10000 as major`,
    );
    expect(row?.major).toBeGreaterThanOrEqual(18);
    await first.stop();
    expect(existsSync(path.join(dir, 'pg', 'postmaster.pid'))).toBe(false);

    const second = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    try {
      expect(second.port).toBe(first.port);
      expect(await query(second.url, 'select v from kept')).toEqual([{ v: 'hello' }]);
    } finally {
      await second.stop();
    }
  });

  it('the application connects as a role that is not a superuser and owns what it uses', async () => {
    const dir = tempDir();
    const pg1 = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    try {
      const [me] = await query<{ user: string; su: boolean; createrole: boolean; owner: string }>(
        pg1.url,
        `select current_user as user, r.rolsuper as su, r.rolcreaterole as createrole,
                pg_get_userbyid(d.datdba) as owner
           from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()`,
      );
      expect(me).toEqual({ user: 'baton_app', su: false, createrole: false, owner: 'baton_app' });
      // What only a superuser may do is refused.
      await expect(query(pg1.url, `copy (select 1) to program 'id'`)).rejects.toThrow(
        /permission denied|must be superuser|privileges/i,
      );
      await expect(query(pg1.url, `alter system set work_mem = '1GB'`)).rejects.toThrow(
        /permission denied|must be superuser/i,
      );
      await expect(query(pg1.url, `create role sneaky superuser`)).rejects.toThrow(
        /permission denied/i,
      );
      // Every migration applies as that role.
      const { runMigrations } = await import('./migrate');
      expect((await runMigrations(pg1.url)).applied.length).toBeGreaterThan(10);
      // A cluster whose superuser owned everything (made before the role) is handed over.
      await query(
        pg1.adminUrl.replace(/\/postgres$/, '/baton'),
        `create table legacy (v int); create sequence legacy_seq; create type legacy_kind as enum ('a')`,
      );
    } finally {
      await pg1.stop();
    }
    const pg2 = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    try {
      const owners = await query<{ name: string; owner: string }>(
        pg2.url,
        `select relname as name, pg_get_userbyid(relowner) as owner from pg_class where relname in ('legacy', 'legacy_seq', 'tasks')
         union all select typname, pg_get_userbyid(typowner) from pg_type where typname = 'legacy_kind' order by 1`,
      );
      expect(
        owners.every((o) => o.owner === 'baton_app'),
        JSON.stringify(owners),
      ).toBe(true);
      expect(owners).toHaveLength(4);
    } finally {
      await pg2.stop();
    }
  });

  it('recovers the server and lock of a run that was killed with SIGKILL', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(import.meta.dirname, '../test/fixtures/embedded-owner.ts'),
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const ready = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('READY')) resolve(out);
      });
      child.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
    });
    expect(ready).toMatch(/READY \d+/);
    const orphanPid = Number(
      readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    // The owner is gone; its server is still running, holding the lock.
    expect(pidAlive(orphanPid)).toBe(true);

    const next = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    try {
      expect(next.attached).toBe(false);
      expect(pidAlive(orphanPid)).toBe(false);
      const rows = await query<{ v: string }>(next.url, 'select v from marker');
      expect(rows).toHaveLength(1);
    } finally {
      await next.stop();
    }
  });

  it('clears a stale postmaster.pid whose process is gone', async () => {
    const dir = tempDir();
    const first = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    await first.stop();
    const { writeFileSync } = await import('node:fs');
    // A lock left by a crashed server: a pid that does not exist.
    writeFileSync(path.join(dir, 'pg', 'postmaster.pid'), `999999\n${path.join(dir, 'pg')}\n`);
    const again = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
    try {
      expect((await query<{ one: number }>(again.url, 'select 1 as one'))[0]?.one).toBe(1);
    } finally {
      await again.stop();
    }
  });

  it('attaches to the server of another live Baton process instead of starting a second one', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(import.meta.dirname, '../test/fixtures/embedded-owner.ts'),
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => b.toString().includes('READY') && resolve());
        child.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
      });
      const attached = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
      expect(attached.attached).toBe(true);
      expect(await query(attached.url, 'select count(*)::int as n from marker')).toEqual([
        { n: 1 },
      ]);
      await attached.stop(); // a no-op: the owner keeps running
      expect(await query(attached.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // clean up the orphan the kill leaves behind
      const s = await startEmbeddedPostgres({ dataDir: dir, ephemeral: true });
      await s.stop();
    }
  });
});
