import { existsSync } from 'node:fs';
import path from 'node:path';
import { dataDir, redactUrl, resolveDatabase, runMigrations } from '@baton/db';
import { WORKER_NODE_FLAGS } from '@baton/worker/node-flags';
import { Command } from 'commander';
import { cliEnv } from '../env';
import { cliMain, mcpMain, nextBin, repoRoot, webDir, workerMain } from '../paths';
import { resolveSecret } from '../secret';
import { type ManagedProcess, PidFile, prefixer, spawnManaged } from '../supervisor';
import { waitForHttp } from '../wait';

interface StartOptions {
  webPort: string;
  workerPort: string;
  simPort: string;
  mcpPort: string;
  simTps: string;
  simTtftMs: string;
  sim?: boolean;
  web: boolean;
  worker: boolean;
  mcp: boolean;
  build: boolean;
}

/**
 * How the simulator paces its replies under `baton start`: a first token after a short wait, then
 * a few tokens per delta at a reading pace (≈ 80 ms per delta) — so a reply visibly streams in
 * the console. Tests and benches start their own simulator, or pass `--sim-tps 0`.
 */
export const SIM_PACING = { tokensPerSecond: 50, ttftMs: 400 } as const;

function pace(name: string, value: string): number {
  const n = value.trim() === '' ? Number.NaN : Number(value);
  if (!Number.isFinite(n) || n < 0)
    throw new Error(`--${name} must be a number ≥ 0, got "${value}"`);
  return n;
}

/**
 * Refuses a port something else already listens on, naming the option and the variable — before
 * a child would fail on it (or, worse, a stranger on that port would answer its health check).
 */
async function assertPortFree(what: string, p: number, how: string): Promise<void> {
  const net = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${p} (${what}) is already in use: stop what listens there, or choose another with ${how}`
            : `cannot listen on port ${p} (${what}): ${err.message}`,
        ),
      ),
    );
    probe.listen(p, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

function port(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new Error(`--${name} must be an integer from 1 to 65535, got "${value}"`);
  return n;
}

export function startCommand(): Command {
  return new Command('start')
    .description(
      'Run Baton: the database (embedded unless DATABASE_URL is set), the simulator (unless ANTHROPIC_API_KEY is set), a worker, the MCP server (Streamable HTTP at /mcp) and the web console. Ctrl-C stops everything.',
    )
    .option('--web-port <port>', 'console port', String(cliEnv.BATON_WEB_PORT))
    .option('--worker-port <port>', 'worker health/metrics port', String(cliEnv.BATON_WORKER_PORT))
    .option('--sim-port <port>', 'simulator port', String(cliEnv.BATON_SIM_PORT))
    .option(
      '--mcp-port <port>',
      "the MCP server's port (http://127.0.0.1:<port>/mcp)",
      String(cliEnv.BATON_MCP_PORT),
    )
    .option(
      '--sim-tps <n>',
      "the simulator's output tokens per second (0 = no pacing)",
      String(SIM_PACING.tokensPerSecond),
    )
    .option('--sim-ttft-ms <ms>', "the simulator's time to first token", String(SIM_PACING.ttftMs))
    .option('--sim', 'run the simulator even when ANTHROPIC_API_KEY is set')
    .option('--no-sim', 'never run the simulator')
    .option('--no-web', 'do not run the web console')
    .option('--no-worker', 'do not run a worker')
    .option('--no-mcp', "do not run Baton's MCP server")
    .option('--no-build', 'do not build the console when its build is missing')
    .action(async (opts: StartOptions) => {
      await start(opts);
    });
}

async function start(opts: StartOptions) {
  const useColor = !cliEnv.NO_COLOR && process.stdout.isTTY === true;
  const say = prefixer('baton', useColor);
  const print = (line: string) => process.stdout.write(`${say(line)}\n`);
  const dbLog = prefixer('db', useColor);
  const webPort = port('web-port', opts.webPort);
  const workerPort = port('worker-port', opts.workerPort);
  const simPort = port('sim-port', opts.simPort);
  const mcpPort = port('mcp-port', opts.mcpPort);
  const simTps = pace('sim-tps', opts.simTps);
  const simTtftMs = pace('sim-ttft-ms', opts.simTtftMs);
  const dir = dataDir();

  const pidFile = new PidFile(path.join(dir, 'start.json'));
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  const reaped = await pidFile.reapLeftovers();
  if (reaped.length)
    print(`stopped processes left by an earlier run that was killed: ${reaped.join(', ')}`);
  // Before anything starts: a port another program holds is refused at once, naming the option.
  if (opts.mcp) await assertPortFree('the MCP server', mcpPort, '--mcp-port or BATON_MCP_PORT');

  const children: ManagedProcess[] = [];
  let db: Awaited<ReturnType<typeof resolveDatabase>> | undefined;
  /** The database while it is being started (a signal then waits for it, to stop it). */
  let dbStarting: Promise<unknown> | undefined;
  let shuttingDown: Promise<void> | undefined;
  /** The console's build, while it runs. */
  let building: ManagedProcess | undefined;

  /**
   * Stops everything this start started, whatever phase it is in: the children spawned so far
   * and any spawned while stopping (`spawnChild` stops those at once), and the database —
   * waiting for it when it is still starting. Then exits.
   */
  const shutdown = (why: string, code: number) => {
    shuttingDown ??= (async () => {
      print(`stopping (${why})…`);
      await building?.stop();
      for (;;) {
        const live = children.filter(
          (c) => c.child.exitCode === null && c.child.signalCode === null,
        );
        if (live.length === 0) break;
        await Promise.all(live.map((c) => c.stop()));
      }
      await dbStarting?.catch(() => undefined);
      if (db) {
        await db.stop();
        if (db.source === 'embedded' && !db.embedded?.attached) print('database stopped');
      }
      pidFile.clear();
      print('stopped');
      process.exit(code);
    })();
    return shuttingDown;
  };
  /** A child of this start; one spawned after a stop began is stopped at once. */
  const spawnChild = (o: Parameters<typeof spawnManaged>[0]) => {
    const c = spawnManaged(o);
    children.push(c);
    pidFile.write(Object.fromEntries(children.map((x) => [x.name, x.child.pid])));
    if (shuttingDown) void c.stop();
    return c;
  };
  /** Between phases: once a stop began, start nothing more. */
  const stopping = () => shuttingDown !== undefined;
  // A terminal's Ctrl-C may reach us twice at once (directly and relayed by
  // the tsx/pnpm wrappers); only a second press a moment later forces.
  let firstInterrupt = 0;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      const now = Date.now();
      if (!firstInterrupt) firstInterrupt = now;
      else if (sig === 'SIGINT' && now - firstInterrupt > 1000) {
        print('second Ctrl-C: killing everything now');
        for (const c of children) {
          try {
            if (c.child.pid) process.kill(-c.child.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
      void shutdown(sig, 0);
    });
  }

  try {
    // 1. Database
    // The server's routine LOG lines are noise here; warnings and errors are shown.
    const verbose = cliEnv.BATON_VERBOSE === '1';
    const starting = resolveDatabase({
      log: (line) => {
        if (verbose || !/\] LOG: {2}/.test(line)) process.stdout.write(`${dbLog(line)}\n`);
      },
    });
    dbStarting = starting.then((d) => {
      db = d;
    });
    await dbStarting;
    dbStarting = undefined;
    if (!db || stopping()) return;
    if (db.source === 'external') print(`database: ${redactUrl(db.url)} (DATABASE_URL)`);
    else
      print(
        `database: embedded PostgreSQL on 127.0.0.1:${db.embedded?.port}, data in ${path.relative(repoRoot, db.embedded?.dataDir ?? dir) || '.'}/pg${db.embedded?.attached ? ' (attached to a running server)' : ''}`,
      );
    const { applied } = await runMigrations(db.url);
    print(applied.length ? `applied migrations: ${applied.join(', ')}` : 'migrations: up to date');
    if (stopping()) return;

    const { secret, source: secretSource } = resolveSecret(dir, cliEnv.BATON_SECRET);
    if (secretSource === 'generated')
      print(
        `generated BATON_SECRET into ${path.relative(repoRoot, dir)}/secret (keep it: it encrypts stored credentials)`,
      );

    // 2. Provider: the simulator unless a real API key is configured.
    const runSim = opts.sim ?? !cliEnv.ANTHROPIC_API_KEY;
    const provider: NodeJS.ProcessEnv = {};
    if (runSim) {
      const sim = spawnChild({
        name: 'sim',
        command: process.execPath,
        args: [
          '--import',
          'tsx',
          cliMain,
          'sim',
          '--port',
          String(simPort),
          '--tps',
          String(simTps),
          '--ttft-ms',
          String(simTtftMs),
        ],
        cwd: repoRoot,
        env: process.env,
        useColor,
      });
      await waitForHttp(`http://127.0.0.1:${simPort}/v1/models`, {
        timeoutMs: 60_000,
        exited: sim.exited,
        headers: { 'x-api-key': 'sk-baton-simulator', 'anthropic-version': '2023-06-01' },
        okOnly: true,
      });
      if (stopping()) return;
      provider.ANTHROPIC_BASE_URL = `http://127.0.0.1:${simPort}`;
      provider.ANTHROPIC_API_KEY = 'sk-baton-simulator';
      // The console says on every page that replies are simulated.
      provider.BATON_PROVIDER = 'simulator';
      print(
        `simulator: http://127.0.0.1:${simPort} (no ANTHROPIC_API_KEY set; replies paced at ${simTps} tokens/s after ${simTtftMs} ms)`,
      );
    } else {
      print(
        `provider: ${cliEnv.ANTHROPIC_BASE_URL ?? 'https://api.anthropic.com'} with ANTHROPIC_API_KEY`,
      );
    }

    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      ...provider,
      DATABASE_URL: db.url,
      BATON_SECRET: secret,
      BATON_DATA_DIR: dir,
    };

    // 3. Worker
    if (opts.worker) {
      const worker = spawnChild({
        name: 'worker',
        command: process.execPath,
        // The worker's V8 flags (a heap that grows slowly: ~200 MB RSS with 32 sessions
        // instead of 250–300 MB; apps/worker/README.md), as `pnpm --filter @baton/worker start`.
        args: [...WORKER_NODE_FLAGS, '--import', 'tsx', workerMain],
        cwd: path.join(repoRoot, 'apps/worker'),
        env: {
          ...childEnv,
          WORKER_PORT: String(workerPort),
          // A claude-code task with `mcp: true` reaches this Baton's MCP server (through its
          // sandbox's proxy, with a task token the worker mints).
          ...(opts.mcp ? { BATON_MCP_URL: `http://127.0.0.1:${mcpPort}/mcp` } : {}),
        },
        useColor,
      });
      await waitForHttp(`http://127.0.0.1:${workerPort}/healthz`, {
        timeoutMs: 60_000,
        exited: worker.exited,
        okOnly: true,
      });
      if (stopping()) return;
      print(`worker: healthy — http://127.0.0.1:${workerPort}/healthz`);
    }

    // 4. MCP server: Streamable HTTP at /mcp behind the teams' bearer tokens (apps/mcp).
    if (opts.mcp) {
      const mcp = spawnChild({
        name: 'mcp',
        command: process.execPath,
        args: ['--import', 'tsx', mcpMain],
        cwd: path.join(repoRoot, 'apps/mcp'),
        env: { ...childEnv, MCP_PORT: String(mcpPort), MCP_HOST: '127.0.0.1' },
        useColor,
      });
      await waitForHttp(`http://127.0.0.1:${mcpPort}/healthz`, {
        timeoutMs: 60_000,
        exited: mcp.exited,
        okOnly: true,
      });
      if (stopping()) return;
      print(`mcp: healthy — http://127.0.0.1:${mcpPort}/mcp`);
    }

    // 5. Web console
    if (opts.web) {
      if (!existsSync(path.join(webDir, '.next', 'BUILD_ID'))) {
        if (!opts.build)
          throw new Error('the console is not built: run `pnpm build` (or drop --no-build)');
        print('building the console (first start only; takes a minute)…');
        // Not spawnSync: a signal while it builds must stop it (and everything else) at once.
        building = spawnManaged({
          name: 'build',
          command: process.execPath,
          args: [nextBin, 'build'],
          cwd: webDir,
          env: process.env,
          useColor,
        });
        if (shuttingDown) void building.stop();
        const built = await building.exited;
        building = undefined;
        if (stopping()) return;
        if (built !== 0) throw new Error('the console build failed (see above)');
      }
      // The console's own server (apps/web/server.mjs: Next's request handler behind the
      // client-address stamp and the API body limit), not `next start`.
      const web = spawnChild({
        name: 'web',
        command: process.execPath,
        args: [path.join(webDir, 'server.mjs'), '-p', String(webPort), '-H', '127.0.0.1'],
        cwd: webDir,
        env: {
          ...childEnv,
          // Behind a TLS proxy the operator says where the console is reached (HSTS, cookies).
          BATON_PUBLIC_URL: process.env.BATON_PUBLIC_URL || `http://127.0.0.1:${webPort}`,
          PORT: String(webPort),
        },
        useColor,
      });
      await waitForHttp(`http://127.0.0.1:${webPort}/`, { timeoutMs: 90_000, exited: web.exited });
      if (stopping()) return;
    }

    for (const c of children) {
      void c.exited.then((code) => {
        if (!shuttingDown) {
          print(`${c.name} exited unexpectedly (code ${code}); stopping everything`);
          void shutdown(`${c.name} exited`, 1);
        }
      });
    }

    // On embedded defaults the first start creates the demo team and user.
    const signIn = await (await import('../signin')).demoSignIn({
      databaseUrl: db.url,
      secret,
      baseURL: `http://127.0.0.1:${webPort}`,
      embedded: db.source === 'embedded',
    });
    if (stopping()) return;
    const lines = [
      '',
      'Baton is running.',
      opts.web ? `  Console     http://127.0.0.1:${webPort}` : undefined,
      ...signIn,
      opts.worker ? `  Worker      http://127.0.0.1:${workerPort}/healthz` : undefined,
      opts.mcp
        ? `  MCP server  http://127.0.0.1:${mcpPort}/mcp (bearer token: pnpm baton mcp token create --team demo)`
        : undefined,
      runSim ? `  Simulator   http://127.0.0.1:${simPort}/_sim/stats` : undefined,
      '  Stop        Ctrl-C',
      '',
    ].filter((l): l is string => l !== undefined);
    for (const l of lines) print(l);
  } catch (err) {
    // A phase cut short by a stop (its child stopped under it) is not an error of its own.
    if (stopping()) return;
    print(`error: ${(err as Error).message}`);
    await shutdown('start failed', 1);
  }
}
