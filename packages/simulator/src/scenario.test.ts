import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assistantTurns, parseMessagesRequest } from './messages.js';
import { loadScenario, parseScenario, ScenarioMatcher } from './scenario.js';

const YAML = `
scenarios:
  - name: write
    turns:
      - content:
          - type: text
            text: I will write the file.
          - type: tool_use
            name: Write
            input: { file_path: /tmp/x.txt, content: hello }
      - content:
          - type: text
            text: Done.
        usage: { output_tokens: 7 }
  - name: anything
    match: "*"
    turn_by: sequence
    after_last: loop
    turns:
      - content: [{ type: text, text: one }]
      - content: [{ type: text, text: two }]
`;

function req(
  messages: unknown[],
  tools: unknown[] = [{ name: 'Write', input_schema: { type: 'object' } }],
) {
  return parseMessagesRequest(
    { model: 'm', max_tokens: 100, messages, tools },
    { requireMaxTokens: true },
  );
}

describe('scenarios', () => {
  it('loads YAML (and JSON) files and validates them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'scn-'));
    writeFileSync(join(dir, 's.yaml'), YAML);
    const set = loadScenario(join(dir, 's.yaml'));
    expect(set.scenarios.map((s) => s.name)).toEqual(['write', 'anything']);
    expect(set.scenarios[0]?.turn_by).toBe('assistant-turns');
    writeFileSync(
      join(dir, 's.json'),
      JSON.stringify({ name: 'x', turns: [{ content: [{ type: 'text', text: 'hi' }] }] }),
    );
    expect(loadScenario(join(dir, 's.json')).scenarios[0]?.name).toBe('x');
    writeFileSync(join(dir, 'bad.yaml'), 'name: x\nturns: []\n');
    expect(() => loadScenario(join(dir, 'bad.yaml'))).toThrow(/invalid scenario/);
    expect(() => loadScenario(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml/);
    expect(() =>
      parseScenario({
        name: 'x',
        turns: [{ content: [{ type: 'text', text: 'a' }], fault: 'nope' }],
      }),
    ).toThrow(/unknown fault kind/);
  });

  it('selects by marker and turn index = assistant turns in the request', () => {
    const m = new ScenarioMatcher(parseScenario({ name: 'write', turns: YAML_TURNS }));
    const r0 = req([{ role: 'user', content: 'Please do it [[scenario:write]]' }]);
    const p0 = m.match(r0, assistantTurns(r0));
    expect(p0?.turnIndex).toBe(0);
    expect(p0?.turn?.content[1]).toMatchObject({ type: 'tool_use', name: 'Write' });
    const r1 = req([
      { role: 'user', content: 'Please do it [[scenario:write]]' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Write', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'ok' }] },
    ]);
    expect(m.match(r1, assistantTurns(r1))?.turnIndex).toBe(1);
    // Past the script: the default reply applies.
    const r2 = req([
      { role: 'user', content: 'x [[scenario:write]]' },
      { role: 'assistant', content: 'a' },
      { role: 'user', content: 'b' },
      { role: 'assistant', content: 'c' },
      { role: 'user', content: 'd' },
    ]);
    expect(m.match(r2, assistantTurns(r2))?.turn).toBeUndefined();
    // No marker → no scenario. A side request without the Write tool falls through to the default.
    expect(m.match(req([{ role: 'user', content: 'hello' }]), 0)).toBeUndefined();
    expect(m.match(req([{ role: 'user', content: '[[scenario:write]]' }], []), 0)).toBeUndefined();
  });

  it('sequence mode takes turns in request order', () => {
    const m = new ScenarioMatcher(
      parseScenario({
        name: 'seq',
        match: '*',
        turn_by: 'sequence',
        after_last: 'loop',
        turns: [
          { content: [{ type: 'text', text: 'one' }] },
          { content: [{ type: 'text', text: 'two' }] },
        ],
      }),
    );
    const r = req([{ role: 'user', content: 'x' }]);
    const texts = [0, 1, 2].map(
      () => (m.match(r, 0)?.turn?.content[0] as { text: string } | undefined)?.text,
    );
    expect(texts).toEqual(['one', 'two', 'one']);
  });
});

const YAML_TURNS = [
  {
    content: [
      { type: 'text' as const, text: 'I will write the file.' },
      {
        type: 'tool_use' as const,
        name: 'Write',
        input: { file_path: '/tmp/x.txt', content: 'hello' },
      },
    ],
  },
  { content: [{ type: 'text' as const, text: 'Done.' }] },
];
