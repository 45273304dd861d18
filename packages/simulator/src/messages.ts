import { invalid } from './errors.js';

/** A validated content block (the fields the simulator reads; other fields pass through). */
export interface Block {
  type: string;
  [key: string]: unknown;
}

export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface Message {
  role: 'user' | 'assistant' | 'system';
  /** Always normalised to blocks (a string content becomes one text block). */
  content: Block[];
}

export interface Tool {
  name: string;
  [key: string]: unknown;
}

/** `tool_choice`, validated against `tools` (absent = `auto` when tools are given). */
export interface ToolChoice {
  type: 'auto' | 'any' | 'tool' | 'none';
  /** The tool a `{type:'tool'}` choice forces (always one of `tools`). */
  name?: string;
  /** At most one tool_use block in the reply (auto/any/tool only). */
  disableParallelToolUse: boolean;
}

export interface Thinking {
  type: 'enabled' | 'disabled' | 'adaptive';
  budget_tokens?: number;
}

export interface MessagesRequest {
  model: string;
  messages: Message[];
  system: Block[];
  tools: Tool[];
  maxTokens: number;
  stream: boolean;
  stopSequences: string[];
  thinking: Thinking | undefined;
  toolChoice: ToolChoice | undefined;
  /** Top-level `cache_control` (automatic caching): a breakpoint on the last block. */
  cacheControl: CacheControl | undefined;
  /** How many `cache_control` markers the request carries (incl. the top-level one). */
  cacheBreakpoints: number;
}

const BLOCK_TYPES = new Set([
  'text',
  'image',
  'document',
  'tool_use',
  'tool_result',
  'thinking',
  'redacted_thinking',
  'server_tool_use',
  'web_search_tool_result',
  'web_fetch_tool_result',
  'code_execution_tool_result',
  'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result',
  'tool_search_tool_result',
  'mcp_tool_use',
  'mcp_tool_result',
  'search_result',
  'container_upload',
  'tool_reference',
]);

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,128}$/;
const MAX_BREAKPOINTS = 4;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  return typeof v;
}

class Ctx {
  breakpoints = 0;
}

function checkCacheControl(v: unknown, path: string, ctx: Ctx): void {
  if (v === undefined || v === null) return;
  if (!isObject(v) || v.type !== 'ephemeral') {
    throw invalid(`${path}.type: Input should be 'ephemeral'`);
  }
  if (v.ttl !== undefined && v.ttl !== '5m' && v.ttl !== '1h') {
    throw invalid(`${path}.ttl: Input should be '5m' or '1h'`);
  }
  ctx.breakpoints++;
}

function checkString(v: unknown, path: string): string {
  if (typeof v !== 'string') throw invalid(`${path}: Input should be a valid string`);
  return v;
}

function checkTextBlock(b: Record<string, unknown>, path: string): void {
  checkString(b.text, `${path}.text`);
}

function checkImageSource(b: Record<string, unknown>, path: string): void {
  const src = b.source;
  if (!isObject(src)) throw invalid(`${path}.source: Field required`);
  if (src.type === 'base64') {
    checkString(src.media_type, `${path}.source.media_type`);
    checkString(src.data, `${path}.source.data`);
  } else if (src.type === 'url') {
    checkString(src.url, `${path}.source.url`);
  } else if (src.type === 'file') {
    checkString(src.file_id, `${path}.source.file_id`);
  } else if (src.type === 'text' && b.type === 'document') {
    checkString(src.data, `${path}.source.data`);
  } else if (src.type === 'content' && b.type === 'document') {
    if (!Array.isArray(src.content) && typeof src.content !== 'string') {
      throw invalid(`${path}.source.content: Input should be a valid list`);
    }
  } else {
    throw invalid(
      `${path}.source.type: Input tag '${String(src.type)}' does not match any of the expected tags`,
    );
  }
}

function checkBlock(v: unknown, path: string, ctx: Ctx, nested: boolean): Block {
  if (!isObject(v)) throw invalid(`${path}: Input should be a valid dictionary or object`);
  const type = v.type;
  if (typeof type !== 'string' || !BLOCK_TYPES.has(type)) {
    throw invalid(
      `${path}: Input tag '${String(type)}' found using 'type' does not match any of the expected tags`,
    );
  }
  checkCacheControl(v.cache_control, `${path}.cache_control`, ctx);
  switch (type) {
    case 'text':
      checkTextBlock(v, path);
      break;
    case 'image':
    case 'document':
      checkImageSource(v, path);
      break;
    case 'tool_use':
    case 'server_tool_use':
      checkString(v.id, `${path}.id`);
      checkString(v.name, `${path}.name`);
      if (!isObject(v.input)) throw invalid(`${path}.input: Input should be a valid dictionary`);
      break;
    case 'tool_result': {
      if (nested) throw invalid(`${path}: tool_result blocks cannot be nested`);
      checkString(v.tool_use_id, `${path}.tool_use_id`);
      const c = v.content;
      if (Array.isArray(c)) {
        for (let i = 0; i < c.length; i++) checkBlock(c[i], `${path}.content.${i}`, ctx, true);
      } else if (c !== undefined && c !== null && typeof c !== 'string') {
        throw invalid(`${path}.content: Input should be a valid string or list`);
      }
      if (v.is_error !== undefined && typeof v.is_error !== 'boolean') {
        throw invalid(`${path}.is_error: Input should be a valid boolean`);
      }
      break;
    }
    case 'thinking':
      checkString(v.thinking, `${path}.thinking`);
      checkString(v.signature, `${path}.signature`);
      break;
    case 'redacted_thinking':
      checkString(v.data, `${path}.data`);
      break;
    default:
      break;
  }
  return v as Block;
}

function checkContent(v: unknown, path: string, ctx: Ctx): Block[] {
  if (typeof v === 'string') return [{ type: 'text', text: v }];
  if (!Array.isArray(v)) throw invalid(`${path}: Input should be a valid list`);
  const out: Block[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = checkBlock(v[i], `${path}.${i}`, ctx, false);
  return out;
}

function checkSystem(v: unknown, ctx: Ctx): Block[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.length === 0 ? [] : [{ type: 'text', text: v }];
  if (!Array.isArray(v)) throw invalid('system: Input should be a valid string or list');
  const out: Block[] = [];
  for (let i = 0; i < v.length; i++) {
    const b = v[i];
    if (!isObject(b) || b.type !== 'text') {
      throw invalid(`system.${i}.type: Input should be 'text'`);
    }
    checkTextBlock(b, `system.${i}`);
    checkCacheControl(b.cache_control, `system.${i}.cache_control`, ctx);
    out.push(b as Block);
  }
  return out;
}

function checkTools(v: unknown, ctx: Ctx): Tool[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid('tools: Input should be a valid list');
  const names = new Set<string>();
  for (let i = 0; i < v.length; i++) {
    const t = v[i];
    const path = `tools.${i}`;
    if (!isObject(t)) throw invalid(`${path}: Input should be a valid dictionary or object`);
    const name = checkString(t.name, `${path}.name`);
    const custom = t.type === undefined || t.type === null || t.type === 'custom';
    if (custom) {
      if (!TOOL_NAME.test(name)) {
        throw invalid(`${path}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      }
      if (!isObject(t.input_schema)) throw invalid(`${path}.custom.input_schema: Field required`);
      if (t.description !== undefined && typeof t.description !== 'string') {
        throw invalid(`${path}.custom.description: Input should be a valid string`);
      }
    } else if (typeof t.type !== 'string') {
      throw invalid(`${path}.type: Input should be a valid string`);
    }
    if (names.has(name)) throw invalid(`tools: Tool names must be unique.`);
    names.add(name);
    checkCacheControl(t.cache_control, `${path}.cache_control`, ctx);
  }
  return v as Tool[];
}

function checkThinking(v: unknown, maxTokens: number, requireMax: boolean): Thinking | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalid('thinking: Input should be a valid dictionary or object');
  if (v.type === 'disabled') return { type: 'disabled' };
  if (v.type === 'adaptive') return { type: 'adaptive' };
  if (v.type !== 'enabled') {
    throw invalid(
      `thinking: Input tag '${String(v.type)}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'`,
    );
  }
  const budget = v.budget_tokens;
  if (typeof budget !== 'number' || !Number.isInteger(budget)) {
    throw invalid('thinking.enabled.budget_tokens: Field required');
  }
  if (budget < 1024)
    throw invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
  if (requireMax && budget >= maxTokens) {
    throw invalid('`max_tokens` must be greater than `thinking.budget_tokens`.');
  }
  return { type: 'enabled', budget_tokens: budget };
}

/**
 * `tool_choice` as the real API checks it: a known tag; `disable_parallel_tool_use` a boolean
 * (not allowed on `none`); `any`/`tool` need tools, `tool` names one of them; forcing a tool is
 * refused with thinking enabled (or adaptive), since a forced choice prefills the assistant turn.
 */
function checkToolChoice(
  v: unknown,
  tools: Tool[],
  thinking: Thinking | undefined,
): ToolChoice | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v) || !['auto', 'any', 'tool', 'none'].includes(v.type as string)) {
    throw invalid(
      `tool_choice: Input tag '${isObject(v) ? String(v.type) : typeName(v)}' found using 'type' does not match any of the expected tags: 'auto', 'any', 'tool', 'none'`,
    );
  }
  const type = v.type as ToolChoice['type'];
  const dp = v.disable_parallel_tool_use;
  if (dp !== undefined && dp !== null) {
    if (type === 'none') {
      throw invalid('tool_choice.none.disable_parallel_tool_use: Extra inputs are not permitted');
    }
    if (typeof dp !== 'boolean') {
      throw invalid(
        `tool_choice.${type}.disable_parallel_tool_use: Input should be a valid boolean`,
      );
    }
  }
  const choice: ToolChoice = { type, disableParallelToolUse: dp === true };
  if ((type === 'any' || type === 'tool') && tools.length === 0) {
    throw invalid('tool_choice: tool_choice may only be specified while providing tools.');
  }
  if (type === 'tool') {
    const name = checkString(v.name, 'tool_choice.tool.name');
    if (!tools.some((t) => t.name === name)) {
      throw invalid(`tool_choice.tool.name: Tool '${name}' not found in the provided tools.`);
    }
    choice.name = name;
  }
  if ((type === 'any' || type === 'tool') && thinking && thinking.type !== 'disabled') {
    throw invalid('Thinking may not be enabled when tool_choice forces tool use.');
  }
  return choice;
}

export interface ParseOptions {
  /** `count_tokens` takes no `max_tokens`. */
  requireMaxTokens: boolean;
}

/**
 * Validates a `/v1/messages` (or `/v1/messages/count_tokens`) body the way the real API does,
 * throwing a 400 `invalid_request_error` naming the offending field. Unknown top-level fields are
 * accepted (clients send beta fields such as `context_management`).
 */
export function parseMessagesRequest(body: unknown, opts: ParseOptions): MessagesRequest {
  if (!isObject(body)) {
    throw invalid(`Input should be a valid dictionary or object, got ${typeName(body)}`);
  }
  const model = body.model;
  if (model === undefined) throw invalid('model: Field required');
  if (typeof model !== 'string' || model.length === 0) {
    throw invalid('model: Input should be a valid string');
  }
  const ctx = new Ctx();
  let maxTokens = 0;
  if (opts.requireMaxTokens) {
    const mt = body.max_tokens;
    if (mt === undefined) throw invalid('max_tokens: Field required');
    if (typeof mt !== 'number' || !Number.isInteger(mt)) {
      throw invalid('max_tokens: Input should be a valid integer');
    }
    if (mt < 1) throw invalid('max_tokens: Input should be greater than or equal to 1');
    maxTokens = mt;
  }
  const rawMessages = body.messages;
  if (rawMessages === undefined) throw invalid('messages: Field required');
  if (!Array.isArray(rawMessages)) throw invalid('messages: Input should be a valid list');
  if (rawMessages.length === 0) throw invalid('messages: at least one message is required');
  const messages: Message[] = new Array(rawMessages.length);
  for (let i = 0; i < rawMessages.length; i++) {
    const m = rawMessages[i];
    if (!isObject(m)) throw invalid(`messages.${i}: Input should be a valid dictionary or object`);
    const role = m.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      throw invalid(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    if (m.content === undefined) throw invalid(`messages.${i}.content: Field required`);
    const content = checkContent(m.content, `messages.${i}.content`, ctx);
    if (content.length === 0 && i < rawMessages.length - 1) {
      throw invalid(
        `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    messages[i] = { role, content };
  }
  const system = checkSystem(body.system, ctx);
  const tools = checkTools(body.tools, ctx);
  const stream = body.stream;
  if (stream !== undefined && stream !== null && typeof stream !== 'boolean') {
    throw invalid('stream: Input should be a valid boolean');
  }
  const stopRaw = body.stop_sequences;
  let stopSequences: string[] = [];
  if (stopRaw !== undefined && stopRaw !== null) {
    if (!Array.isArray(stopRaw)) throw invalid('stop_sequences: Input should be a valid list');
    for (let i = 0; i < stopRaw.length; i++) {
      const s = checkString(stopRaw[i], `stop_sequences.${i}`);
      if (s.trim().length === 0)
        throw invalid('stop_sequences: each stop sequence must contain non-whitespace');
    }
    stopSequences = stopRaw as string[];
  }
  for (const key of ['temperature', 'top_p'] as const) {
    const x = body[key];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'number' || Number.isNaN(x))
      throw invalid(`${key}: Input should be a valid number`);
    if (x < 0 || x > 1)
      throw invalid(
        `${key}: Input should be less than or equal to 1 and greater than or equal to 0`,
      );
  }
  if (body.top_k !== undefined && body.top_k !== null) {
    if (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k) || body.top_k < 0) {
      throw invalid('top_k: Input should be a valid non-negative integer');
    }
  }
  if (body.metadata !== undefined && body.metadata !== null && !isObject(body.metadata)) {
    throw invalid('metadata: Input should be a valid dictionary');
  }
  const thinking = checkThinking(body.thinking, maxTokens, opts.requireMaxTokens);
  const toolChoice = checkToolChoice(body.tool_choice, tools, thinking);
  let cacheControl: CacheControl | undefined;
  if (body.cache_control !== undefined && body.cache_control !== null) {
    checkCacheControl(body.cache_control, 'cache_control', ctx);
    cacheControl = body.cache_control as CacheControl;
  }
  if (ctx.breakpoints > MAX_BREAKPOINTS) {
    throw invalid(
      `A maximum of ${MAX_BREAKPOINTS} blocks with cache_control may be provided. Found ${ctx.breakpoints}.`,
    );
  }
  return {
    model,
    messages,
    system,
    tools,
    maxTokens,
    stream: stream === true,
    stopSequences,
    thinking,
    toolChoice,
    cacheControl,
    cacheBreakpoints: ctx.breakpoints,
  };
}

/** The number of assistant turns already in the conversation (the scenario turn index). */
export function assistantTurns(req: MessagesRequest): number {
  let n = 0;
  for (const m of req.messages) if (m.role === 'assistant') n++;
  return n;
}
