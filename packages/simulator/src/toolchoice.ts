import type { Block, MessagesRequest, Tool, ToolChoice } from './messages.js';
import type { Rng } from './rng.js';
import { toolInputFor } from './toolinput.js';

/**
 * `tool_choice` semantics, as the real API applies them:
 * - `auto` (the default when tools are given): the model may or may not call a tool — the
 *   scripted turn decides; a generated reply is text.
 * - `any`: the reply is a tool call to one of the tools; `tool`: to exactly the named tool. The
 *   real API prefills the assistant turn with the call, so no text (or thinking) precedes it and
 *   the stop reason is `tool_use`.
 * - `none`: never a tool call (text only).
 * - `disable_parallel_tool_use`: at most one tool_use block.
 */

/** Whether the choice forces a tool call (`any` or `tool`). */
export function isForced(choice: ToolChoice | undefined): boolean {
  return choice?.type === 'any' || choice?.type === 'tool';
}

/** The tools a reply may call under the request's tool_choice (none for `none`). */
export function callableTools(req: MessagesRequest): Set<string> {
  const choice = req.toolChoice;
  if (choice?.type === 'none') return new Set();
  if (choice?.type === 'tool') return new Set([choice.name as string]);
  return new Set(req.tools.map((t) => t.name));
}

/**
 * Whether a scripted turn can be this request's answer: its tool calls name only tools the
 * request lets it call, and under a forced choice it calls at least one. A turn that does not
 * fit is passed over (the generated reply applies, which obeys the choice).
 */
export function turnFits(
  turn: { content: ReadonlyArray<{ type: string; name?: string }> },
  req: MessagesRequest,
  callable: Set<string>,
): boolean {
  let calls = 0;
  for (const b of turn.content) {
    if (b.type !== 'tool_use') continue;
    if (!callable.has(b.name ?? '')) return false;
    calls++;
  }
  return calls > 0 || !isForced(req.toolChoice);
}

/**
 * A scripted turn's content shaped by the choice: forced → only its tool calls (nothing before
 * them); `disable_parallel_tool_use` → nothing after the first tool call.
 */
export function applyToolChoice(content: Block[], choice: ToolChoice | undefined): Block[] {
  if (!choice) return content;
  let out = isForced(choice) ? content.filter((b) => b.type === 'tool_use') : content;
  if (choice.disableParallelToolUse) {
    const first = out.findIndex((b) => b.type === 'tool_use');
    if (first >= 0) out = out.slice(0, first + 1);
  }
  return out;
}

function hasSchema(t: Tool): boolean {
  return typeof t.input_schema === 'object' && t.input_schema !== null;
}

/**
 * The turn a forced choice produces when no scripted turn answers: one call to the named tool
 * (`tool`) or to a tool picked with the seeded RNG (`any`; custom tools, with an input schema,
 * are preferred over server tools), with an input generated from the tool's `input_schema`.
 * It goes through the same path as a scripted turn (`scriptedContent`), so ids, token counting
 * and streaming (`input_json_delta`) are the scripted ones.
 */
/** A scripted turn of one tool call (a `ScenarioTurn`; typed here, not imported: no cycle). */
export interface ForcedToolTurn {
  content: [{ type: 'tool_use'; name: string; input: Record<string, unknown> }];
  stop_reason: 'tool_use';
}

export function forcedToolTurn(req: MessagesRequest, rng: Rng): ForcedToolTurn | undefined {
  const choice = req.toolChoice;
  if (!isForced(choice)) return undefined;
  let tool: Tool | undefined;
  if (choice?.type === 'tool') tool = req.tools.find((t) => t.name === choice.name);
  else {
    const custom = req.tools.filter(hasSchema);
    const pool = custom.length > 0 ? custom : req.tools;
    tool = pool[rng.int(0, pool.length - 1)];
  }
  if (!tool) return undefined;
  return {
    content: [{ type: 'tool_use', name: tool.name, input: toolInputFor(tool.input_schema, rng) }],
    stop_reason: 'tool_use',
  };
}
