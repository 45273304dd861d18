import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { SIM_PACING } from '../src/commands/start';
import { cleanEnv, freePort, pidAlive, postgresPids, runCli, stopAll } from './helpers';

// `baton start` on embedded defaults: no DATABASE_URL, no API key. The web
// console is left out here (its build is exercised by the web app's own
// tests and by .ci/run's smoke run of `pnpm start`).
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'baton-start-'));
afterAll(async () => {
  await stopAll();
  rmSync(dataDir, { recursive: true, force: true });
});

async function ports() {
  return { worker: await freePort(), sim: await freePort(), mcp: await freePort() };
}

function startArgs(p: { worker: number; sim: number; mcp: number }) {
  return [
    'start',
    '--no-web',
    '--worker-port',
    String(p.worker),
    '--sim-port',
    String(p.sim),
    '--mcp-port',
    String(p.mcp),
  ];
}

async function embeddedUrl(output: string): Promise<string> {
  const { readFileSync } = await import('node:fs');
  const meta = JSON.parse(readFileSync(path.join(dataDir, 'embedded-pg.json'), 'utf8')) as {
    port: number;
    user: string;
    password: string;
  };
  expect(output).toContain(`embedded PostgreSQL on 127.0.0.1:${meta.port}`);
  return `postgresql://${meta.user}:${encodeURIComponent(meta.password)}@127.0.0.1:${meta.port}/baton`;
}

describe('baton start', () => {
  it('runs database, simulator, worker and MCP server (a CLI token spawns an agent the worker runs); Ctrl-C stops them all; a second start finds the data', async () => {
    const env = cleanEnv({ BATON_DATA_DIR: dataDir });
    const p = await ports();
    const run = runCli(startArgs(p), env);
    await run.waitFor(/Baton is running\./);

    const health = await fetch(`http://127.0.0.1:${p.worker}/healthz`);
    expect(health.status).toBe(200);
    // The MCP server: in the banner, healthy, and behind its bearer tokens.
    expect(run.output()).toContain(
      `MCP server  http://127.0.0.1:${p.mcp}/mcp (bearer token: pnpm baton mcp token create --team demo)`,
    );
    const mcpHealth = await fetch(`http://127.0.0.1:${p.mcp}/healthz`);
    expect(mcpHealth.status).toBe(200);
    const noToken = await fetch(`http://127.0.0.1:${p.mcp}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(noToken.status).toBe(401);
    expect(
      ((await health.json()) as { checks: { database: { ok: boolean } } }).checks.database.ok,
    ).toBe(true);
    const models = await fetch(`http://127.0.0.1:${p.sim}/v1/models`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(models.status).toBe(200);

    // The simulator paces its replies so they visibly stream: the first delta after the TTFT,
    // the rest a few tokens at a time, spread over the reply.
    const cfg = (await (await fetch(`http://127.0.0.1:${p.sim}/_sim/config`)).json()) as {
      response: { tokensPerSecond: number; ttftMs: number };
    };
    expect(cfg.response).toMatchObject(SIM_PACING);
    const t0 = Date.now();
    const res = await fetch(`http://127.0.0.1:${p.sim}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'claude-haiku-4-5',
        max_tokens: 30,
        stream: true,
        messages: [{ role: 'user', content: 'hello' }],
      }),
    });
    const deltaTimes: number[] = [];
    let sse = '';
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(chunk, { stream: true });
      sse += text;
      for (const _ of text.matchAll(/event: content_block_delta/g))
        deltaTimes.push(Date.now() - t0);
    }
    const streamed = [...sse.matchAll(/"text_delta","text":("(?:[^"\\]|\\.)*")/g)]
      .map((m) => JSON.parse(m[1] as string) as string)
      .join('');
    expect(streamed).toMatch(/^This is a simulated reply from Baton's simulator to your request/);
    expect(deltaTimes.length).toBeGreaterThan(3);
    expect(deltaTimes[0]).toBeGreaterThanOrEqual(SIM_PACING.ttftMs - 20);
    // 30 tokens at 50 tokens/s: ≈ 600 ms from the first delta to the last.
    expect((deltaTimes.at(-1) as number) - (deltaTimes[0] as number)).toBeGreaterThanOrEqual(400);
    // The task's usage below is compared with the simulator's totals: start them from zero.
    expect((await fetch(`http://127.0.0.1:${p.sim}/_sim/reset`, { method: 'POST' })).status).toBe(
      200,
    );

    // A task end to end: CLI → queue → worker → @baton/core → simulator.
    const submit = runCli(['task', 'submit', 'hello', '--wait', '--json'], env);
    expect(await submit.exited).toBe(0);
    const task = JSON.parse(submit.output()) as {
      status: string;
      result: string;
      usage: { requests: number; inputTokens: number; outputTokens: number };
      costUsd: string;
    };
    expect(task.status).toBe('succeeded');
    expect(task.result.length).toBeGreaterThan(0);
    const stats = (await (await fetch(`http://127.0.0.1:${p.sim}/_sim/stats`)).json()) as {
      totals: { admitted: number; inputTokens: number; outputTokens: number };
    };
    expect(task.usage).toMatchObject({
      requests: stats.totals.admitted,
      inputTokens: stats.totals.inputTokens,
      outputTokens: stats.totals.outputTokens,
    });
    expect(Number(task.costUsd)).toBeGreaterThan(0);

    // The MCP server started here, end to end: a token made by the CLI (alone on its last
    // line), the SDK's client over HTTP, an agent spawned into the demo team run by the worker.
    const created = runCli(['mcp', 'token', 'create', '--team', 'demo'], env);
    expect(await created.exited, created.output()).toBe(0);
    const token = created.stdout().trimEnd().split('\n').at(-1)!;
    const mcp = new Client({ name: 'baton-start-test', version: '1.0.0' });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${p.mcp}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    expect((await mcp.listTools()).tools.map((t) => t.name)).toContain('spawn_agent');
    const spawned = (await mcp.callTool({
      name: 'spawn_agent',
      arguments: { task: 'Say hello' },
    })) as { isError?: boolean; structuredContent?: { agent_id: string } };
    expect(spawned.isError, JSON.stringify(spawned)).toBeFalsy();
    const waited = (await mcp.callTool(
      {
        name: 'wait_agent',
        arguments: { agent_ids: [spawned.structuredContent!.agent_id], timeout_ms: 60_000 },
      },
      undefined,
      { timeout: 90_000 },
    )) as { structuredContent?: { agents: { status: string }[]; timed_out: boolean } };
    expect(waited.structuredContent).toMatchObject({
      agents: [{ status: 'succeeded' }],
      timed_out: false,
    });
    await mcp.close();

    const url = await embeddedUrl(run.output());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`insert into teams (name, slug) values ('Kept', 'kept-across-restarts')`);
    await client.end();

    const pgPids = postgresPids(dataDir);
    expect(pgPids.length).toBeGreaterThan(0);

    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/database stopped/);
    for (const pid of pgPids) expect(pidAlive(pid)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${p.worker}/healthz`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${p.sim}/v1/models`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${p.mcp}/healthz`)).rejects.toThrow();

    // Second start: same data.
    const p2 = await ports();
    const again = runCli(startArgs(p2), env);
    await again.waitFor(/Baton is running\./);
    expect(again.output()).toMatch(/migrations: up to date/);
    const c2 = new pg.Client({ connectionString: await embeddedUrl(again.output()) });
    await c2.connect();
    const { rows } = await c2.query(`select name from teams where slug = 'kept-across-restarts'`);
    await c2.end();
    expect(rows).toEqual([{ name: 'Kept' }]);
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });

  it('recovers after being killed with SIGKILL: stops the leftovers and starts cleanly', async () => {
    const env = cleanEnv({ BATON_DATA_DIR: dataDir });
    const p = await ports();
    const run = runCli(startArgs(p), env);
    await run.waitFor(/Baton is running\./);
    const orphans = postgresPids(dataDir);
    run.child.kill('SIGKILL');
    await run.exited;
    // The worker, simulator, MCP server and database outlive a SIGKILLed parent…
    expect((await fetch(`http://127.0.0.1:${p.worker}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${p.mcp}/healthz`)).status).toBe(200);

    // …and the next start stops them before starting its own.
    const again = runCli(startArgs(p), env);
    await again.waitFor(/Baton is running\./);
    expect(again.output()).toMatch(/stopped processes left by an earlier run/);
    for (const pid of orphans) expect(pidAlive(pid)).toBe(false);
    expect((await fetch(`http://127.0.0.1:${p.worker}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${p.mcp}/healthz`)).status).toBe(200);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
    expect(postgresPids(dataDir)).toEqual([]);
  });

  it('Ctrl-C in any phase of starting stops everything started so far; the next start works', async () => {
    // BATON_VERBOSE: the database's own log lines show, so its start is a phase to signal in.
    const env = cleanEnv({ BATON_DATA_DIR: dataDir, BATON_VERBOSE: '1' });
    const phases: Array<[string, RegExp]> = [
      ['while the database starts', /\[db\]/],
      ['while migrating', /database: embedded PostgreSQL/],
      ['while the simulator starts', /migrations: up to date|applied migrations/],
      ['while the worker starts', /simulator: http/],
      ['while the MCP server starts', /worker: healthy/],
      ['before the banner', /mcp: healthy/],
    ];
    for (const [phase, marker] of phases) {
      const p = await ports();
      const run = runCli(startArgs(p), env, { detached: true });
      await run.waitFor(marker);
      // Ctrl-C: the whole foreground process group gets SIGINT.
      process.kill(-run.child.pid!, 'SIGINT');
      expect(await run.exited, `${phase}:\n${run.output()}`).toBe(0);
      expect(run.output(), phase).toMatch(/stopped\s*$/);
      expect(run.output(), phase).not.toMatch(/error: /);
      expect(postgresPids(dataDir), phase).toEqual([]);
      await expect(fetch(`http://127.0.0.1:${p.worker}/healthz`), phase).rejects.toThrow();
      await expect(fetch(`http://127.0.0.1:${p.sim}/v1/models`), phase).rejects.toThrow();
      await expect(fetch(`http://127.0.0.1:${p.mcp}/healthz`), phase).rejects.toThrow();
    }
    // Nothing was left holding the data directory or a port: a full start works.
    const p = await ports();
    const again = runCli(startArgs(p), cleanEnv({ BATON_DATA_DIR: dataDir }));
    await again.waitFor(/Baton is running\./);
    expect(again.output()).not.toMatch(/left by an earlier run/);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('rejects a bad pacing flag before starting anything', async () => {
    for (const [flag, value] of [
      ['--sim-tps', 'fast'],
      ['--sim-ttft-ms', '-5'],
    ] as const) {
      const run = runCli(['start', '--no-web', flag, value], cleanEnv({ BATON_DATA_DIR: dataDir }));
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`${flag} must be a number ≥ 0, got "${value}"`);
      expect(run.output()).not.toMatch(/database:/);
    }
  });

  it('refuses a busy MCP port before starting anything, naming the option', async () => {
    const net = await import('node:net');
    const squatter = net.createServer();
    await new Promise<void>((r) => squatter.listen(0, '127.0.0.1', () => r()));
    const busy = (squatter.address() as import('node:net').AddressInfo).port;
    try {
      const p = await ports();
      const run = runCli(startArgs({ ...p, mcp: busy }), cleanEnv({ BATON_DATA_DIR: dataDir }));
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(
        `port ${busy} (the MCP server) is already in use: stop what listens there, or choose another with --mcp-port or BATON_MCP_PORT`,
      );
      expect(run.output()).not.toMatch(/database:/);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('refuses to start twice on the same data directory', async () => {
    const env = cleanEnv({ BATON_DATA_DIR: dataDir });
    const first = runCli(startArgs(await ports()), env);
    await first.waitFor(/Baton is running\./);
    const second = runCli(startArgs(await ports()), env);
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/already running from this checkout/);
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
  });
});
