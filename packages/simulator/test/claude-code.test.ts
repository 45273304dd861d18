import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { query, type SDKMessage, type SDKResultMessage } from '@anthropic-ai/claude-agent-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSimulator, ScenarioInput } from '../src/index.js';
import { sim } from './helpers.js';

const CONTENT = 'Hello from the Baton simulator.\nSecond line.\n';
const FINAL = 'I wrote hello.txt and read it back: it has two lines.';

let s: RunningSimulator;
let home: string;
let cwd: string;
const lines: string[] = [];

function scenario(dir: string): ScenarioInput {
  const file = join(dir, 'hello.txt');
  return {
    name: 'cc-write-read',
    turns: [
      {
        content: [
          { type: 'text', text: 'I will create the file.' },
          { type: 'tool_use', name: 'Write', input: { file_path: file, content: CONTENT } },
        ],
        usage: { output_tokens: 40 },
      },
      {
        content: [{ type: 'tool_use', name: 'Read', input: { file_path: file } }],
        usage: { output_tokens: 25 },
      },
      { content: [{ type: 'text', text: FINAL }], usage: { output_tokens: 15 } },
    ],
  };
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'baton-cc-home-'));
  cwd = mkdtempSync(join(tmpdir(), 'baton-cc-cwd-'));
  s = await sim({ scenario: scenario(cwd), log: (l) => lines.push(l) });
});

afterAll(async () => {
  await s.close();
  rmSync(home, { recursive: true, force: true });
  rmSync(cwd, { recursive: true, force: true });
});

describe('the real Claude Code (claude-agent-sdk) against the simulator', () => {
  it('runs a scripted Write → Read → answer session', async () => {
    const messages: SDKMessage[] = [];
    for await (const m of query({
      prompt: 'Create hello.txt with a greeting, then read it back. [[scenario:cc-write-read]]',
      options: {
        cwd,
        model: 'claude-opus-5-5',
        permissionMode: 'acceptEdits',
        allowedTools: ['Write', 'Read'],
        maxTurns: 6,
        env: {
          ANTHROPIC_BASE_URL: s.url,
          ANTHROPIC_API_KEY: 'sk-sim-test',
          HOME: home,
          PATH: process.env.PATH ?? '',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
      },
    })) {
      messages.push(m);
    }
    const result = messages.find((m): m is SDKResultMessage => m.type === 'result');
    if (process.env.SIM_DEBUG) console.log(lines.join('\n'), JSON.stringify(result, null, 1));
    expect(result, lines.join('\n')).toBeDefined();
    expect(result?.subtype).toBe('success');
    expect(result?.is_error).toBe(false);
    expect(result?.num_turns).toBe(3);
    expect(result?.subtype === 'success' && result.result).toBe(FINAL);
    // The file exists with the scripted content, written by Claude Code's own Write tool.
    expect(existsSync(join(cwd, 'hello.txt'))).toBe(true);
    expect(readFileSync(join(cwd, 'hello.txt'), 'utf8')).toBe(CONTENT);

    // Usage as scripted: 40 + 25 + 15 output tokens; input tokens as the simulator counted them.
    const stats = s.stats().byKey['sk-sim-test']?.['claude-opus-5-5'];
    expect(stats?.admitted).toBe(3);
    expect(result?.usage.output_tokens).toBe(80);
    expect(stats?.outputTokens).toBe(80);
    const reportedInput =
      (result?.usage.input_tokens ?? 0) +
      (result?.usage.cache_creation_input_tokens ?? 0) +
      (result?.usage.cache_read_input_tokens ?? 0);
    expect(reportedInput).toBe(
      (stats?.inputTokens ?? 0) +
        (stats?.cacheWrite5mTokens ?? 0) +
        (stats?.cacheWrite1hTokens ?? 0) +
        (stats?.cacheReadTokens ?? 0),
    );
    // Claude Code marks its prompt for caching: later turns read what earlier turns wrote.
    expect(result?.usage.cache_read_input_tokens ?? 0).toBeGreaterThan(0);

    // The tool results Claude Code sent back were seen by the simulator as turns 1 and 2.
    const toolUses = messages
      .filter((m) => m.type === 'assistant')
      .flatMap((m) => (m.type === 'assistant' ? m.message.content : []));
    expect(
      toolUses
        .filter((b) => b.type === 'tool_use')
        .map((b) => (b.type === 'tool_use' ? b.name : '')),
    ).toEqual(['Write', 'Read']);
    for (const b of toolUses) if (b.type === 'tool_use') expect(b.id).toMatch(/^toolu_01/);
    expect(lines.filter((l) => l.includes('scenario=cc-write-read#')).length).toBe(3);
  }, 60_000);
});
