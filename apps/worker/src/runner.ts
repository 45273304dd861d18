import type { UsageRow } from '@baton/db/usage';
import type { TaskEvent } from './events';
import type { SessionRow, TaskRow } from './lifecycle';

/** What the executor gives a runner for one attempt of one task. */
export interface RunContext {
  task: TaskRow;
  attempt: number;
  /**
   * The conversation an earlier attempt saved, as the start statement read it: null when
   * there is none, undefined when it was not read.
   */
  savedSession?: unknown;
  /** Aborted on cancel, timeout, budget or shutdown; `signal.reason` is a TaskAbort. */
  signal: AbortSignal;
  emit(event: TaskEvent): void;
  /** Records one model response's usage (taskId/teamId are filled in). */
  recordUsage(usage: Omit<UsageRow, 'taskId' | 'teamId' | 'userId'>): void;
  /**
   * Writes the usage recorded so far, now: awaited before the run's next request, so what the
   * provider billed is durable before more is asked. Rejects (retryable) when the writes gave up
   * — the records then go with the attempt's settle statement, once.
   */
  flushUsage(): Promise<void>;
}

export interface RunResult {
  result: string;
}

/** Errors a runner throws may say whether another attempt could succeed. */
export interface ClassifiedError extends Error {
  code?: string;
  retryable?: boolean;
}

export interface PoolUse {
  active: number;
  idle: number;
  waiting: number;
  max: number;
}

/** Runs one attempt of a task (through @baton/core in production). */
export interface TaskRunner {
  run(ctx: RunContext): Promise<RunResult>;
  /** The task's conversation saved by the attempt and not written yet, for the settle statement. */
  takeSession?(taskId: string): SessionRow | undefined;
  /** Its session pool's use: leased, kept idle for reuse, waiting for a slot, and the limit. */
  poolStats?(): PoolUse;
  /** Remaining capacity of the shared rate-limit buckets, per scope and dimension, now. */
  rateLimits?(): Promise<Array<{ scope: string; dimension: string; remaining: number }>>;
  close?(): Promise<void>;
}
