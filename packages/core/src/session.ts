import type { ContentBlockParam } from '@anthropic-ai/sdk/resources/messages';
import type { ClaudeTranscript } from './claude-transcript.js';
import type { TokenCounts } from './pricing.js';

/** A message of the API history. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string | ContentBlockParam[];
}

/** Per-message bookkeeping, aligned with `messages`. */
export interface MessageMeta {
  /** Estimated tokens of the message. */
  tokens: number;
  /** Kept verbatim by compaction. */
  pinned?: boolean;
  /** The message is a summary written by compaction. */
  summary?: boolean;
}

export type BackendKind = 'api' | 'claude-code';

/** Model configuration of a conversation. */
export interface ModelConfig {
  model: string;
  /** Tried in order when the model is overloaded or its circuit is open. */
  fallbackModels: string[];
  maxTokens: number;
  /** Extended thinking budget (tokens); undefined = off. */
  thinkingBudget?: number | undefined;
}

/**
 * Everything needed to continue a conversation on any worker: saved through a SessionStore
 * after every run.
 */
export interface SessionState {
  conversationId: string;
  backend: BackendKind;
  config: ModelConfig;
  system?: string | undefined;
  /** API history (api backend). */
  messages: ChatMessage[];
  meta: MessageMeta[];
  /** Messages ever added (compaction does not decrease it). */
  messageCount: number;
  /** Model responses so far. */
  turns: number;
  usage: TokenCounts;
  costUsd: string;
  /** The latest context summary written by compaction. */
  summary?: string | undefined;
  compactions: number;
  /** Claude Code's session id (claude-code backend): resume it anywhere. */
  claudeSessionId?: string | undefined;
  /**
   * Its transcript, so that a worker without the session's files can resume it (the backend
   * writes it back into that worker's HOME first).
   */
  claudeTranscript?: ClaudeTranscript | undefined;
  /** Claude Code working directory. */
  cwd?: string | undefined;
  createdAt: string;
  updatedAt: string;
}

export function zeroTokens(): TokenCounts {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
  };
}

export function addTokens(into: TokenCounts, t: TokenCounts): void {
  into.inputTokens += t.inputTokens;
  into.outputTokens += t.outputTokens;
  into.cacheWrite5mTokens += t.cacheWrite5mTokens;
  into.cacheWrite1hTokens += t.cacheWrite1hTokens;
  into.cacheReadTokens += t.cacheReadTokens;
}

export interface NewSessionOptions {
  conversationId: string;
  backend?: BackendKind;
  model: string;
  fallbackModels?: string[];
  maxTokens?: number;
  thinkingBudget?: number;
  system?: string;
  cwd?: string;
}

export function newSessionState(o: NewSessionOptions): SessionState {
  const now = new Date().toISOString();
  return {
    conversationId: o.conversationId,
    backend: o.backend ?? 'api',
    config: {
      model: o.model,
      fallbackModels: o.fallbackModels ?? [],
      maxTokens: o.maxTokens ?? 4096,
      thinkingBudget: o.thinkingBudget,
    },
    system: o.system,
    messages: [],
    meta: [],
    messageCount: 0,
    turns: 0,
    usage: zeroTokens(),
    costUsd: '0',
    compactions: 0,
    cwd: o.cwd,
    createdAt: now,
    updatedAt: now,
  };
}

/** A deep copy that is plain JSON (what stores persist). */
export function cloneState(s: SessionState): SessionState {
  return structuredClone(s);
}
