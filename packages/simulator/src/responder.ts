import { toolUseId } from './ids.js';
import type { Block, MessagesRequest } from './messages.js';
import type { OutputDistribution, ReplyMode, ResponseConfig } from './options.js';
import { recallText } from './recall.js';
import { simulatedText } from './reply-text.js';
import { fnv1a, type Rng } from './rng.js';
import type { ScenarioTurn } from './scenario.js';
import { countText, outputBlockTokens, truncateToTokens } from './tokens.js';
import { applyToolChoice, forcedToolTurn, isForced } from './toolchoice.js';

export type StopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'pause_turn'
  | 'refusal'
  | 'model_context_window_exceeded';

/** A fully decided reply, before it is written as JSON or as an SSE stream. */
export interface PlannedReply {
  content: Block[];
  /** Output tokens of each content block (same order). */
  blockTokens: number[];
  stopReason: StopReason;
  stopSequence: string | null;
  outputTokens: number;
  ttftMs: number;
  tokensPerSecond: number;
}

export function drawLength(d: OutputDistribution, rng: Rng): number {
  let x: number;
  switch (d.type) {
    case 'fixed':
      x = d.tokens;
      break;
    case 'uniform':
      x = rng.int(d.min, d.max);
      break;
    case 'normal':
      x = d.mean + d.sd * rng.normal();
      break;
    case 'lognormal':
      x = d.median * Math.exp(d.sigma * rng.normal());
      break;
  }
  return Math.max(1, Math.round(x));
}

/** A stable, opaque-looking thinking signature derived from the thinking text. */
export function thinkingSignature(thinking: string): string {
  let h = fnv1a(thinking);
  let raw = '';
  for (let i = 0; i < 24; i++) {
    h = fnv1a(String(i), h);
    raw += h.toString(16).padStart(8, '0');
  }
  return Buffer.from(`sim1${raw}`, 'latin1').toString('base64');
}

function thinkingEnabled(req: MessagesRequest): boolean {
  return req.thinking !== undefined && req.thinking.type !== 'disabled';
}

/**
 * Content for a non-scripted request: optional thinking, then the text — a generated reply that
 * says it is simulated (`reply: 'generated'`), or what the request contains (`reply: 'recall'`).
 */
export function defaultContent(
  req: MessagesRequest,
  cfg: ResponseConfig,
  rng: Rng,
  mode: ReplyMode = cfg.reply,
): Block[] {
  const blocks: Block[] = [];
  if (thinkingEnabled(req)) {
    const budget = req.thinking?.budget_tokens ?? 2048;
    const n = Math.min(budget, rng.int(16, 64));
    const thinking = simulatedText(req, rng, n, 'thinking');
    blocks.push({ type: 'thinking', thinking, signature: thinkingSignature(thinking) });
  }
  const text =
    mode === 'recall'
      ? recallText(req)
      : simulatedText(req, rng, drawLength(cfg.outputTokens, rng));
  blocks.push({ type: 'text', text });
  return blocks;
}

/** Content of a scripted turn (tool ids generated, signatures filled in). */
export function scriptedContent(turn: ScenarioTurn): Block[] {
  return turn.content.map((b): Block => {
    if (b.type === 'tool_use')
      return { type: 'tool_use', id: b.id ?? toolUseId(), name: b.name, input: b.input };
    if (b.type === 'thinking') {
      return {
        type: 'thinking',
        thinking: b.thinking,
        signature: b.signature ?? thinkingSignature(b.thinking),
      };
    }
    return { type: 'text', text: b.text };
  });
}

/**
 * What the model means to say, before stop sequences and the budget: the scripted turn (shaped
 * by `tool_choice`), else under a forced `tool_choice` a generated call to the tool (built as a
 * scripted turn, so it takes the scripted path), else the generated default reply.
 */
export function intendedReply(
  req: MessagesRequest,
  turn: ScenarioTurn | undefined,
  cfg: ResponseConfig,
  rng: Rng,
  mode: ReplyMode = cfg.reply,
): { content: Block[]; naturalStop: StopReason } {
  const script = turn ?? forcedToolTurn(req, rng);
  const content = script
    ? applyToolChoice(scriptedContent(script), req.toolChoice)
    : defaultContent(req, cfg, rng, mode);
  const hasCall = content.some((b) => b.type === 'tool_use');
  const naturalStop: StopReason =
    hasCall && isForced(req.toolChoice)
      ? 'tool_use'
      : (script?.stop_reason ?? (hasCall ? 'tool_use' : 'end_turn'));
  return { content, naturalStop };
}

function firstStop(text: string, stops: string[]): { index: number; seq: string } | undefined {
  let best: { index: number; seq: string } | undefined;
  for (const seq of stops) {
    const i = text.indexOf(seq);
    if (i >= 0 && (best === undefined || i < best.index)) best = { index: i, seq };
  }
  return best;
}

/**
 * Applies `stop_sequences` and the output budget to the intended content: text is cut before
 * the first stop sequence (→ `stop_sequence`), content beyond the budget is truncated or dropped
 * (→ `max_tokens`, or `model_context_window_exceeded` when the context window was the bound).
 */
export function finalizeContent(
  intended: Block[],
  naturalStop: StopReason,
  stopSequences: string[],
  budget: number,
  budgetIsContext: boolean,
): {
  content: Block[];
  blockTokens: number[];
  stopReason: StopReason;
  stopSequence: string | null;
  outputTokens: number;
} {
  const content: Block[] = [];
  const blockTokens: number[] = [];
  let used = 0;
  let stopReason = naturalStop;
  let stopSequence: string | null = null;
  const overBudget: StopReason = budgetIsContext ? 'model_context_window_exceeded' : 'max_tokens';
  for (const b of intended) {
    if (b.type === 'text' || b.type === 'thinking') {
      const key = b.type === 'text' ? 'text' : 'thinking';
      let text = b[key] as string;
      let stopHit: string | undefined;
      if (b.type === 'text' && stopSequences.length > 0) {
        const s = firstStop(text, stopSequences);
        if (s) {
          text = text.slice(0, s.index);
          stopHit = s.seq;
        }
      }
      let t = countText(text);
      if (used + t > budget) {
        text = truncateToTokens(text, budget - used);
        t = countText(text);
        if (text.length > 0) {
          content.push(b.type === 'text' ? { type: 'text', text } : { ...b, thinking: text });
          blockTokens.push(t);
        }
        used += t;
        stopReason = overBudget;
        break;
      }
      if (text.length > 0 || b.type === 'thinking' || stopHit === undefined) {
        content.push(b.type === 'text' ? { type: 'text', text } : b);
        blockTokens.push(t);
      }
      used += t;
      if (stopHit !== undefined) {
        stopReason = 'stop_sequence';
        stopSequence = stopHit;
        break;
      }
    } else {
      const t = outputBlockTokens(b);
      if (used + t > budget) {
        stopReason = overBudget;
        break;
      }
      content.push(b);
      blockTokens.push(t);
      used += t;
    }
  }
  // The model always emits at least one token.
  return { content, blockTokens, stopReason, stopSequence, outputTokens: Math.max(1, used) };
}
