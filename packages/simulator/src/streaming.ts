import type { Block } from './messages.js';
import type { PlannedReply } from './responder.js';
import { countText } from './tokens.js';

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: { ephemeral_5m_input_tokens: number; ephemeral_1h_input_tokens: number };
  service_tier: 'standard';
}

export function usageJson(
  input: number,
  output: number,
  write5m: number,
  write1h: number,
  read: number,
): Usage {
  return {
    input_tokens: input,
    cache_creation_input_tokens: write5m + write1h,
    cache_read_input_tokens: read,
    cache_creation: { ephemeral_5m_input_tokens: write5m, ephemeral_1h_input_tokens: write1h },
    output_tokens: output,
    service_tier: 'standard',
  };
}

/** The non-streaming response body. */
export function messageJson(id: string, model: string, reply: PlannedReply, usage: Usage): string {
  return JSON.stringify({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: reply.content,
    stop_reason: reply.stopReason,
    stop_sequence: reply.stopSequence,
    usage,
  });
}

/** One SSE event; `tokens` > 0 marks a content delta (used for pacing and mid-stream faults). */
export interface SseEvent {
  text: string;
  tokens: number;
}

function ev(name: string, data: unknown, tokens = 0): SseEvent {
  return { text: `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`, tokens };
}

export const PING: SseEvent = ev('ping', { type: 'ping' });

/** Splits text into streaming chunks of about `size` characters, at spaces when possible. */
export function chunkText(text: string, size: number): string[] {
  if (text.length <= size) return [text];
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    let end = Math.min(text.length, i + size);
    if (end < text.length) {
      const sp = text.lastIndexOf(' ', end);
      if (sp > i + size / 2) end = sp;
    }
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

const TEXT_CHUNK = 48;
/** Paced replies stream in smaller deltas (a few tokens each, as the real API), so they visibly flow. */
const PACED_TEXT_CHUNK = 16;
const JSON_CHUNK = 40;

function blockStart(b: Block): Record<string, unknown> {
  switch (b.type) {
    case 'text':
      return { type: 'text', text: '' };
    case 'thinking':
      return { type: 'thinking', thinking: '', signature: '' };
    case 'tool_use':
      return { type: 'tool_use', id: b.id, name: b.name, input: {} };
    default:
      return b;
  }
}

/**
 * The SSE event sequence of a reply, as the real API sends it: `message_start`, then per block
 * `content_block_start` / `content_block_delta`… / `content_block_stop` (a `ping` after the first
 * block start), then `message_delta` (stop reason, final usage) and `message_stop`.
 */
export function streamEvents(
  id: string,
  model: string,
  reply: PlannedReply,
  usage: Usage,
): SseEvent[] {
  const events: SseEvent[] = [];
  events.push(
    ev('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) },
      },
    }),
  );
  reply.content.forEach((b, index) => {
    events.push(
      ev('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: blockStart(b),
      }),
    );
    if (index === 0) events.push(PING);
    const total = reply.blockTokens[index] ?? 0;
    const textChunk = reply.tokensPerSecond > 0 ? PACED_TEXT_CHUNK : TEXT_CHUNK;
    if (b.type === 'text') {
      for (const chunk of chunkText(b.text as string, textChunk)) {
        events.push(
          ev(
            'content_block_delta',
            { type: 'content_block_delta', index, delta: { type: 'text_delta', text: chunk } },
            Math.max(1, countText(chunk)),
          ),
        );
      }
    } else if (b.type === 'thinking') {
      for (const chunk of chunkText(b.thinking as string, textChunk)) {
        events.push(
          ev(
            'content_block_delta',
            {
              type: 'content_block_delta',
              index,
              delta: { type: 'thinking_delta', thinking: chunk },
            },
            Math.max(1, countText(chunk)),
          ),
        );
      }
      events.push(
        ev('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'signature_delta', signature: b.signature },
        }),
      );
    } else if (b.type === 'tool_use') {
      const json = JSON.stringify(b.input);
      const chunks = ['', ...chunkText(json, JSON_CHUNK)];
      const per = Math.max(1, Math.round(total / chunks.length));
      for (const chunk of chunks) {
        events.push(
          ev(
            'content_block_delta',
            {
              type: 'content_block_delta',
              index,
              delta: { type: 'input_json_delta', partial_json: chunk },
            },
            per,
          ),
        );
      }
    }
    events.push(ev('content_block_stop', { type: 'content_block_stop', index }));
  });
  events.push(
    ev('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: reply.stopReason, stop_sequence: reply.stopSequence },
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens: usage.output_tokens,
      },
    }),
  );
  events.push(ev('message_stop', { type: 'message_stop' }));
  return events;
}

/** `event: error` as sent after a 200 when the stream fails. */
export function errorEvent(type: string, message: string): string {
  return `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type, message } })}\n\n`;
}
