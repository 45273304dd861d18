import type { Backend, TaskStatus } from '@baton/db/schema';

export const FILTERABLE_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'budget_exceeded',
] as const satisfies readonly TaskStatus[];

export const BACKEND_OPTIONS = ['api', 'claude-code'] as const satisfies readonly Backend[];

export const PAGE_SIZE = 25;

/** The list's filters, as kept in the URL (`?status=…&backend=…&model=…&user=…&from=…&to=…&q=…`). */
export interface TaskFilters {
  status: TaskStatus | null;
  backend: Backend | null;
  model: string | null;
  user: string | null;
  /** yyyy-mm-dd, inclusive. */
  from: string | null;
  /** yyyy-mm-dd, inclusive. */
  to: string | null;
  q: string | null;
}

type Params = Record<string, string | string[] | undefined>;

function one(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.trim() ? s.trim() : undefined;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** `?status=running` → 'running'; anything else → null (all). */
export function parseStatus(value: string | string[] | undefined): TaskStatus | null {
  const v = one(value);
  return (FILTERABLE_STATUSES as readonly string[]).includes(v ?? '') ? (v as TaskStatus) : null;
}

export function parseFilters(params: Params): TaskFilters {
  const backend = one(params.backend);
  const from = one(params.from);
  const to = one(params.to);
  return {
    status: parseStatus(params.status),
    backend: (BACKEND_OPTIONS as readonly string[]).includes(backend ?? '')
      ? (backend as Backend)
      : null,
    model: one(params.model)?.slice(0, 200) ?? null,
    user: one(params.user)?.slice(0, 200) ?? null,
    from: from && DAY.test(from) ? from : null,
    to: to && DAY.test(to) ? to : null,
    q: one(params.q)?.slice(0, 200) ?? null,
  };
}

export function filtersToSearch(f: TaskFilters): string {
  const p = new URLSearchParams();
  if (f.status) p.set('status', f.status);
  if (f.backend) p.set('backend', f.backend);
  if (f.model) p.set('model', f.model);
  if (f.user) p.set('user', f.user);
  if (f.from) p.set('from', f.from);
  if (f.to) p.set('to', f.to);
  if (f.q) p.set('q', f.q);
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function hasFilters(f: TaskFilters): boolean {
  return Boolean(f.status || f.backend || f.model || f.user || f.from || f.to || f.q);
}

export function listInput(teamId: string, f: TaskFilters) {
  const nextDay = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000);
  return {
    teamId,
    status: f.status ? [f.status] : undefined,
    backend: f.backend ? [f.backend] : undefined,
    model: f.model ?? undefined,
    createdBy: f.user ?? undefined,
    from: f.from ? new Date(`${f.from}T00:00:00Z`) : undefined,
    to: f.to ? nextDay(f.to) : undefined,
    search: f.q ?? undefined,
    limit: PAGE_SIZE,
  };
}
