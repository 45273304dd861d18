/**
 * Starts a real Baton (`baton start`: embedded PostgreSQL in a temp data dir,
 * the simulator, a worker and the built console) on free ports, and stops it
 * with SIGINT like Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Locator } from 'playwright-core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningBaton {
  webUrl: string;
  simUrl: string;
  workerUrl: string;
  /** Baton's MCP server (Streamable HTTP), on a free port rather than the default 4030. */
  mcpUrl: string;
  dataDir: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

export async function startBaton({ timeoutMs = 200_000 } = {}): Promise<RunningBaton> {
  const [webPort, workerPort, simPort, mcpPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'baton-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, BATON_DATA_DIR: dataDir, NO_COLOR: '1' };
  for (const k of [
    'DATABASE_URL',
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'BATON_SECRET',
    'BATON_PUBLIC_URL',
    'BATON_ALLOW_SIGNUP',
    'BATON_WEB_PORT',
    'BATON_WORKER_PORT',
    'BATON_SIM_PORT',
    'BATON_MCP_PORT',
  ])
    delete env[k];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(repoRoot, 'apps/cli/src/bin.ts'),
      'start',
      '--worker-port',
      String(workerPort),
      '--sim-port',
      String(simPort),
      '--web-port',
      String(webPort),
      '--mcp-port',
      String(mcpPort),
    ],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (process.env.BATON_E2E_VERBOSE) process.stderr.write(chunk);
      if (log.includes('Baton is running')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then((code) =>
      reject(new Error(`baton start exited (${code}) before it was ready:\n${log}`)),
    );
    setTimeout(
      () => reject(new Error(`baton start not ready after ${timeoutMs} ms:\n${log}`)),
      timeoutMs,
    ).unref();
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(killer);
    rmSync(dataDir, { recursive: true, force: true });
    return code;
  };
  try {
    await ready;
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    webUrl: `http://127.0.0.1:${webPort}`,
    simUrl: `http://127.0.0.1:${simPort}`,
    workerUrl: `http://127.0.0.1:${workerPort}`,
    mcpUrl: `http://127.0.0.1:${mcpPort}/mcp`,
    dataDir,
    output: () => log,
    stop,
  };
}

/**
 * The text of what describes a form field (its error once invalid, else its hint): read in the
 * page without waiting for the element (a poll retries), so a field being re-rendered under it
 * is simply read again.
 */
export function fieldErrorText(input: Locator): Promise<string> {
  return input
    .evaluate(
      (el) => {
        const id = el.getAttribute('aria-describedby');
        return id ? (document.getElementById(id)?.textContent ?? '') : '';
      },
      undefined,
      { timeout: 2_000 },
    )
    .catch(() => '');
}
