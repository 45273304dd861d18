import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClaudeCodeBackend } from '../claude-code-backend.js';
import { newSessionState } from '../session.js';
import { recorder, sim } from '../testing/sim.js';
import { memoryUsageSink, sumUsage } from '../usage.js';
import { bubblewrapSandbox } from './bubblewrap.js';
import { startProviderProxy } from './provider-proxy.js';
import { detectResourceController } from './resource-limits.js';
import { readInside, writeInside } from './safe-fs.js';

const KEY = `sk-real-${Math.random().toString(36).slice(2)}`;
const MODEL = 'claude-opus-5-5';
let s: RunningSimulator;
let dir: string;

const state = () =>
  newSessionState({ backend: 'claude-code', model: MODEL, fallbackModels: [] } as never);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-bwrap-test-'));
  // The sandbox's host user (nobody, when the tests run as root) must reach the workspaces.
  chmodSync(dir, 0o711);
  // The provider takes only the real key: a request with the sandbox's token would be refused.
  s = await sim({
    apiKeys: [KEY],
    scenario: {
      scenarios: [
        {
          name: 'sbx-write',
          turns: [
            {
              content: [
                {
                  type: 'tool_use',
                  name: 'Write',
                  input: { file_path: '/workspace/hello.txt', content: 'hello from the sandbox\n' },
                },
              ],
              usage: { output_tokens: 20 },
            },
            {
              content: [
                {
                  type: 'tool_use',
                  name: 'Bash',
                  input: {
                    command: 'id -u; hostname; echo "$ANTHROPIC_API_KEY" | cut -c1-17; ls /',
                    description: 'x',
                  },
                },
              ],
            },
            { content: [{ type: 'text', text: 'written' }], usage: { output_tokens: 5 } },
            // The resumed session (its transcript has three assistant turns already).
            {
              content: [{ type: 'text', text: 'resumed in the sandbox' }],
              usage: { output_tokens: 6 },
            },
          ],
        },
        {
          name: 'sbx-cpu',
          turns: [
            {
              content: [
                {
                  type: 'tool_use',
                  name: 'Bash',
                  input: { command: 'timeout 60 sh -c "while :; do :; done"', description: 'x' },
                },
              ],
            },
            { content: [{ type: 'text', text: 'spun' }] },
          ],
        },
        {
          name: 'sbx-disk',
          turns: [
            {
              content: [
                {
                  type: 'tool_use',
                  name: 'Bash',
                  input: {
                    command:
                      'for i in $(seq 1 40); do head -c 8M /dev/urandom > /workspace/f$i; sleep 0.2; done; echo filled',
                    description: 'x',
                  },
                },
              ],
            },
            { content: [{ type: 'text', text: 'filled' }] },
          ],
        },
        {
          // A call of the model's own through the proxy, then an answer.
          name: 'sbx-direct',
          turns: [
            {
              content: [
                {
                  type: 'tool_use',
                  name: 'Bash',
                  input: {
                    command: [
                      'port=$',
                      '{ANTHROPIC_BASE_URL##*:}; port=$',
                      '{port%%/*}; ',
                      `body='{"model":"claude-haiku-4-5","max_tokens":16,"messages":[{"role":"user","content":"count me"}]}'; `,
                      'exec 3<>/dev/tcp/127.0.0.1/$port; ',
                      `printf 'POST /v1/messages HTTP/1.1\\r\\nHost: x\\r\\nx-api-key: %s\\r\\nanthropic-version: 2023-06-01\\r\\ncontent-type: application/json\\r\\ncontent-length: %d\\r\\nconnection: close\\r\\n\\r\\n%s' "$ANTHROPIC_API_KEY" "$`,
                      '{#body}" "$body" >&3; head -c 12 <&3',
                    ].join(''),
                    description: 'x',
                  },
                },
              ],
            },
            { content: [{ type: 'text', text: 'called' }] },
          ],
        },
        {
          // Four expensive turns: a budget below one of them stops the run after the first.
          name: 'sbx-spend',
          turns: [1, 2, 3, 4].map((i) => ({
            content: [
              {
                type: 'tool_use' as const,
                name: 'Bash',
                input: { command: `echo step ${i}`, description: 'x' },
              },
            ],
            usage: { output_tokens: 4000 },
          })),
        },
        {
          name: 'sbx-procs',
          turns: [
            {
              content: [
                {
                  type: 'tool_use',
                  name: 'Bash',
                  input: {
                    command: 'for i in $(seq 1 200); do sleep 20 & done; wait',
                    description: 'x',
                  },
                },
              ],
            },
            { content: [{ type: 'text', text: 'forked' }] },
          ],
        },
      ],
    },
  });
});
afterAll(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bubblewrap sandbox', () => {
  it('can start here (the CI installs bubblewrap; the worker checks it at start)', async () => {
    const c = await bubblewrapSandbox().check();
    expect(c, c.reason).toMatchObject({ ok: true });
    expect(c.version).toMatch(/^bubblewrap \d/);
  });

  it('runs the real Claude Code: it writes in its workspace, never holds the key, and resumes', async () => {
    const ws = mkdtempSync(join(dir, 'ws-'));
    const sink = memoryUsageSink();
    const be = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      sandbox: bubblewrapSandbox(),
      usageSink: sink,
    });
    try {
      s.reset();
      const st = state();
      const rec = recorder();
      const r = await be.run(st, {
        prompt: '[[scenario:sbx-write]] write the file',
        cwd: ws,
        tools: ['Write', 'Bash'],
        allowedTools: ['Edit(//workspace/**)', 'Bash'],
        onEvent: rec.on,
      }).result;
      expect(r.text).toBe('written');
      expect(readFileSync(join(ws, 'hello.txt'), 'utf8')).toBe('hello from the sandbox\n');
      const out = rec.of('tool_result')[1]!.content;
      const [uid, host, key] = out.split('\n');
      expect(uid).toBe('1000');
      expect(host).toBe('baton-task');
      expect(key).toBe('sk-baton-sandbox-');
      expect(out).not.toContain(KEY);
      expect(out).not.toMatch(/\broot\b/);
      const sbx = rec.of('sandbox')[0]!.sandbox;
      expect(sbx).toMatchObject({ kind: 'bubblewrap' });
      // Usage as the provider counted it.
      const stats = s.stats();
      const total = sumUsage(sink.records);
      expect(sink.records).toHaveLength(stats.totals.admitted);
      expect(total.inputTokens).toBe(stats.totals.inputTokens);
      expect(total.outputTokens).toBe(stats.totals.outputTokens);
      expect(Object.keys(stats.byKey)).toEqual([KEY]);
      // The transcript lives in the private HOME under /workspace's project and resumes there.
      expect(st.claudeTranscript?.project).toBe('-workspace');
      const again = await be.run(st, { prompt: 'and now?', cwd: ws, tools: ['Write', 'Bash'] })
        .result;
      expect(again.text).toBe('resumed in the sandbox');
    } finally {
      be.close();
    }
  });

  it('bills every response the proxy forwarded, the model’s own calls included, and stops at the budget', async () => {
    const sink = memoryUsageSink();
    const be = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      sandbox: bubblewrapSandbox(),
      usageSink: sink,
    });
    try {
      s.reset();
      const rec = recorder();
      const r = await be.run(state(), {
        prompt: '[[scenario:sbx-direct]] call',
        cwd: mkdtempSync(join(dir, 'ws-')),
        tools: ['Bash'],
        allowedTools: ['Bash'],
        onEvent: rec.on,
      }).result;
      expect(r.text).toBe('called');
      expect(rec.of('tool_result')[0]!.content).toMatch(/^HTTP\/1\.1 200/);
      // Three responses: Claude Code's two and the model's own (on Haiku), each billed once.
      const stats = s.stats();
      expect(stats.totals.admitted).toBe(3);
      expect(sink.records).toHaveLength(3);
      expect(sink.records.filter((x) => x.model === 'claude-haiku-4-5')).toHaveLength(1);
      const total = sumUsage(sink.records);
      expect(total.inputTokens).toBe(stats.totals.inputTokens);
      expect(total.outputTokens).toBe(stats.totals.outputTokens);
      expect(rec.of('usage')).toHaveLength(3);

      // A budget below one response: the run stops after it, as a run that reached its budget.
      s.reset();
      sink.records.length = 0;
      const spend = await be.run(state(), {
        prompt: '[[scenario:sbx-spend]] spend',
        cwd: mkdtempSync(join(dir, 'ws-')),
        tools: ['Bash'],
        allowedTools: ['Bash'],
        maxBudgetUsd: 0.0001,
      }).result;
      expect(spend.stopReason).toBe('budget');
      expect(s.stats().totals.admitted).toBeLessThanOrEqual(2);
      expect(sink.records).toHaveLength(s.stats().totals.admitted);
      expect(Number(spend.costUsd)).toBeGreaterThan(0.0001);
    } finally {
      be.close();
    }
  });

  it('a process limit ends the run with ResourceLimit, and nothing is left running', async () => {
    const ws = mkdtempSync(join(dir, 'ws-'));
    const be = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      sandbox: bubblewrapSandbox(),
      limits: { maxProcesses: 96, memoryBytes: 1024 * 2 ** 20 },
    });
    try {
      const run = be.run(state(), {
        prompt: '[[scenario:sbx-procs]] fork',
        cwd: ws,
        tools: ['Bash'],
        allowedTools: ['Bash'],
      });
      const r = await run.result.catch((e: unknown) => e);
      expect(r).toMatchObject({ code: 'ResourceLimit', limit: 'processes' });
      expect((r as Error).message).toMatch(/process limit of 96 reached/);
      // The whole tree went with it: no `sleep 20` of the run is left on this host.
      const { readdirSync } = await import('node:fs');
      const left = readdirSync('/proc').filter((p) => {
        try {
          return (
            /^\d+$/.test(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u000020\u0000'
          );
        } catch {
          return false;
        }
      });
      expect(left).toEqual([]);
    } finally {
      be.close();
    }
  });

  it('CPU time and disk limits end a run with ResourceLimit naming the limit', async () => {
    const be = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      sandbox: bubblewrapSandbox(),
      limits: { cpuSeconds: 3, diskBytes: 64 * 2 ** 20 },
    });
    try {
      const run = (scenario: string) =>
        be
          .run(state(), {
            prompt: `[[scenario:${scenario}]] go`,
            cwd: mkdtempSync(join(dir, 'ws-')),
            tools: ['Bash'],
            allowedTools: ['Bash'],
          })
          .result.catch((e: unknown) => e);
      const cpu = await run('sbx-cpu');
      expect(cpu).toMatchObject({ code: 'ResourceLimit', limit: 'cpu' });
      expect((cpu as Error).message).toMatch(/CPU time limit of 3 s reached/);
      const disk = await run('sbx-disk');
      expect(disk).toMatchObject({ code: 'ResourceLimit', limit: 'disk' });
      expect((disk as Error).message).toMatch(/disk limit of 64 MiB reached/);
    } finally {
      be.close();
    }
  });

  it('an unusable workspace fails as InvalidRequest, never as CliNotFound', async () => {
    const be = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      sandbox: bubblewrapSandbox(),
    });
    const unsandboxed = createClaudeCodeBackend({ baseURL: s.url, apiKey: KEY });
    try {
      for (const b of [be, unsandboxed]) {
        const r = await b
          .run(state(), { prompt: 'hi', cwd: join(dir, 'does-not-exist') })
          .result.catch((e: unknown) => e);
        expect(r).toMatchObject({ code: 'InvalidRequest' });
        expect((r as Error).message).toMatch(/does-not-exist does not exist/);
      }
    } finally {
      be.close();
      unsandboxed.close();
    }
  });

  it('resource control is a cgroup here (v2 or v1), and a group counts a refused fork', async () => {
    const rc = detectResourceController();
    expect(['cgroup2', 'cgroup1']).toContain(rc.kind);
    const g = rc.create(`t-${process.pid}`, { maxProcesses: 8 });
    try {
      const { execFileSync } = await import('node:child_process');
      try {
        execFileSync(
          '/bin/sh',
          [
            '-c',
            `${g.enterScript} && for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done; wait`,
          ],
          { stdio: 'ignore' },
        );
      } catch {}
      expect(g.check()).toMatchObject({ limit: 'processes' });
    } finally {
      g.killAll();
      await new Promise((r) => setTimeout(r, 100));
      g.remove();
    }
  });
});

describe('provider proxy', () => {
  it('forwards with the real key only for the token, only origin-form paths, streaming', async () => {
    const seen: Array<{ url?: string; key?: string | string[]; auth?: string }> = [];
    const upstream = http.createServer((req, res) => {
      seen.push({ url: req.url, key: req.headers['x-api-key'], auth: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: a\ndata: 1\n\n');
      setTimeout(() => res.end('event: b\ndata: 2\n\n'), 50);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as { port: number }).port;
    const sock = join(dir, 'p.sock');
    const proxy = await startProviderProxy({
      socketPath: sock,
      upstream: `http://127.0.0.1:${port}/prefix`,
      apiKey: KEY,
      token: 'tok',
    });
    const call = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ socketPath: sock, path, method: 'POST', headers }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end('{}');
      });
    try {
      expect((await call('/v1/messages', { 'x-api-key': 'wrong' })).status).toBe(401);
      expect((await call('/v1/messages', {})).status).toBe(401);
      expect((await call('/../../etc', { 'x-api-key': 'tok' })).status).toBe(400);
      expect((await call('http://evil.example/v1', { 'x-api-key': 'tok' })).status).toBe(400);
      const ok = await call('/v1/messages?beta=true', { authorization: 'Bearer tok' });
      expect(ok).toEqual({ status: 200, body: 'event: a\ndata: 1\n\nevent: b\ndata: 2\n\n' });
      expect(seen).toEqual([{ url: '/prefix/v1/messages?beta=true', key: KEY, auth: undefined }]);
      expect(proxy.stats()).toEqual({ forwarded: 1, refused: 4 });
    } finally {
      await proxy.close();
      upstream.close();
    }
  });
});

describe('files a sandbox could have written', () => {
  it('are read and written without ever following a link', () => {
    const home = mkdtempSync(join(dir, 'home-'));
    const secret = join(dir, 'secret.txt');
    writeFileSync(secret, 'the secret\n');
    writeInside(home, '.claude/projects/-workspace/a.jsonl', 'ok\n');
    expect(readInside(home, '.claude/projects/-workspace/a.jsonl', 100)).toEqual({
      data: Buffer.from('ok\n'),
    });
    symlinkSync(secret, join(home, '.claude/projects/-workspace/b.jsonl'));
    expect(readInside(home, '.claude/projects/-workspace/b.jsonl', 100)).toBe('not-a-file');
    symlinkSync(dir, join(home, '.claude/link'));
    expect(() => readInside(home, '.claude/link/secret.txt', 100)).toThrow(/symbolic link/);
    expect(() => writeInside(home, '.claude/link/x', 'x')).toThrow(/symbolic link/);
    expect(() => writeInside(home, '.claude/projects/-workspace/b.jsonl', 'overwritten')).toThrow(
      /ELOOP/,
    );
    expect(readFileSync(secret, 'utf8')).toBe('the secret\n');
    expect(() => readInside(home, '../secret.txt', 100)).toThrow(/leads outside/);
    expect(() => writeInside(home, '/etc/x', 'x')).toThrow(/absolute/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });
});
