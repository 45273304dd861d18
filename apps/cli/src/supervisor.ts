import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import readline from 'node:readline';

const COLORS = { db: 90, sim: 35, worker: 36, mcp: 34, web: 32, baton: 33 } as Record<
  string,
  number
>;

export function prefixer(name: string, useColor: boolean) {
  const width = 6;
  const label = `[${name}]`.padEnd(width + 2);
  const code = COLORS[name] ?? 37;
  return (line: string) => (useColor ? `\x1b[${code}m${label}\x1b[0m ${line}` : `${label} ${line}`);
}

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
  useColor: boolean;
  /** Called for each output line (already prefixed). */
  out?: (line: string) => void;
}

/**
 * Starts a child in its own process group with its output prefixed line by
 * line. `stop()` sends SIGTERM to the group, then SIGKILL after the grace.
 */
export function spawnManaged(options: SpawnOptions): ManagedProcess {
  const out = options.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const fmt = prefixer(options.name, options.useColor);
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => out(fmt(line)));
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null)));
    child.once('error', (err) => {
      out(fmt(`failed to start: ${err.message}`));
      resolve(1);
    });
  });
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    if (!alive || !child.pid) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        // gone
      }
    }
  };
  return {
    name: options.name,
    child,
    exited,
    stop: async (graceMs = 15_000) => {
      if (!alive) return;
      signalGroup('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => {
          timer = setTimeout(() => r(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!done) {
        out(fmt(`did not stop within ${graceMs} ms; killing`));
        signalGroup('SIGKILL');
        await exited;
      }
    },
  };
}

/**
 * Remembers the process groups `baton start` runs, so that a start after a
 * killed one (SIGKILL leaves its children running) can stop the leftovers
 * before taking their ports.
 */
export class PidFile {
  constructor(private readonly file: string) {}

  write(pids: Record<string, number | undefined>) {
    writeFileSync(this.file, JSON.stringify({ owner: process.pid, pids }, null, 2));
  }

  clear() {
    rmSync(this.file, { force: true });
  }

  /** Stops process groups left by a dead owner; returns their names. */
  async reapLeftovers(): Promise<string[]> {
    if (!existsSync(this.file)) return [];
    let data: { owner: number; pids: Record<string, number> };
    try {
      data = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      this.clear();
      return [];
    }
    if (isAlive(data.owner)) {
      throw new Error(
        `Baton is already running from this checkout (pid ${data.owner}). Stop it first, or set BATON_DATA_DIR and other ports to run a second one.`,
      );
    }
    const reaped: string[] = [];
    for (const [name, pid] of Object.entries(data.pids)) {
      if (!pid || !isAlive(pid)) continue;
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        continue;
      }
      const deadline = Date.now() + 10_000;
      while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (isAlive(pid)) {
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      reaped.push(name);
    }
    this.clear();
    return reaped;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
