import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLimiter, memoryStore, scopeOf } from '@baton/ratelimit';
import type { RunningSimulator } from '@baton/simulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  BATON_MCP_SERVER,
  BATON_MCP_TOOLS_RULE,
  createClaudeCodeBackend,
} from './claude-code-backend.js';
import { buildClaudeCodeEnv } from './claude-code-env.js';
import { projectDirName } from './claude-transcript.js';
import { limiterGate } from './rate-gate.js';
import { newSessionState } from './session.js';
import { createSessionGate } from './session-gate.js';
import { KEY, recorder, sim } from './testing/sim.js';
import { memoryUsageSink, sumUsage } from './usage.js';

const MODEL = 'claude-opus-5-5';
let s: RunningSimulator;
let home: string;
let cwd: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'baton-core-cc-home-'));
  cwd = mkdtempSync(join(tmpdir(), 'baton-core-cc-cwd-'));
  s = await sim({
    scenario: {
      scenarios: [
        {
          name: 'cc-write',
          turns: [
            {
              content: [
                { type: 'text', text: 'Writing the file.' },
                {
                  type: 'tool_use',
                  name: 'Write',
                  input: {
                    file_path: join(cwd, 'fact.txt'),
                    content: 'The code word is heliotrope.\n',
                  },
                },
              ],
              usage: { output_tokens: 30 },
            },
            {
              content: [{ type: 'text', text: 'Done: fact.txt written.' }],
              usage: { output_tokens: 12 },
            },
            // The resumed session's answer (its transcript has two assistant turns already).
            {
              content: [{ type: 'text', text: 'The code word was heliotrope.' }],
              usage: { output_tokens: 9 },
            },
          ],
        },
        {
          name: 'cc-mcp',
          turns: [
            {
              content: [
                { type: 'tool_use', name: 'mcp__baton__echo', input: { text: 'over MCP' } },
              ],
            },
            { content: [{ type: 'text', text: 'Baton answered.' }] },
          ],
        },
        {
          // The first request stalls; the respawned session's is answered.
          name: 'cc-stall-once',
          turn_by: 'sequence',
          turns: [
            {
              content: [{ type: 'text', text: 'starting an answer that stalls' }],
              fault: 'stall:after=1',
            },
            { content: [{ type: 'text', text: 'Recovered after the respawn.' }] },
          ],
        },
        {
          name: 'cc-stall',
          // Every request stalls, the respawned session's too.
          after_last: 'repeat-last',
          turns: [
            {
              content: [{ type: 'text', text: 'starting a long answer that never ends' }],
              fault: 'stall:after=1',
            },
          ],
        },
      ],
    },
  });
});
afterAll(async () => {
  await s.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});
beforeEach(() => s.reset());

describe('claude-code environment', () => {
  it('is built from an allow-list: no inherited secrets or CLAUDE_CODE_* settings', () => {
    const env = buildClaudeCodeEnv({
      baseURL: 'http://127.0.0.1:1',
      apiKey: 'sk-x',
      home: '/tmp/h',
      parent: {
        PATH: '/bin',
        LANG: 'C.UTF-8',
        HOME: '/root',
        AWS_SECRET_ACCESS_KEY: 'leak',
        DATABASE_URL: 'postgres://secret',
        CLAUDE_CODE_USE_BEDROCK: '1',
        ANTHROPIC_AUTH_TOKEN: 'leak',
      },
    });
    expect(env).toEqual({
      PATH: '/bin',
      LANG: 'C.UTF-8',
      HOME: '/tmp/h',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:1',
      ANTHROPIC_API_KEY: 'sk-x',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_AGENT_SDK_CLIENT_APP: 'baton-core/0.1.0',
    });
  });
});

describe('claude-code backend against the real Claude Code and the simulator', () => {
  it('writes a file, reports usage matching the simulator, and resumes by session id from a fresh backend', async () => {
    const usage = memoryUsageSink();
    const gate = createSessionGate({ maxConcurrent: 1, budgetUsd: '5' });
    const b1 = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      home,
      usageSink: usage,
      gate,
    });
    const state = newSessionState({
      conversationId: 'cc1',
      backend: 'claude-code',
      model: MODEL,
      cwd,
    });
    const ev = recorder();
    const r = await b1.run(state, {
      prompt: 'Write the fact to fact.txt. [[scenario:cc-write]]',
      allowedTools: ['Write', 'Read'],
      maxTurns: 5,
      maxBudgetUsd: 1,
      onEvent: ev.on,
    }).result;
    expect(r.stopReason).toBe('end_turn');
    expect(r.text).toBe('Done: fact.txt written.');
    expect(readFileSync(join(cwd, 'fact.txt'), 'utf8')).toBe('The code word is heliotrope.\n');
    expect(ev.of('session')[0]).toMatchObject({ resumed: false });
    expect(ev.of('tool_call').map((e) => e.name)).toEqual(['Write']);
    expect(ev.of('tool_result')).toHaveLength(1);
    // Usage per response as each completes: the first response's record comes before the tool
    // ran and the next response was streamed, not when the run ends.
    const firstUsage = ev.events.findIndex((e) => e.type === 'usage');
    expect(firstUsage).toBeGreaterThanOrEqual(0);
    expect(firstUsage).toBeLessThan(ev.events.findIndex((e) => e.type === 'tool_result'));
    expect(r.sessionId).toMatch(/[0-9a-f-]{36}/);
    expect(state.claudeSessionId).toBe(r.sessionId);
    // Usage: one record per model response, summing to what the simulator counted, matching the result.
    const st = s.stats().totals;
    const t = sumUsage(usage.records);
    expect(t.outputTokens).toBe(st.outputTokens);
    expect(t.inputTokens).toBe(st.inputTokens);
    expect(t.cacheReadTokens).toBe(st.cacheReadTokens);
    expect(t.cacheWrite5mTokens + t.cacheWrite1hTokens).toBe(
      st.cacheWrite5mTokens + st.cacheWrite1hTokens,
    );
    expect(r.usageMatchesReport).toBe(true);
    // Claude Code marks cache breakpoints: every response that wrote or read the cache still
    // reports the uncached remainder, as the real API does (never input_tokens 0).
    const cached = usage.records.filter(
      (u) => u.cacheWrite5mTokens + u.cacheWrite1hTokens + u.cacheReadTokens > 0,
    );
    expect(cached.length).toBeGreaterThan(0);
    for (const u of cached) expect(u.inputTokens).toBeGreaterThan(0);
    expect(usage.records.length).toBe(st.admitted);
    expect(usage.records.every((u) => u.backend === 'claude-code' && u.costUsd !== null)).toBe(
      true,
    );
    expect(gate.active).toBe(0);
    expect(Number(gate.remainingUsd)).toBeCloseTo(5 - Number(r.costUsd), 9);
    b1.close();

    // The state carries the session's transcript, found where Claude Code keeps it.
    expect(state.claudeTranscript).toMatchObject({
      sessionId: r.sessionId,
      project: projectDirName(cwd),
      cwd,
    });
    expect(state.claudeTranscript!.bytes).toBeGreaterThan(0);

    // Without it, a worker whose HOME lacks the session's files cannot resume it…
    const b0 = createClaudeCodeBackend({ baseURL: s.url, apiKey: KEY });
    const bare = structuredClone(state);
    bare.claudeTranscript = undefined;
    const lost = await b0
      .run(bare, { prompt: 'What was the code word? [[scenario:cc-write]]', maxTurns: 3 })
      .result.catch((e: Error) => e);
    b0.close();
    // (Claude Code answers "No conversation found with session ID": no retry can help.)
    expect(lost).toMatchObject({ code: 'InvalidRequest' });
    expect((lost as Error).message).toMatch(
      /cannot resume Claude Code session [0-9a-f-]{36}: its transcript is not in this HOME/,
    );
    expect(String((lost as Error & { cause?: Error }).cause?.message)).toMatch(
      /No conversation found with session ID/,
    );

    // …and with it, a fresh backend on another HOME (another worker) resumes the session by id.
    const b2 = createClaudeCodeBackend({ baseURL: s.url, apiKey: KEY, usageSink: usage });
    const restored = structuredClone(state);
    const ev2 = recorder();
    const r2 = await b2.run(restored, {
      prompt: 'What was the code word? [[scenario:cc-write]]',
      allowedTools: ['Write', 'Read'],
      maxTurns: 3,
      onEvent: ev2.on,
    }).result;
    expect(ev2.of('session')[0]).toMatchObject({ resumed: true });
    expect(r2.text).toBe('The code word was heliotrope.');
    expect(restored.claudeTranscript!.bytes).toBeGreaterThan(state.claudeTranscript!.bytes);
    b2.close();
  }, 90_000);

  it('a session silent past the watchdog is respawned and resumed (SessionTimeout: respawn), and finishes', async () => {
    const b = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      home,
      watchdogMs: 3_000,
      strategies: { SessionTimeout: { baseDelayMs: 10, maxDelayMs: 10 } },
    });
    const state = newSessionState({
      conversationId: 'cc-respawn',
      backend: 'claude-code',
      model: MODEL,
      cwd,
    });
    const ev = recorder();
    const r = await b.run(state, {
      prompt: 'Go. [[scenario:cc-stall-once]]',
      maxTurns: 2,
      onEvent: ev.on,
    }).result;
    expect(r.text).toBe('Recovered after the respawn.');
    expect(ev.of('retry')).toHaveLength(1);
    expect(ev.of('retry')[0]!.error.code).toBe('SessionTimeout');
    // Two processes: the second resumed the first's session.
    const sessions = ev.of('session');
    expect(sessions).toHaveLength(2);
    expect(sessions[1]).toMatchObject({ resumed: true, sessionId: sessions[0]!.sessionId });
    // The stalled response was billed too (message_start reached the client): both in the result.
    const usage = ev.of('usage');
    expect(usage.length).toBeGreaterThanOrEqual(2);
    const billed = usage.reduce((a, u) => a + u.usage.inputTokens, 0);
    expect(r.inputTokens).toBe(billed);
    b.close();
  }, 90_000);

  it('ends a session that stalls again after its respawn with SessionTimeout', async () => {
    const b = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      home,
      watchdogMs: 3_000,
      strategies: { SessionTimeout: { baseDelayMs: 10, maxDelayMs: 10 } },
    });
    const state = newSessionState({
      conversationId: 'cc2',
      backend: 'claude-code',
      model: MODEL,
      cwd,
    });
    const ev = recorder();
    const err = await b
      .run(state, { prompt: 'Go. [[scenario:cc-stall]]', maxTurns: 2, onEvent: ev.on })
      .result.catch((e) => e);
    expect(err.code).toBe('SessionTimeout');
    expect(ev.of('retry')).toHaveLength(1);
    expect(ev.of('result')).toHaveLength(0);
    expect(ev.of('error')[0]?.error.code).toBe('SessionTimeout');
    b.close();
  }, 90_000);

  it('a session waits for room in the shared rate limits before it starts; its first response settles the reservation', async () => {
    // Room for one session's first-request reservation (4096 output tokens), not two: the
    // second session starts only once the first's first response has given back what it did not use.
    const limiter = createLimiter({
      store: memoryStore(),
      limits: {
        requestsPerMinute: 1_000,
        inputTokensPerMinute: 10_000_000,
        outputTokensPerMinute: 6_000,
      },
    });
    const b = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      home,
      rateGate: limiterGate(limiter),
      gate: createSessionGate({ maxConcurrent: 2 }),
    });
    const at: Record<string, number> = {};
    const run = (id: string) => {
      const state = newSessionState({
        conversationId: id,
        backend: 'claude-code',
        model: MODEL,
        cwd,
      });
      return b.run(state, {
        prompt: `Say hello ${id}.`,
        maxTurns: 1,
        onEvent: (e) => {
          if (e.type === 'session') at[`${id}:session`] ??= Date.now();
          if (e.type === 'usage') at[`${id}:usage`] ??= Date.now();
        },
      }).result;
    };
    const first = run('rl-a');
    await new Promise((r) => setTimeout(r, 50));
    const second = run('rl-b');
    await Promise.all([first, second]);
    expect(at['rl-b:session']).toBeGreaterThanOrEqual(at['rl-a:usage']!);
    const ls = await limiter.state(scopeOf(KEY, MODEL));
    expect(ls.inFlight).toBe(0);
    limiter.close();
    b.close();
  }, 90_000);

  it('reports a missing executable as CliNotFound', async () => {
    const b = createClaudeCodeBackend({
      baseURL: s.url,
      apiKey: KEY,
      home,
      pathToClaudeCodeExecutable: join(cwd, 'no-such-claude'),
    });
    const state = newSessionState({
      conversationId: 'cc3',
      backend: 'claude-code',
      model: MODEL,
      cwd,
    });
    const err = await b.run(state, { prompt: 'hi' }).result.catch((e) => e);
    expect(err.code).toBe('CliNotFound');
    expect(existsSync(join(cwd, 'no-such-claude'))).toBe(false);
  }, 30_000);
});

/**
 * A minimal Streamable HTTP MCP server (JSON answers, no sessions) with one tool, `echo`: the
 * stand-in for Baton's (apps/mcp, which core cannot import) that records what reached it.
 */
async function echoMcpServer() {
  const seen: Array<{ method: string; authorization: string | undefined }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/mcp') {
        res.writeHead(405).end();
        return;
      }
      const msg = JSON.parse(body) as {
        id?: number;
        method: string;
        params?: { protocolVersion?: string; arguments?: { text?: string } };
      };
      seen.push({ method: msg.method, authorization: req.headers.authorization });
      if (msg.id === undefined) {
        res.writeHead(202).end();
        return;
      }
      const result =
        msg.method === 'initialize'
          ? {
              protocolVersion: msg.params?.protocolVersion ?? '2025-06-18',
              capabilities: { tools: {} },
              serverInfo: { name: 'echo', version: '1.0.0' },
            }
          : msg.method === 'tools/list'
            ? {
                tools: [
                  {
                    name: 'echo',
                    description: 'Echoes its text',
                    inputSchema: {
                      type: 'object',
                      properties: { text: { type: 'string' } },
                      required: ['text'],
                    },
                  },
                ],
              }
            : msg.method === 'tools/call'
              ? { content: [{ type: 'text', text: `echo: ${msg.params?.arguments?.text}` }] }
              : undefined;
      const reply = result
        ? { jsonrpc: '2.0', id: msg.id, result }
        : { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'no such method' } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe("claude-code backend with Baton's MCP server (batonMcp)", () => {
  it("gives the session the server as 'baton' with the run's token; its tool result comes back", async () => {
    const mcp = await echoMcpServer();
    try {
      const b = createClaudeCodeBackend({ baseURL: s.url, apiKey: KEY, home });
      const state = newSessionState({
        conversationId: 'cc-mcp',
        backend: 'claude-code',
        model: MODEL,
        cwd,
      });
      const ev = recorder();
      const token = `baton_mcp_${'t'.repeat(43)}`;
      const r = await b.run(state, {
        prompt: 'Ask Baton. [[scenario:cc-mcp]]',
        allowedTools: [BATON_MCP_TOOLS_RULE],
        batonMcp: { url: mcp.url, token },
        maxTurns: 3,
        onEvent: ev.on,
      }).result;
      expect(r.text).toBe('Baton answered.');
      expect(ev.of('tool_call').map((e) => e.name)).toEqual([`mcp__${BATON_MCP_SERVER}__echo`]);
      const results = ev.of('tool_result') as Array<{ content: string; isError: boolean }>;
      expect(results).toHaveLength(1);
      expect(results[0]).toMatchObject({ isError: false });
      expect(results[0]!.content).toContain('echo: over MCP');
      const methods = mcp.seen.map((x) => x.method);
      expect(methods).toContain('initialize');
      expect(methods).toContain('tools/call');
      expect(new Set(mcp.seen.map((x) => x.authorization))).toEqual(new Set([`Bearer ${token}`]));
      // The token is in no event of the run.
      expect(JSON.stringify(ev.events)).not.toContain(token);
    } finally {
      await mcp.close();
    }
  }, 60_000);
});
