import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

export const cliMain = path.join(import.meta.dirname, '../src/bin.ts');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface Run {
  child: ChildProcess;
  output: () => string;
  /** What the process wrote to stdout alone (output() interleaves stderr). */
  stdout: () => string;
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

const live = new Set<Run>();

/** Stops every CLI process a test started and that is still running (a failed test leaves them). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map(async (run) => {
      if (run.child.exitCode !== null || run.child.signalCode !== null) return;
      run.child.kill('SIGINT');
      const done = await Promise.race([
        run.exited.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 30_000)),
      ]);
      if (!done) run.child.kill('SIGKILL');
    }),
  );
  live.clear();
}

/**
 * Runs the CLI. `detached`: in a process group of its own, as a terminal runs a command, so a
 * test can send the group a signal the way Ctrl-C does (`process.kill(-pid, 'SIGINT')`).
 */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { detached?: boolean } = {},
): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', cliMain, ...args], {
    env: { ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  let out = '';
  let stdout = '';
  const listeners = new Set<() => void>();
  const onData = (b: Buffer) => {
    out += b.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const run: Run = {
    child,
    output: () => out,
    stdout: () => stdout,
    exited,
    waitFor: (pattern, timeoutMs = 90_000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pattern.test(out)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!pattern.test(out)) {
            clearTimeout(timer);
            reject(new Error(`exited before ${pattern}; output:\n${out}`));
          }
        });
        check();
      }),
  };
  live.add(run);
  void exited.then(() => live.delete(run));
  return run;
}

/** The environment without anything that would point Baton at an existing database or provider. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of [
    'DATABASE_URL',
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'BATON_SECRET',
    'BATON_DATA_DIR',
  ])
    delete env[k];
  return { ...env, ...extra };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function postgresPids(dataDir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres -D ${dataDir}/pg`])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}
