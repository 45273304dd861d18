import { z } from 'zod';

/**
 * The web ↔ worker contract: job names and their payloads, in one place.
 * Rolling deploys run old and new processes side by side, so a field added
 * here must be optional (an old sender omits it) and unknown fields are kept
 * (`looseObject`: an old worker ignores what a new sender adds).
 */
export const JOBS = {
  /** Run one attempt of a task. */
  runTask: 'baton-task-run',
  /** Where a task's job lands after its last failed attempt; re-driven by `baton task retry`. */
  taskDeadLetter: 'baton-task-dead',
} as const;

export type JobName = (typeof JOBS)[keyof typeof JOBS];

export const runTaskPayload = z.looseObject({
  taskId: z.uuid(),
  teamId: z.uuid(),
  /** Who asked (user id), for logs and audit. */
  requestedBy: z.string().optional(),
  /** Set when the job re-drives a dead-lettered or finished task. */
  redrive: z.boolean().optional(),
});
export type RunTaskPayload = z.infer<typeof runTaskPayload>;

export const PAYLOADS = {
  [JOBS.runTask]: runTaskPayload,
  [JOBS.taskDeadLetter]: runTaskPayload,
} as const satisfies Record<JobName, z.ZodType>;

/** Channels for LISTEN/NOTIFY between workers and consoles; payloads are task ids. */
export const CHANNELS = {
  /** A task has new events or a new status. */
  taskEvents: 'baton_task_events',
  /** Someone asked to cancel a task. */
  taskCancel: 'baton_task_cancel',
} as const;

/** A job's payload that is not one: which job, which field (`(root)`: the payload itself). */
export class PayloadError extends Error {
  override readonly name = 'PayloadError';
  readonly code = 'INVALID_PAYLOAD';
  constructor(
    readonly job: JobName,
    readonly field: string,
    message: string,
  ) {
    super(`invalid ${job} payload: ${field}: ${message}`);
  }
}

/** Parses a job's payload, with an error (`PayloadError`) that says which job and field is wrong. */
export function parsePayload<N extends JobName>(
  name: N,
  data: unknown,
): z.infer<(typeof PAYLOADS)[N]> {
  const result = PAYLOADS[name].safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new PayloadError(name, issue?.path.join('.') || '(root)', issue?.message ?? 'invalid');
  }
  return result.data as z.infer<(typeof PAYLOADS)[N]>;
}
