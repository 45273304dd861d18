import { BatonError, type ErrorCode } from './errors.js';
import type { TokenCounts } from './pricing.js';
import type { SandboxInfo } from './sandbox/types.js';
import type { UsageRecord } from './usage.js';

/** An error as events carry it (plain data, serialisable). */
export interface EventError {
  code: ErrorCode;
  message: string;
  status?: number | undefined;
  requestId?: string | undefined;
}

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated';

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'refusal'
  | 'pause_turn'
  | 'max_turns'
  | 'budget'
  | 'aborted'
  | 'error'
  | (string & {});

/** The final outcome of one run (one user turn, with all its model responses and tool calls). */
export interface RunResult {
  backend: 'api' | 'claude-code';
  /** The text of the last assistant response. */
  text: string;
  stopReason: StopReason;
  /** Model responses in this run. */
  turns: number;
  /** The model that produced the last response. */
  model: string;
  /** Exact cost of the run, decimal USD. */
  costUsd: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Claude Code session id (claude-code backend). */
  sessionId?: string | undefined;
  durationMs: number;
  error?: EventError | undefined;
  /** Claude Code: the totals its `result` message reported… */
  reportedUsage?: TokenCounts | undefined;
  /** …and whether the per-response usage adds up to them. */
  usageMatchesReport?: boolean | undefined;
}

/** One event stream for both backends. */
export type BatonEvent =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string }
  | { type: 'tool_call'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; id: string; name: string; content: string; isError: boolean }
  | { type: 'usage'; usage: UsageRecord }
  | { type: 'retry'; attempt: number; delayMs: number; model: string; error: EventError }
  | { type: 'fallback'; from: string; to: string; reason: ErrorCode | 'breaker-open' }
  | { type: 'compaction'; savedTokens: number; beforeTokens: number; afterTokens: number }
  | { type: 'breaker'; provider: string; model: string; state: BreakerState }
  | { type: 'session'; sessionId: string; resumed: boolean; warm: boolean }
  /** The run is confined: how (resource control, limits, what is not enforced here). */
  | { type: 'sandbox'; sandbox: SandboxInfo }
  | { type: 'error'; error: EventError }
  | { type: 'result'; result: RunResult };

export type EventListener = (event: BatonEvent) => void;

/** A running turn: iterate its events, or await its result. */
export interface Run extends AsyncIterable<BatonEvent> {
  readonly result: Promise<RunResult>;
}

/** A typed error as an event carries it. */
export function toEventError(e: BatonError): EventError {
  return { code: e.code, message: e.message, status: e.status, requestId: e.requestId };
}

export interface StartRunOptions {
  onEvent?: EventListener | undefined;
  /** What the run's result rejects with, given what `execute` threw. */
  toError: (e: unknown) => Error;
  /** Called with the result before the `result` event. */
  onResult?: (r: RunResult) => void;
}

/**
 * The wiring every backend's `run` shares: `execute` gets an `emit` that feeds both the run's
 * event stream (a Channel, for iteration) and the caller's `onEvent`. Success ends the stream
 * with a `result` event; failure emits an `error` event (for a BatonError) and makes the
 * iteration throw after the buffered events. The result promise is also observed through the
 * iteration, so it never counts as an unhandled rejection.
 */
export function startRun(
  execute: (emit: (e: BatonEvent) => void) => Promise<RunResult>,
  options: StartRunOptions,
): Run {
  const channel = new Channel<BatonEvent>();
  const listener = options.onEvent;
  const emit = listener
    ? (e: BatonEvent) => {
        channel.push(e);
        listener(e);
      }
    : (e: BatonEvent) => channel.push(e);
  const result = execute(emit).then(
    (r) => {
      options.onResult?.(r);
      emit({ type: 'result', result: r });
      channel.end();
      return r;
    },
    (e: unknown) => {
      const err = options.toError(e);
      if (err instanceof BatonError) emit({ type: 'error', error: toEventError(err) });
      channel.fail(err);
      throw err;
    },
  );
  result.catch(() => {});
  return { result, [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator]() };
}

/**
 * A single-consumer async queue: producers `push`, the consumer iterates. `end` finishes the
 * iteration; `fail` makes it throw after the buffered events.
 */
export class Channel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | undefined;
  private waitingReject: ((e: unknown) => void) | undefined;
  private done = false;
  private error: unknown;
  private failed = false;

  push(value: T): void {
    if (this.done) return;
    const w = this.waiting;
    if (w) {
      this.waiting = undefined;
      this.waitingReject = undefined;
      w({ value, done: false });
    } else this.buffer.push(value);
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    const w = this.waiting;
    this.waiting = undefined;
    this.waitingReject = undefined;
    w?.({ value: undefined, done: true });
  }

  fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.failed = true;
    this.error = error;
    const r = this.waitingReject;
    this.waiting = undefined;
    this.waitingReject = undefined;
    r?.(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const v = this.buffer.shift();
        if (v !== undefined) return Promise.resolve({ value: v, done: false });
        if (this.done) {
          if (this.failed) {
            this.failed = false;
            return Promise.reject(this.error);
          }
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => {
          this.waiting = resolve;
          this.waitingReject = reject;
        });
      },
      return: () => {
        this.done = true;
        this.buffer.length = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
