import { base64ImageDimensions, imageTokens } from './images.js';
import type { Block, MessagesRequest } from './messages.js';

/**
 * A deterministic, fast approximation of Claude's tokenizer: about 3.5–4 characters per token on
 * English prose, one token per CJK character, two per astral symbol (emoji). The same text always
 * counts the same, and `count_tokens` and `usage.input_tokens` come from the same functions.
 */

/** Units of a "word" that fit in one token (non-ASCII letters weigh 2 units). */
const WORD_UNITS_FIRST = 5;
const WORD_UNITS_NEXT = 4;
const DIGITS_PER_TOKEN = 3;

function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Letters outside ASCII that behave like word characters (Latin, Greek, Cyrillic, …). */
function isWideLetter(c: number): boolean {
  return c >= 0xc0 && c < 0x2000 && c !== 0xd7 && c !== 0xf7;
}

function isWordChar(c: number): boolean {
  return isAsciiLetter(c) || isWideLetter(c);
}

/** End index of a word chunk starting at `i` holding at most `units` units. */
function wordChunkEnd(s: string, i: number, units: number): number {
  let used = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (isAsciiLetter(c)) {
      if (used + 1 > units) break;
      used += 1;
    } else if (isWideLetter(c)) {
      if (used + 2 > units && used > 0) break;
      used += 2;
    } else break;
    i++;
  }
  return i;
}

/**
 * Scans tokens from the start of `s`, stopping before the token that would exceed `limit`.
 * Returns the number of tokens and the index where scanning stopped.
 */
function scan(s: string, limit: number): { tokens: number; end: number } {
  const n = s.length;
  let i = 0;
  let tokens = 0;
  let inWord = false;
  while (i < n) {
    const c = s.charCodeAt(i);
    let end: number;
    let cost = 1;
    let word = false;
    if (isWordChar(c)) {
      end = wordChunkEnd(s, i, inWord ? WORD_UNITS_NEXT : WORD_UNITS_FIRST);
      word = true;
    } else if (c === 32) {
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (isWordChar(next)) {
        end = wordChunkEnd(s, i + 1, WORD_UNITS_FIRST);
        word = true;
      } else if (isDigit(next)) {
        end = i + 1;
        while (end < n && end - i <= DIGITS_PER_TOKEN && isDigit(s.charCodeAt(end))) end++;
      } else {
        end = i + 1;
        while (end < n && end - i < 4 && s.charCodeAt(end) === 32) {
          const after = end + 1 < n ? s.charCodeAt(end + 1) : 0;
          if (isWordChar(after)) break;
          end++;
        }
      }
    } else if (isDigit(c)) {
      end = i + 1;
      while (end < n && end - i < DIGITS_PER_TOKEN && isDigit(s.charCodeAt(end))) end++;
    } else if (c === 10 || c === 13 || c === 9) {
      end = i + 1;
      if (end < n) {
        const d = s.charCodeAt(end);
        if (d === 10 || d === 13 || d === 9) end++;
      }
    } else if (c >= 0xd800 && c <= 0xdbff) {
      end = Math.min(i + 2, n);
      cost = 2;
    } else if (c < 128) {
      end = i + 1;
      while (end < n && end - i < 4 && s.charCodeAt(end) === c) end++;
    } else {
      end = i + 1;
    }
    if (tokens + cost > limit) return { tokens, end: i };
    tokens += cost;
    inWord = word && end < n && isWordChar(s.charCodeAt(end));
    i = end;
  }
  return { tokens, end: n };
}

/** Token count of a piece of text. */
export function countText(s: string): number {
  return scan(s, Number.POSITIVE_INFINITY).tokens;
}

/** The longest prefix of `s` that counts at most `maxTokens` tokens. */
export function truncateToTokens(s: string, maxTokens: number): string {
  const { end } = scan(s, maxTokens);
  return end >= s.length ? s : s.slice(0, end);
}

// Fixed costs of the prompt format (role markers, tool-use preamble) — close to what the real
// count_tokens reports for small requests.
export const REQUEST_OVERHEAD = 4;
/**
 * The part of `REQUEST_OVERHEAD` that follows the last block: the opening of the assistant turn
 * the model is asked to write. It comes after every `cache_control` breakpoint, so it can never be
 * read from or written to the cache — a request with a breakpoint on its last block still reports
 * `input_tokens` ≥ this (the real API, too, always bills a few uncached tokens there). The rest of
 * the overhead (`REQUEST_OVERHEAD - ASSISTANT_TURN_OVERHEAD`) opens the prompt and is cacheable.
 */
export const ASSISTANT_TURN_OVERHEAD = 3;
export const MESSAGE_OVERHEAD = 3;
export const SYSTEM_OVERHEAD = 3;
export const TOOLS_PREAMBLE = 346;
/** The tool-use system prompt is shorter when `tool_choice` forces a tool (`any`/`tool`). */
export const TOOLS_PREAMBLE_FORCED = 313;
export const TOOL_OVERHEAD = 8;
export const TOOL_USE_OVERHEAD = 8;
export const TOOL_RESULT_OVERHEAD = 6;
/** Image of unknown size (URL or file reference): counted as a 1092×1092 image. */
export const UNKNOWN_IMAGE_TOKENS = imageTokens(1092, 1092);

function jsonTokens(v: unknown): number {
  return countText(JSON.stringify(v) ?? '');
}

/** Thrown when a base64 image cannot be decoded (the real API answers 400). */
export class ImageError extends Error {}

function imageBlockTokens(b: Block): number {
  const src = b.source as Record<string, unknown>;
  if (src.type === 'base64') {
    const dims = base64ImageDimensions(src.data as string);
    if (!dims) throw new ImageError('Could not process image');
    return imageTokens(dims.width, dims.height);
  }
  return UNKNOWN_IMAGE_TOKENS;
}

function documentTokens(b: Block): number {
  const src = b.source as Record<string, unknown>;
  let n = 0;
  if (typeof b.title === 'string') n += countText(b.title);
  if (typeof b.context === 'string') n += countText(b.context);
  if (src.type === 'text') return n + countText(src.data as string) + 5;
  if (src.type === 'content') return n + contentTokens(src.content) + 5;
  if (src.type === 'base64') {
    // A PDF page is text plus a page image: estimate ~1,500 tokens per 100 KB of PDF.
    const bytes = ((src.data as string).length * 3) / 4;
    return n + Math.max(50, Math.ceil(bytes / 68));
  }
  return n + 1500;
}

function contentTokens(c: unknown): number {
  if (typeof c === 'string') return countText(c);
  if (!Array.isArray(c)) return 0;
  let n = 0;
  for (const b of c) n += blockTokens(b as Block, true);
  return n;
}

/** Tokens of one content block. `keepThinking` is false for thinking of earlier turns (stripped). */
export function blockTokens(b: Block, keepThinking: boolean): number {
  switch (b.type) {
    case 'text':
      return countText(b.text as string);
    case 'image':
      return imageBlockTokens(b);
    case 'document':
      return documentTokens(b);
    case 'tool_use':
    case 'server_tool_use':
      return TOOL_USE_OVERHEAD + countText(b.name as string) + jsonTokens(b.input);
    case 'tool_result':
      return TOOL_RESULT_OVERHEAD + contentTokens(b.content);
    case 'thinking':
      return keepThinking ? countText(b.thinking as string) : 0;
    case 'redacted_thinking':
      return keepThinking ? Math.ceil((b.data as string).length / 4) : 0;
    default: {
      const { cache_control: _cc, ...rest } = b;
      return jsonTokens(rest);
    }
  }
}

/** Tokens of a tool definition. */
export function toolTokens(t: Record<string, unknown>): number {
  let n = TOOL_OVERHEAD + countText(t.name as string);
  if (typeof t.description === 'string') n += countText(t.description);
  if (t.input_schema !== undefined) n += jsonTokens(t.input_schema);
  else {
    const { cache_control: _cc, name: _n, ...rest } = t;
    n += jsonTokens(rest);
  }
  return n;
}

/** One cacheable position in the prompt: the prefix up to and including a block. */
export interface PrefixPoint {
  /** Cumulative tokens of the prefix. */
  tokens: number;
  /** Index of the block in prompt order (tools, then system, then message blocks). */
  index: number;
  /** The `cache_control` on this block, if it is a breakpoint. */
  breakpoint: { ttl: '5m' | '1h' } | undefined;
}

export interface PromptAnalysis {
  /** Total input tokens (what count_tokens returns). */
  total: number;
  /** Every block boundary in prompt order (only when `withPoints`). */
  points: PrefixPoint[];
  /** Every block of the prompt in order, tools first (only when `withPoints`). */
  blocks: unknown[];
}

function ttlOf(cc: unknown): { ttl: '5m' | '1h' } | undefined {
  if (cc === undefined || cc === null) return undefined;
  return { ttl: (cc as { ttl?: string }).ttl === '1h' ? '1h' : '5m' };
}

/**
 * Counts a request's input tokens. With `withPoints`, also records the cumulative token count at
 * every block boundary (used by prompt caching).
 */
export function analyzePrompt(req: MessagesRequest, withPoints: boolean): PromptAnalysis {
  let total = REQUEST_OVERHEAD - ASSISTANT_TURN_OVERHEAD;
  const points: PrefixPoint[] = [];
  const blocks: unknown[] = [];
  const push = (block: unknown, cc: unknown) => {
    if (!withPoints) return;
    points.push({ tokens: total, index: blocks.length, breakpoint: ttlOf(cc) });
    blocks.push(block);
  };
  if (req.tools.length > 0) {
    const forced = req.toolChoice?.type === 'any' || req.toolChoice?.type === 'tool';
    total += forced ? TOOLS_PREAMBLE_FORCED : TOOLS_PREAMBLE;
    for (const t of req.tools) {
      total += toolTokens(t);
      push(t, t.cache_control);
    }
  }
  if (req.system.length > 0) {
    total += SYSTEM_OVERHEAD;
    for (const b of req.system) {
      total += countText(b.text as string);
      push(b, b.cache_control);
    }
  }
  let lastAssistant = -1;
  for (let i = req.messages.length - 1; i >= 0; i--) {
    if (req.messages[i]?.role === 'assistant') {
      lastAssistant = i;
      break;
    }
  }
  for (let i = 0; i < req.messages.length; i++) {
    const m = req.messages[i] as MessagesRequest['messages'][number];
    total += MESSAGE_OVERHEAD;
    const keepThinking = i === lastAssistant;
    for (const b of m.content) {
      total += blockTokens(b, keepThinking);
      push(withPoints ? { role: m.role, block: b } : b, b.cache_control);
    }
  }
  if (withPoints && req.cacheControl && points.length > 0) {
    const last = points[points.length - 1] as PrefixPoint;
    last.breakpoint = ttlOf(req.cacheControl);
  }
  // After the last prefix point: never cached (see ASSISTANT_TURN_OVERHEAD).
  total += ASSISTANT_TURN_OVERHEAD;
  return { total, points, blocks };
}

/** Output tokens of a response content block. */
export function outputBlockTokens(b: Block): number {
  switch (b.type) {
    case 'text':
      return countText(b.text as string);
    case 'thinking':
      return countText(b.thinking as string);
    case 'tool_use':
      return TOOL_USE_OVERHEAD + countText(b.name as string) + jsonTokens(b.input);
    default:
      return jsonTokens(b);
  }
}
