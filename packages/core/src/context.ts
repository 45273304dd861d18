import type { ContentBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage, MessageMeta, SessionState } from './session.js';

/** Writes the summary of messages that are compressed away. */
export interface Summarizer {
  summarize(request: SummarizeRequest): Promise<string>;
}

export interface SummarizeRequest {
  /** Rendered transcript of the messages to compress (oldest first). */
  transcript: string;
  /** The summary written by an earlier compaction, if any (it is part of the transcript too). */
  previousSummary: string | undefined;
  /** The current task (latest user text): what the summary must keep useful. */
  focus: string;
  conversationId: string;
  signal?: AbortSignal | undefined;
}

export interface ContextManagerOptions {
  summarizer: Summarizer;
  /** Context window of a model in tokens. Default: 1M for claude-opus-5-5, 200k otherwise. */
  windowTokens?: (model: string) => number;
  /** Compact when the conversation passes this fraction of the window. Default 0.8. */
  threshold?: number;
  /** Aim for at most this fraction of the window after compaction. Default 0.5. */
  target?: number;
  /** Most recent messages always kept verbatim. Default 6. */
  keepRecent?: number;
  /** Tool results longer than this (tokens) are truncated in older kept messages. Default 1000. */
  maxToolResultTokens?: number;
  /** Token estimate of a message content. Default: ~3.5 characters per token. */
  estimate?: (content: ChatMessage['content']) => number;
}

export interface CompactionResult {
  beforeTokens: number;
  afterTokens: number;
  savedTokens: number;
  /** Messages replaced by the summary. */
  summarized: number;
  summary: string;
}

export interface ContextManager {
  /** Tokens of the conversation (system + messages, estimated). */
  tokens(state: SessionState): number;
  /** True when the conversation is past the threshold for this model. */
  needsCompaction(state: SessionState, model: string): boolean;
  /** Compacts when needed (or always with `force`); undefined when nothing was done. */
  compact(
    state: SessionState,
    options: { model: string; force?: boolean; signal?: AbortSignal | undefined },
  ): Promise<CompactionResult | undefined>;
  /** Estimated tokens of a content (used to fill `meta`). */
  estimate(content: ChatMessage['content']): number;
}

const CHARS_PER_TOKEN = 3.5;
const IMAGE_TOKENS = 1600;

/**
 * Output tokens of text streamed so far (a response cut off before its final usage): the same
 * characters-per-token as `estimateTokens`, without a message's framing.
 */
export function estimateStreamedTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

export function estimateTokens(content: ChatMessage['content']): number {
  if (typeof content === 'string') return 4 + Math.ceil(content.length / CHARS_PER_TOKEN);
  let n = 4;
  for (const b of content) n += blockTokens(b);
  return n;
}

function blockTokens(b: ContentBlockParam): number {
  switch (b.type) {
    case 'text':
      return 2 + Math.ceil(b.text.length / CHARS_PER_TOKEN);
    case 'image':
      return IMAGE_TOKENS;
    case 'thinking':
      return 2 + Math.ceil(b.thinking.length / CHARS_PER_TOKEN);
    case 'tool_use':
      return 8 + Math.ceil(JSON.stringify(b.input ?? {}).length / CHARS_PER_TOKEN);
    case 'tool_result': {
      const c = b.content;
      if (c === undefined) return 6;
      if (typeof c === 'string') return 6 + Math.ceil(c.length / CHARS_PER_TOKEN);
      let n = 6;
      for (const x of c)
        n += x.type === 'text' ? Math.ceil(x.text.length / CHARS_PER_TOKEN) : IMAGE_TOKENS;
      return n;
    }
    default:
      return Math.ceil(JSON.stringify(b).length / CHARS_PER_TOKEN);
  }
}

export function defaultWindowTokens(model: string): number {
  return model.startsWith('claude-opus-5-5') ? 1_000_000 : 200_000;
}

function textOf(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  const out: string[] = [];
  for (const b of content) {
    if (b.type === 'text') out.push(b.text);
    else if (b.type === 'tool_use') out.push(`[tool call ${b.name} ${JSON.stringify(b.input)}]`);
    else if (b.type === 'tool_result') {
      const c = b.content;
      const t =
        typeof c === 'string'
          ? c
          : (c ?? []).map((x) => (x.type === 'text' ? x.text : `[${x.type}]`)).join(' ');
      out.push(`[tool result${b.is_error ? ' (error)' : ''}: ${t}]`);
    } else if (b.type === 'image') out.push('[image]');
  }
  return out.join('\n');
}

/** The latest user text that is not a tool result: the current task. */
export function currentTask(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as ChatMessage;
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    const t = m.content.filter((b) => b.type === 'text').map((b) => (b as { text: string }).text);
    if (t.length > 0) return t.join('\n');
  }
  return '';
}

const hasBlock = (m: ChatMessage | undefined, type: string) =>
  m !== undefined && typeof m.content !== 'string' && m.content.some((b) => b.type === type);

/**
 * Groups messages into units that compaction keeps or drops together: an assistant message that
 * calls tools and the user message carrying their results are never separated.
 */
export function toolUnits(messages: readonly ChatMessage[]): Array<[number, number]> {
  const units: Array<[number, number]> = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (
      m?.role === 'assistant' &&
      hasBlock(m, 'tool_use') &&
      hasBlock(messages[i + 1], 'tool_result')
    ) {
      units.push([i, i + 1]);
      i++;
    } else units.push([i, i]);
  }
  return units;
}

const WORD = /[\p{L}\p{N}_]{3,}/gu;
function words(s: string): Set<string> {
  return new Set((s.toLowerCase().match(WORD) ?? []).slice(0, 2000));
}

/** Relevance of a text to the task: the share of the task's words it contains. */
function relevance(text: string, task: Set<string>): number {
  if (task.size === 0) return 0;
  const w = words(text);
  let hit = 0;
  for (const x of task) if (w.has(x)) hit++;
  return hit / task.size;
}

function truncateToolResults(
  m: ChatMessage,
  maxTokens: number,
  estimate: (c: ChatMessage['content']) => number,
): ChatMessage {
  if (typeof m.content === 'string') return m;
  let changed = false;
  const content = m.content.map((b) => {
    if (b.type !== 'tool_result') return b;
    const text = textOf([b]);
    if (estimate(text) <= maxTokens) return b;
    changed = true;
    const keep = Math.floor(maxTokens * CHARS_PER_TOKEN);
    const t = typeof b.content === 'string' ? b.content : text;
    return {
      ...b,
      content: `${t.slice(0, keep)}\n[… ${t.length - keep} characters truncated by context compaction]`,
    };
  });
  return changed ? { role: m.role, content } : m;
}

/** Merges adjacent messages of the same role (tool results first in a user message). */
function normalize(messages: ChatMessage[], meta: MessageMeta[]): [ChatMessage[], MessageMeta[]] {
  const outM: ChatMessage[] = [];
  const outT: MessageMeta[] = [];
  const blocks = (c: ChatMessage['content']): ContentBlockParam[] =>
    typeof c === 'string' ? [{ type: 'text', text: c }] : c;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as ChatMessage;
    const t = meta[i] as MessageMeta;
    const prev = outM[outM.length - 1];
    if (prev && prev.role === m.role) {
      const merged = [...blocks(prev.content), ...blocks(m.content)];
      if (m.role === 'user')
        merged.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
      outM[outM.length - 1] = { role: m.role, content: merged };
      const pt = outT[outT.length - 1] as MessageMeta;
      outT[outT.length - 1] = {
        tokens: pt.tokens + t.tokens,
        pinned: Boolean(pt.pinned || t.pinned),
        summary: Boolean(pt.summary || t.summary),
      };
    } else {
      outM.push(m);
      outT.push({ ...t });
    }
  }
  return [outM, outT];
}

export const SUMMARY_PREFIX =
  'Summary of the earlier conversation (written by context compaction):';

/**
 * Keeps a conversation inside its model's window: past the threshold, it scores the older
 * messages (recency, relevance to the current task, place in a tool chain), keeps the recent,
 * pinned and best-scoring ones verbatim (tool results truncated), and replaces the rest by a
 * summary from the Summarizer — never separating a tool_use from its tool_result.
 */
export function createContextManager(options: ContextManagerOptions): ContextManager {
  const estimate = options.estimate ?? estimateTokens;
  const windowOf = options.windowTokens ?? defaultWindowTokens;
  const threshold = options.threshold ?? 0.8;
  const target = options.target ?? 0.5;
  const keepRecent = options.keepRecent ?? 6;
  const maxToolResult = options.maxToolResultTokens ?? 1000;
  if (!(threshold > 0 && threshold <= 1))
    throw new RangeError('context.threshold must be in (0, 1]');
  if (!(target > 0 && target <= threshold))
    throw new RangeError('context.target must be in (0, threshold]');

  const tokens = (s: SessionState): number => {
    let n = s.system ? estimate(s.system) : 0;
    for (let i = 0; i < s.messages.length; i++) {
      const t = s.meta[i];
      n += t ? t.tokens : estimate((s.messages[i] as ChatMessage).content);
    }
    return n;
  };

  return {
    estimate,
    tokens,
    needsCompaction: (s, model) => tokens(s) > threshold * windowOf(model),
    async compact(state, { model, force, signal }) {
      const before = tokens(state);
      const window = windowOf(model);
      if (!force && before <= threshold * window) return undefined;
      const msgs = state.messages;
      for (let i = 0; i < msgs.length; i++) {
        if (!state.meta[i]) state.meta[i] = { tokens: estimate((msgs[i] as ChatMessage).content) };
      }
      const units = toolUnits(msgs);
      // Recent units are always kept (at least the last one, so the current turn stays intact).
      let recentStart = units.length;
      let recentMsgs = 0;
      while (recentStart > 0 && (recentMsgs < keepRecent || recentStart === units.length)) {
        recentStart--;
        const [a, b] = units[recentStart] as [number, number];
        recentMsgs += b - a + 1;
      }
      const budget = Math.floor(target * window);
      const unitTokens = (u: [number, number]) => {
        let n = 0;
        for (let i = u[0]; i <= u[1]; i++) n += (state.meta[i] as MessageMeta).tokens;
        return n;
      };
      const keep = new Set<number>();
      let used = state.system ? estimate(state.system) : 0;
      for (let u = recentStart; u < units.length; u++) {
        keep.add(u);
        used += unitTokens(units[u] as [number, number]);
      }
      const task = words(currentTask(msgs));
      const candidates: Array<{ u: number; score: number; tokens: number }> = [];
      for (let u = 0; u < recentStart; u++) {
        const unit = units[u] as [number, number];
        const pinned =
          (state.meta[unit[0]] as MessageMeta).pinned ||
          (state.meta[unit[1]] as MessageMeta).pinned;
        if (pinned) {
          keep.add(u);
          used += unitTokens(unit);
          continue;
        }
        if ((state.meta[unit[0]] as MessageMeta).summary) continue; // an older summary is re-summarised
        let text = '';
        for (let i = unit[0]; i <= unit[1]; i++)
          text += `${textOf((msgs[i] as ChatMessage).content)}\n`;
        const recency = (u + 1) / Math.max(1, recentStart);
        const toolChain = unit[0] !== unit[1] ? 0.5 : 1; // finished tool chains compress well
        const score = 0.4 * recency + 0.5 * relevance(text, task) + 0.1 * toolChain;
        candidates.push({ u, score, tokens: unitTokens(unit) });
      }
      // Forced compaction (the provider said the prompt is too large) keeps no optional unit.
      if (!force) {
        candidates.sort((a, b) => b.score - a.score);
        for (const c of candidates) {
          if (used + c.tokens > budget * 0.5) continue;
          keep.add(c.u);
          used += c.tokens;
        }
      }
      const dropped: number[] = [];
      for (let u = 0; u < recentStart; u++) if (!keep.has(u)) dropped.push(u);
      if (dropped.length === 0 && !force) return undefined;

      let transcript = '';
      for (const u of dropped) {
        const [a, b] = units[u] as [number, number];
        for (let i = a; i <= b; i++) {
          const m = msgs[i] as ChatMessage;
          transcript += `${m.role === 'user' ? 'User' : 'Assistant'}: ${textOf(m.content)}\n\n`;
        }
      }
      let summary = state.summary ?? '';
      if (dropped.length > 0) {
        summary = await options.summarizer.summarize({
          transcript,
          previousSummary: state.summary,
          focus: currentTask(msgs),
          conversationId: state.conversationId,
          signal,
        });
      }
      const nextMsgs: ChatMessage[] = [];
      const nextMeta: MessageMeta[] = [];
      if (dropped.length > 0) {
        const text = `${SUMMARY_PREFIX}\n${summary}`;
        nextMsgs.push({ role: 'user', content: [{ type: 'text', text }] });
        nextMeta.push({ tokens: estimate(text), summary: true });
      }
      for (let u = 0; u < units.length; u++) {
        if (!keep.has(u)) continue;
        const [a, b] = units[u] as [number, number];
        for (let i = a; i <= b; i++) {
          let m = msgs[i] as ChatMessage;
          const meta = state.meta[i] as MessageMeta;
          if (u < recentStart && !meta.pinned) m = truncateToolResults(m, maxToolResult, estimate);
          nextMsgs.push(m);
          nextMeta.push(m === msgs[i] ? meta : { ...meta, tokens: estimate(m.content) });
        }
      }
      // The conversation must start with a user message.
      if (nextMsgs[0]?.role === 'assistant') {
        nextMsgs.unshift({ role: 'user', content: [{ type: 'text', text: SUMMARY_PREFIX }] });
        nextMeta.unshift({ tokens: estimate(SUMMARY_PREFIX), summary: true });
      }
      const [m2, t2] = normalize(nextMsgs, nextMeta);
      state.messages = m2;
      state.meta = t2;
      state.summary = summary || state.summary;
      state.compactions++;
      const after = tokens(state);
      return {
        beforeTokens: before,
        afterTokens: after,
        savedTokens: Math.max(0, before - after),
        summarized: dropped.reduce((n, u) => {
          const [a, b] = units[u] as [number, number];
          return n + b - a + 1;
        }, 0),
        summary,
      };
    },
  };
}

/** A summarizer that needs no model: the first characters of every message (a last resort). */
export function truncatingSummarizer(charsPerMessage = 400): Summarizer {
  return {
    async summarize({ transcript, previousSummary }) {
      const parts = transcript
        .split('\n\n')
        .filter((p) => p.trim().length > 0)
        .map((p) => (p.length > charsPerMessage ? `${p.slice(0, charsPerMessage)}…` : p));
      return [previousSummary, ...parts].filter(Boolean).join('\n');
    },
  };
}

export const SUMMARIZER_SYSTEM =
  'You compress conversations. Summarize the transcript you are given so the conversation can continue without it. Keep every fact, name, number, decision, file path and open question; drop pleasantries. Write plain prose or bullet points, at most a few hundred words.';

/** The prompt the model-based summarizer sends (exposed for tests and custom summarizers). */
export function summarizerPrompt(r: SummarizeRequest): string {
  return `Summarize the earlier part of a conversation.\n\nCurrent task (keep what it needs): ${r.focus || '(none)'}\n\n<transcript>\n${r.transcript}</transcript>`;
}
