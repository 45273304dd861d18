import type { UsageRecord } from '@baton/db/usage';
import type { TaskEvent } from './events';
import type { TaskRow } from './lifecycle';

/** What the executor gives a runner for one attempt of one task. */
export interface RunContext {
  task: TaskRow;
  attempt: number;
  /** Aborted on cancel, timeout, budget or shutdown; `signal.reason` is a TaskAbort. */
  signal: AbortSignal;
  emit(event: TaskEvent): void;
  /** Records one model response's usage (taskId/teamId are filled in). */
  recordUsage(usage: Omit<UsageRecord, 'taskId' | 'teamId' | 'userId'>): void;
}

export interface RunResult {
  result: string;
}

/** Errors a runner throws may say whether another attempt could succeed. */
export interface ClassifiedError extends Error {
  code?: string;
  retryable?: boolean;
}

/** Runs one attempt of a task (through @baton/core in production). */
export interface TaskRunner {
  run(ctx: RunContext): Promise<RunResult>;
  close?(): Promise<void>;
}
