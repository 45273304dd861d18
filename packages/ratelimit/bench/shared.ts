import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Limits } from '../src/index.js';

export interface SharedRunConfig {
  simUrl: string;
  dbUrl: string;
  table: string;
  apiKey: string;
  count: number;
  seed: number;
  processes: number;
  concurrency: number;
  limits: Limits;
}

export interface WorkerResult {
  index: number;
  completed: number;
  failed: number;
  errors: string[];
  seconds: number;
}

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

/** Runs the workload split over N OS processes sharing one PostgreSQL store. */
export async function runShared(cfg: SharedRunConfig): Promise<WorkerResult[]> {
  const startAt = Date.now() + 1_500;
  const perProcess = Math.max(1, Math.round(cfg.concurrency / cfg.processes));
  const runs = Array.from({ length: cfg.processes }, (_, index) => {
    const env = {
      ...process.env,
      BATON_RL_WORKER: JSON.stringify({
        ...cfg,
        index,
        of: cfg.processes,
        concurrency: perProcess,
        startAt,
      }),
    };
    return new Promise<WorkerResult>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
        env,
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        const line = out.trim().split('\n').pop();
        if (code !== 0 || !line)
          reject(new Error(`worker ${index} exited ${code}: ${err.slice(-2_000)}`));
        else resolve(JSON.parse(line) as WorkerResult);
      });
    });
  });
  return Promise.all(runs);
}
