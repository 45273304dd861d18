import type { TaskStatus } from '@baton/db/schema';

export const FILTERABLE_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
] as const satisfies readonly TaskStatus[];

export const PAGE_SIZE = 25;

/** `?status=running` → 'running'; anything else → null (all). */
export function parseStatus(value: string | string[] | undefined): TaskStatus | null {
  const v = Array.isArray(value) ? value[0] : value;
  return (FILTERABLE_STATUSES as readonly string[]).includes(v ?? '') ? (v as TaskStatus) : null;
}

export function listInput(teamId: string, status: TaskStatus | null) {
  return { teamId, status: status ? [status] : undefined, limit: PAGE_SIZE };
}
