/**
 * Baton's facts about models, in one place: the defaults every part of Baton uses (the console,
 * the CLI, task submission, the worker, `loadConfig`) and the lifecycle dates of the models
 * Anthropic has deprecated. Anthropic's `GET /v1/models` objects carry no lifecycle fields (id,
 * display name, creation date, limits), so deprecation and retirement come from here — Anthropic's
 * model deprecations page, https://docs.claude.com/en/docs/about-claude/model-deprecations.
 */

/** The model a task runs on when none is chosen. */
export const DEFAULT_MODEL = 'claude-sonnet-5';
/** Tried in order when the model is overloaded, when none are chosen. */
export const DEFAULT_FALLBACK_MODELS: readonly string[] = Object.freeze(['claude-haiku-4-5']);
/** Summarizes conversations that outgrow their context window. */
export const DEFAULT_SUMMARIZER_MODEL = 'claude-haiku-4-5';

export interface ModelLifecycle {
  /** The canonical id, as `GET /v1/models` lists it. */
  id: string;
  /** Other ids that name the same model (undated aliases). */
  aliases: readonly string[];
  /** ISO date the deprecation was announced, when known. */
  deprecatedOn?: string;
  /** ISO date from which requests to the model fail (UTC midnight). */
  retiresOn: string;
  /** The model Anthropic recommends instead. */
  replacement: string;
}

/**
 * Deprecated models (a deprecated model always has a retirement date). A model absent from
 * this list is active.
 */
export const MODEL_LIFECYCLE: readonly ModelLifecycle[] = Object.freeze([
  {
    id: 'claude-sonnet-4-5-20250929',
    aliases: ['claude-sonnet-4-5'],
    retiresOn: '2026-11-30',
    replacement: 'claude-sonnet-4-6',
  },
  {
    id: 'claude-opus-4-1-20250805',
    aliases: ['claude-opus-4-1'],
    retiresOn: '2026-08-05',
    replacement: 'claude-opus-4-8',
  },
  {
    id: 'claude-opus-4-20250514',
    aliases: ['claude-opus-4-0'],
    deprecatedOn: '2026-04-14',
    retiresOn: '2026-06-15',
    replacement: 'claude-opus-4-8',
  },
  {
    id: 'claude-sonnet-4-20250514',
    aliases: ['claude-sonnet-4-0'],
    deprecatedOn: '2026-04-14',
    retiresOn: '2026-06-15',
    replacement: 'claude-sonnet-4-6',
  },
]);

export type ModelStatus = 'active' | 'deprecated' | 'retired';

export interface ModelState {
  status: ModelStatus;
  /** Set when deprecated or retired. */
  lifecycle?: ModelLifecycle;
}

const BY_ID = new Map<string, ModelLifecycle>();
for (const entry of MODEL_LIFECYCLE) {
  BY_ID.set(entry.id, entry);
  for (const alias of entry.aliases) BY_ID.set(alias, entry);
}

/** A model's lifecycle entry (by id or alias); undefined for an active model. */
export function findModelLifecycle(model: string): ModelLifecycle | undefined {
  return BY_ID.get(model);
}

/** Whether `model` (id or alias) is active, deprecated or retired at `at` (default now). */
export function modelStatus(model: string, at: Date | number = Date.now()): ModelState {
  const lifecycle = BY_ID.get(model);
  if (!lifecycle) return { status: 'active' };
  const t = typeof at === 'number' ? at : at.getTime();
  const day = (d: string) => Date.parse(`${d}T00:00:00Z`);
  if (lifecycle.deprecatedOn && t < day(lifecycle.deprecatedOn)) return { status: 'active' };
  const retired = day(lifecycle.retiresOn) <= t;
  return { status: retired ? 'retired' : 'deprecated', lifecycle };
}
