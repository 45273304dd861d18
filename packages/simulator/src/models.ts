/** The model line a model belongs to; rate limits are kept per line ("model class"). */
export type ModelClass = 'opus' | 'sonnet' | 'haiku' | 'fable' | 'mythos';

export const MODEL_CLASSES: readonly ModelClass[] = ['opus', 'sonnet', 'haiku', 'fable', 'mythos'];

export interface ModelInfo {
  /** Canonical id, as listed by `GET /v1/models`. */
  id: string;
  /** Other ids that resolve to this model (undated aliases or dated snapshots). */
  aliases: readonly string[];
  displayName: string;
  modelClass: ModelClass;
  /** Maximum input tokens (context window). */
  contextWindow: number;
  /** Maximum `max_tokens`. */
  maxOutput: number;
  /** Minimum cacheable prefix length, in tokens (below it nothing is written to the cache). */
  minCacheable: number;
  createdAt: string;
}

const K = 1000;

/**
 * The models served, newest first. Ids follow the ones real clients send: `@anthropic-ai/sdk`
 * 1.12's `Model` union and Claude Code's default `claude-opus-5-5`. Minimum cacheable lengths
 * follow Anthropic's prompt-caching documentation (4,096 for Opus 4.5/4.6 and Haiku 4.5, 2,048
 * for Opus 4.7 and Sonnet 4.6, 1,024 for Opus 4.8, Sonnet 5, Sonnet 4.5, Opus 4.1/4, 512 for the
 * 5-series Opus/Fable/Mythos).
 */
export const MODELS: readonly ModelInfo[] = [
  m('claude-opus-5-5', [], 'Claude Opus 5.5', 'opus', 1000 * K, 128 * K, 512, '2026-09-09'),
  m('claude-sonnet-5-5', [], 'Claude Sonnet 5.5', 'sonnet', 200 * K, 128 * K, 1024, '2026-09-09'),
  m('claude-haiku-5-5', [], 'Claude Haiku 5.5', 'haiku', 200 * K, 64 * K, 2048, '2026-09-09'),
  m('claude-fable-5-2', [], 'Claude Fable 5.2', 'fable', 200 * K, 128 * K, 512, '2026-08-12'),
  m('claude-mythos-5-2', [], 'Claude Mythos 5.2', 'mythos', 200 * K, 128 * K, 512, '2026-08-12'),
  m('claude-fable-5-1', [], 'Claude Fable 5.1', 'fable', 200 * K, 128 * K, 512, '2026-07-15'),
  m('claude-mythos-5-1', [], 'Claude Mythos 5.1', 'mythos', 200 * K, 128 * K, 512, '2026-07-15'),
  m('claude-opus-5', [], 'Claude Opus 5', 'opus', 200 * K, 128 * K, 512, '2026-06-10'),
  m('claude-sonnet-5', [], 'Claude Sonnet 5', 'sonnet', 200 * K, 64 * K, 1024, '2026-06-10'),
  m('claude-fable-5', [], 'Claude Fable 5', 'fable', 200 * K, 128 * K, 512, '2026-06-10'),
  m('claude-mythos-5', [], 'Claude Mythos 5', 'mythos', 200 * K, 128 * K, 512, '2026-06-10'),
  m('claude-opus-4-8', [], 'Claude Opus 4.8', 'opus', 200 * K, 128 * K, 1024, '2026-05-05'),
  m('claude-opus-4-7', [], 'Claude Opus 4.7', 'opus', 200 * K, 128 * K, 2048, '2026-03-18'),
  m(
    'claude-mythos-preview',
    [],
    'Claude Mythos Preview',
    'mythos',
    200 * K,
    128 * K,
    512,
    '2026-03-01',
  ),
  m('claude-opus-4-6', [], 'Claude Opus 4.6', 'opus', 200 * K, 128 * K, 4096, '2026-02-05'),
  m('claude-sonnet-4-6', [], 'Claude Sonnet 4.6', 'sonnet', 200 * K, 64 * K, 2048, '2026-02-17'),
  m(
    'claude-opus-4-5-20251101',
    ['claude-opus-4-5'],
    'Claude Opus 4.5',
    'opus',
    200 * K,
    64 * K,
    4096,
    '2025-11-24',
  ),
  m(
    'claude-haiku-4-5-20251001',
    ['claude-haiku-4-5'],
    'Claude Haiku 4.5',
    'haiku',
    200 * K,
    64 * K,
    4096,
    '2025-10-15',
  ),
  m(
    'claude-sonnet-4-5-20250929',
    ['claude-sonnet-4-5'],
    'Claude Sonnet 4.5',
    'sonnet',
    200 * K,
    64 * K,
    1024,
    '2025-09-29',
  ),
  m(
    'claude-opus-4-1-20250805',
    ['claude-opus-4-1'],
    'Claude Opus 4.1',
    'opus',
    200 * K,
    32 * K,
    1024,
    '2025-08-05',
  ),
  m(
    'claude-opus-4-20250514',
    ['claude-opus-4-0'],
    'Claude Opus 4',
    'opus',
    200 * K,
    32 * K,
    1024,
    '2025-05-22',
  ),
  m(
    'claude-sonnet-4-20250514',
    ['claude-sonnet-4-0'],
    'Claude Sonnet 4',
    'sonnet',
    200 * K,
    64 * K,
    1024,
    '2025-05-22',
  ),
];

function m(
  id: string,
  aliases: string[],
  displayName: string,
  modelClass: ModelClass,
  contextWindow: number,
  maxOutput: number,
  minCacheable: number,
  date: string,
): ModelInfo {
  return {
    id,
    aliases,
    displayName,
    modelClass,
    contextWindow,
    maxOutput,
    minCacheable,
    createdAt: `${date}T00:00:00Z`,
  };
}

const BY_ID = new Map<string, ModelInfo>();
for (const model of MODELS) {
  BY_ID.set(model.id, model);
  for (const alias of model.aliases) BY_ID.set(alias, model);
}

/** Resolves a model id or alias; undefined when the model is not served. */
export function findModel(id: string): ModelInfo | undefined {
  return BY_ID.get(id);
}

/** The JSON object `GET /v1/models` returns for a model. */
export function modelJson(model: ModelInfo): Record<string, unknown> {
  return {
    type: 'model',
    id: model.id,
    display_name: model.displayName,
    created_at: model.createdAt,
    max_input_tokens: model.contextWindow,
    max_tokens: model.maxOutput,
  };
}

export interface ModelPage {
  data: Record<string, unknown>[];
  has_more: boolean;
  first_id: string | null;
  last_id: string | null;
}

/** `GET /v1/models` with the real API's cursor pagination (`limit`, `after_id`, `before_id`). */
export function listModels(params: URLSearchParams): ModelPage {
  const limitRaw = params.get('limit');
  let limit = 20;
  if (limitRaw !== null) {
    const n = Number(limitRaw);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new RangeError('limit: Input should be greater than or equal to 1 and at most 1000');
    }
    limit = n;
  }
  const afterId = params.get('after_id');
  const beforeId = params.get('before_id');
  let start = 0;
  let end = MODELS.length;
  if (afterId !== null) {
    const i = MODELS.findIndex((x) => x.id === afterId);
    start = i < 0 ? MODELS.length : i + 1;
  }
  if (beforeId !== null) {
    const i = MODELS.findIndex((x) => x.id === beforeId);
    end = Math.max(i, 0);
    start = Math.max(start, end - limit);
  }
  const slice = MODELS.slice(start, Math.min(end, start + limit));
  return {
    data: slice.map(modelJson),
    has_more: beforeId !== null ? start > 0 : start + slice.length < end,
    first_id: slice[0]?.id ?? null,
    last_id: slice[slice.length - 1]?.id ?? null,
  };
}
