/**
 * The real Claude Code of the workspace (the Agent SDK's `claude` binary) connects to Baton's MCP
 * server over HTTP with a team's token: its own health check (`claude mcp list`) negotiates the
 * protocol and reports the server connected; with a wrong token it reports the failure.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
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
