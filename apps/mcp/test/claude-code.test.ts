/**
 * The real Claude Code of the workspace (the Agent SDK's `claude` binary) connects to Baton's MCP
 * server over HTTP with a team's token: its own health check (`claude mcp list`) negotiates the
 * protocol and reports the server connected; with a wrong token it reports the failure. And a
 * Claude Code session (the Agent SDK's `query`, scripted by the simulator) calls Baton's tools.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { query } from '@anthropic-ai/claude-agent-sdk';
import { buildClaudeCodeEnv } from '@baton/core';
import { tasks } from '@baton/db/schema';
import { startSimulator } from '@baton/simulator';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type McpHarness, startMcpHarness, teamWithToken } from './harness';

const run = promisify(execFile);

/** The platform binary the Agent SDK ships (the worker's claude-code backend runs the same). */
function claudeBinary(): string | null {
  try {
    const sdk = dirname(createRequire(import.meta.url).resolve('@anthropic-ai/claude-agent-sdk'));
    // The SDK's optional platform package sits beside it (pnpm links a package's dependencies there).
    const bin = join(sdk, '..', `claude-agent-sdk-${process.platform}-${process.arch}`, 'claude');
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

let h: McpHarness;
let home: string;
const claude = claudeBinary();

beforeAll(async () => {
  h = await startMcpHarness();
  home = mkdtempSync(join(tmpdir(), 'baton-mcp-claude-'));
});

afterAll(async () => {
  await h?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function claudeMcp(args: string[]) {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    CLAUDE_CONFIG_DIR: join(home, '.claude'),
  };
  return run(claude!, ['mcp', ...args], { env, cwd: home, timeout: 60_000 }).catch(
    (err: { stdout?: string; stderr?: string }) => ({
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  );
}

describe('Claude Code as a client', () => {
  it('connects with a team token, and fails with a wrong one', async () => {
    expect(claude, 'the Agent SDK ships a claude binary for this platform').not.toBeNull();
    const team = await teamWithToken(h, 'claude-code');
    const add = (name: string, token: string) =>
      claudeMcp([
        'add',
        '--scope',
        'user',
        '--transport',
        'http',
        name,
        h.http.url,
        '--header',
        `Authorization: Bearer ${token}`,
      ]);
    await add('baton', team.token);
    await add('wrong', `baton_mcp_${'z'.repeat(43)}`);
    const listed = await claudeMcp(['list']);
    const out = `${listed.stdout}\n${listed.stderr}`;
    const line = (name: string) => out.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '';
    expect(line('baton'), out).toMatch(/✔ Connected/);
    expect(line('wrong'), out).toMatch(/Failed to connect.*HTTP 401/);
    expect(line('wrong'), out).toContain('invalid_token');
  });
});

describe('a Claude Code session calling Baton’s tools', () => {
  it('spawns an agent (a task of the token’s team) and lists it, through its MCP client', async () => {
    const team = await teamWithToken(h, 'claude-code-session');
    const sim = await startSimulator({
      port: 0,
      scenario: {
        scenarios: [
          {
            name: 'mcp-spawn',
            turns: [
              {
                content: [
                  { type: 'text', text: 'Spawning a helper.' },
                  {
                    type: 'tool_use',
                    name: 'mcp__baton__spawn_agent',
                    input: { task: 'Count the TODOs', role: 'helper' },
                  },
                ],
              },
              { content: [{ type: 'tool_use', name: 'mcp__baton__list_agents', input: {} }] },
              { content: [{ type: 'text', text: 'The helper is queued.' }] },
            ],
          },
        ],
      },
    });
    const cwd = mkdtempSync(join(tmpdir(), 'baton-mcp-claude-cwd-'));
    const toolResults: string[] = [];
    let final: string | undefined;
    try {
      for await (const message of query({
        prompt: 'Delegate the count. [[scenario:mcp-spawn]]',
        options: {
          pathToClaudeCodeExecutable: claude!,
          cwd,
          model: 'claude-sonnet-4-5',
          // MCP tools offered up front (not deferred behind tool search), as the script calls them.
          env: buildClaudeCodeEnv({
            baseURL: sim.url,
            apiKey: 'sk-mcp-test',
            home,
            extra: { ENABLE_TOOL_SEARCH: 'false' },
          }),
          settingSources: [],
          maxTurns: 4,
          // The bundled Claude Code reads them from stdin: the token stays off its command line.
          mcpServersDelivery: 'initialize',
          permissionMode: 'default',
          allowedTools: ['mcp__baton__spawn_agent', 'mcp__baton__list_agents'],
          mcpServers: {
            baton: {
              type: 'http',
              url: h.http.url,
              headers: { Authorization: `Bearer ${team.token}` },
            },
          },
        },
      })) {
        if (message.type === 'user' && Array.isArray(message.message.content)) {
          for (const block of message.message.content) {
            if (block.type !== 'tool_result') continue;
            const content = block.content as string | { type: string; text?: string }[];
            toolResults.push(
              typeof content === 'string' ? content : content.map((c) => c.text ?? '').join(''),
            );
          }
        }
        if (message.type === 'result')
          final = message.subtype === 'success' ? message.result : message.subtype;
      }
    } finally {
      await sim.close();
      rmSync(cwd, { recursive: true, force: true });
    }
    expect(final).toBe('The helper is queued.');
    expect(toolResults).toHaveLength(2);
    const spawned = JSON.parse(toolResults[0]!) as {
      agent_id: string;
      status: string;
    };
    expect(spawned.status).toBe('queued');
    const [row] = await h.client.db.select().from(tasks).where(eq(tasks.id, spawned.agent_id));
    expect(row).toMatchObject({
      teamId: team.teamId,
      createdBy: team.session.user.id,
      prompt: 'Count the TODOs',
      role: 'helper',
    });
    expect(toolResults[1]).toContain(spawned.agent_id);
  });
});
