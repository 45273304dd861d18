import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type pg from 'pg';
import { WORKER_NODE_FLAGS } from '../src/node-flags';

const main = path.join(import.meta.dirname, '../src/main.ts');

export interface WorkerProcess {
  child: ChildProcess;
  id: string;
  healthUrl: Promise<string>;
  exited: Promise<number | null>;
  logs: string[];
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Task workspaces of every worker a test spawns (never the checkout's own .baton). */
const workspaces = mkdtempSync(path.join(os.tmpdir(), 'baton-test-workspaces-'));
chmodSync(workspaces, 0o711);

/** A real worker OS process (src/main.ts), as a team deploys it. */
export function spawnWorker(id: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, [...WORKER_NODE_FLAGS, '--import', 'tsx', main], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...(env.BATON_DATA_DIR ? {} : { BATON_WORKSPACES_DIR: path.join(workspaces, id) }),
      WORKER_ID: id,
      WORKER_PORT: '0',
      LOG_LEVEL: 'info',
      WORKER_HEARTBEAT_SECONDS: '10',
      WORKER_MONITOR_SECONDS: '2',
      WORKER_RETRY_DELAY_SECONDS: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let resolveUrl: (u: string) => void;
  const healthUrl = new Promise<string>((r) => {
    resolveUrl = r;
  });
  for (const s of [child.stdout, child.stderr]) {
    if (!s) continue;
    readline.createInterface({ input: s }).on('line', (line) => {
      logs.push(line);
      if (logs.length > 500) logs.shift();
      if (line.includes('"worker ready"')) {
        try {
          resolveUrl((JSON.parse(line) as { url: string }).url);
        } catch {
          // not JSON
        }
      }
    });
  }
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    id,
    healthUrl,
    exited,
    logs,
    kill: async (signal = 'SIGTERM') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

export { TERMINAL, waitUntil } from './wait';

export async function statuses(pool: pg.Pool, ids: string[]) {
  const { rows } = await pool.query<{
    id: string;
    status: string;
    attempts: number;
    error: { type: string } | null;
    status_reason: string | null;
  }>('select id, status, attempts, error, status_reason from tasks where id = any($1::uuid[])', [
    ids,
  ]);
  return rows;
}
