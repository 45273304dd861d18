import type { Block, MessagesRequest } from './messages.js';

/**
 * The readable text of a request's blocks: text blocks, and the text of tool results (a string
 * content, or its text blocks). Images, documents, tool calls and thinking carry no prose here.
 */
export function blocksText(blocks: readonly Block[]): string[] {
  const out: string[] = [];
  for (const b of blocks) {
    if (b.type === 'text' && typeof b.text === 'string') out.push(b.text);
    else if (b.type === 'tool_result') {
      if (typeof b.content === 'string') out.push(b.content);
      else if (Array.isArray(b.content)) out.push(...blocksText(b.content as Block[]));
    }
  }
  return out;
}

/** The index of the last user message, or -1. */
export function lastUserIndex(req: MessagesRequest): number {
  for (let i = req.messages.length - 1; i >= 0; i--) {
    if (req.messages[i]?.role === 'user') return i;
  }
  return -1;
}

/** The text blocks of the request's last user message (not its tool results), joined. */
export function lastUserText(req: MessagesRequest): string {
  const m = req.messages[lastUserIndex(req)];
  if (!m) return '';
  return m.content
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
}

/** Whether the last user message carries tool results. */
export function lastUserHasToolResults(req: MessagesRequest): boolean {
  const m = req.messages[lastUserIndex(req)];
  return m?.content.some((b) => b.type === 'tool_result') ?? false;
}

/** Scenario markers (`[[scenario:x]]`) are addressed to the simulator, not part of the prose. */
const MARKER = /\[\[scenario:[^\]]*\]\]/g;

/** Splits prose into sentences: at `.`, `!` or `?` followed by white space, and at line breaks. */
export function sentences(text: string): string[] {
  return text
    .replace(MARKER, ' ')
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}
