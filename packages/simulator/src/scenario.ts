import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseFaultRule } from './faults.js';
import type { MessagesRequest } from './messages.js';
import { callableTools, turnFits } from './toolchoice.js';

export const TextBlockSchema = z.object({ type: z.literal('text'), text: z.string() }).strict();
export const ToolUseBlockSchema = z
  .object({
    type: z.literal('tool_use'),
    name: z.string().min(1),
    input: z.record(z.string(), z.unknown()).default({}),
    /** Fixed tool-use id; generated (`toolu_…`) when absent. */
    id: z.string().optional(),
  })
  .strict();
export const ThinkingBlockSchema = z
  .object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() })
  .strict();
export const ScenarioBlockSchema = z.discriminatedUnion('type', [
  TextBlockSchema,
  ToolUseBlockSchema,
  ThinkingBlockSchema,
]);

export const UsageOverrideSchema = z
  .object({
    input_tokens: z.number().int().nonnegative(),
    output_tokens: z.number().int().nonnegative(),
    cache_creation_input_tokens: z.number().int().nonnegative(),
    cache_read_input_tokens: z.number().int().nonnegative(),
    ephemeral_5m_input_tokens: z.number().int().nonnegative(),
    ephemeral_1h_input_tokens: z.number().int().nonnegative(),
  })
  .partial()
  .strict();

export const TurnSchema = z
  .object({
    content: z.array(ScenarioBlockSchema).min(1),
    /** Inferred when absent: `tool_use` if the turn has a tool_use block, else `end_turn`. */
    stop_reason: z
      .enum(['end_turn', 'tool_use', 'max_tokens', 'stop_sequence', 'pause_turn', 'refusal'])
      .optional(),
    usage: UsageOverrideSchema.optional(),
    /** Milliseconds before the first content (time to first token). */
    ttft_ms: z.number().nonnegative().optional(),
    /** Streaming speed; 0 = as fast as possible. */
    tokens_per_second: z.number().nonnegative().optional(),
    /** A fault entry (`overloaded`, `reset-mid:after=2`, …) applied to this turn. */
    fault: z.string().optional(),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    name: z.string().min(1),
    /**
     * Strings that select this scenario when found in the conversation's user/system text.
     * Default: `[[scenario:<name>]]`. `"*"` matches every request.
     */
    match: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** `assistant-turns` (default): turn = assistant messages in the request. `sequence`: n-th matching request. */
    turn_by: z.enum(['assistant-turns', 'sequence']).default('assistant-turns'),
    /** After the last turn: `default` (generated reply), `repeat-last`, or `loop`. */
    after_last: z.enum(['default', 'repeat-last', 'loop']).default('default'),
    turns: z.array(TurnSchema).min(1),
  })
  .strict();

export const ScenarioFileSchema = z.union([
  z.object({ scenarios: z.array(ScenarioSchema).min(1) }).strict(),
  z.array(ScenarioSchema).min(1),
  ScenarioSchema,
]);

export type ScenarioBlock = z.infer<typeof ScenarioBlockSchema>;
export type ScenarioTurn = z.infer<typeof TurnSchema>;
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type ScenarioFileInput = z.input<typeof ScenarioFileSchema>;
/** A normalised set of scenarios. */
export interface ScenarioSet {
  scenarios: Scenario[];
}

function describe(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates a scenario object (one scenario, a list, or `{ scenarios: [...] }`). */
export function parseScenario(input: unknown, source = 'scenario'): ScenarioSet {
  const r = ScenarioFileSchema.safeParse(input);
  if (!r.success) throw new Error(`${source}: invalid scenario: ${describe(r.error)}`);
  const v = r.data;
  const scenarios = Array.isArray(v) ? v : 'scenarios' in v ? v.scenarios : [v];
  const names = new Set<string>();
  for (const s of scenarios) {
    if (names.has(s.name)) throw new Error(`${source}: duplicate scenario name "${s.name}"`);
    names.add(s.name);
    s.turns.forEach((t, i) => {
      if (t.fault !== undefined)
        parseFaultRule(t.fault, `${source}: scenario "${s.name}" turn ${i} fault`);
    });
  }
  return { scenarios };
}

/** Loads a JSON or YAML scenario file. */
export function loadScenario(path: string): ScenarioSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`scenario file ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text); // YAML is a superset of JSON
  } catch (e) {
    throw new Error(`scenario file ${path}: cannot parse: ${(e as Error).message}`);
  }
  return parseScenario(data, `scenario file ${path}`);
}

/** The text a scenario marker is searched in: system and user text (incl. tool results). */
function conversationText(req: MessagesRequest): string {
  let out = '';
  for (const b of req.system) out += `${b.text as string}\n`;
  for (const m of req.messages) {
    if (m.role === 'assistant') continue;
    for (const b of m.content) {
      if (b.type === 'text') out += `${b.text as string}\n`;
    }
  }
  return out;
}

export interface ScenarioPick {
  scenario: Scenario;
  turnIndex: number;
  /** The scripted turn, or undefined when the script is exhausted and the default reply applies. */
  turn: ScenarioTurn | undefined;
}

/** Chooses the scenario and turn for a request. */
export class ScenarioMatcher {
  private readonly set: ScenarioSet;
  private readonly sequence = new Map<string, number>();

  constructor(set: ScenarioSet) {
    this.set = set;
  }

  get scenarios(): readonly Scenario[] {
    return this.set.scenarios;
  }

  match(req: MessagesRequest, assistantTurns: number): ScenarioPick | undefined {
    let text: string | undefined;
    const callable = callableTools(req);
    for (const s of this.set.scenarios) {
      const patterns =
        s.match === undefined
          ? [`[[scenario:${s.name}]]`]
          : Array.isArray(s.match)
            ? s.match
            : [s.match];
      let hit = false;
      for (const p of patterns) {
        if (p === '*') {
          hit = true;
          break;
        }
        text ??= conversationText(req);
        if (text.includes(p)) {
          hit = true;
          break;
        }
      }
      if (!hit) continue;
      let index: number;
      if (s.turn_by === 'sequence') {
        index = this.sequence.get(s.name) ?? 0;
      } else {
        index = assistantTurns;
      }
      const turn = pickTurn(s, index);
      // A turn that calls a tool the request does not offer (e.g. a client's side request for a
      // title), or that tool_choice rules out (`none`; a forced choice it does not make), cannot
      // be this request's answer: fall through to the default reply.
      if (turn && !turnFits(turn, req, callable)) continue;
      if (s.turn_by === 'sequence') this.sequence.set(s.name, index + 1);
      return { scenario: s, turnIndex: index, turn };
    }
    return undefined;
  }
}

function pickTurn(s: Scenario, index: number): ScenarioTurn | undefined {
  const n = s.turns.length;
  if (index < n) return s.turns[index];
  if (s.after_last === 'repeat-last') return s.turns[n - 1];
  if (s.after_last === 'loop') return s.turns[index % n];
  return undefined;
}
