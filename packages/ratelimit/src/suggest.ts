import type { UsageEntry } from './blocks.js';
import { modelClass } from './scope.js';

export type SuggestionKind =
  | 'batch-similar'
  | 'compress-context'
  | 'space-requests'
  | 'cheaper-model';

/** A plain record the console shows. */
export interface Suggestion {
  kind: SuggestionKind;
  severity: 'info' | 'warning';
  title: string;
  detail: string;
  /** The numbers behind it. */
  evidence: Record<string, number | string>;
  /** Rough saving over the analysed records, when one can be estimated. */
  estimatedSavingsUsd?: number;
}

export interface SuggestOptions {
  /** Requests of one model needed before batching is suggested. Default 20. */
  batchMinRequests?: number;
  /** Mean input tokens (uncached + cache reads) per request that counts as a large context. Default 20,000. */
  largeContextTokens?: number;
  /** A minute with more than this multiple of the average rate counts as a burst. Default 3. */
  burstFactor?: number;
  /** Mean output below which an expensive-class request may fit a cheaper model. Default 400. */
  shortOutputTokens?: number;
  /** Price of the cheaper model relative to the current one, per class. Default opus→sonnet 0.6, sonnet→haiku 1/3. */
  cheaperRatio?: Partial<Record<string, { to: string; ratio: number }>>;
  /** Fewest requests in one minute that can count as a burst. Default 10. */
  burstMinRequests?: number;
  /** Rate-limit errors seen in the same period (from the limiter or the usage log). */
  rateLimitErrors?: number;
}

const DEFAULT_CHEAPER: Record<string, { to: string; ratio: number }> = {
  opus: { to: 'sonnet', ratio: 0.6 },
  sonnet: { to: 'haiku', ratio: 1 / 3 },
};

const t = (r: UsageEntry) => new Date(r.timestamp).getTime();
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Looks at usage records and returns what would cut cost or rate-limit pressure. */
export function suggest(
  records: readonly UsageEntry[],
  options: SuggestOptions = {},
): Suggestion[] {
  const out: Suggestion[] = [];
  if (records.length === 0) return out;
  const byModel = new Map<string, UsageEntry[]>();
  for (const r of records) {
    const list = byModel.get(r.model) ?? [];
    list.push(r);
    byModel.set(r.model, list);
  }

  // Many similar requests to one model: the Message Batches API costs half.
  const batchMin = options.batchMinRequests ?? 20;
  for (const [model, list] of byModel) {
    if (list.length < batchMin) continue;
    const sizes = list.map((r) => r.inputTokens + r.cacheReadTokens + r.cacheCreationTokens);
    const mean = sum(sizes) / sizes.length;
    const sd = Math.sqrt(sum(sizes.map((s) => (s - mean) ** 2)) / sizes.length);
    const cv = mean > 0 ? sd / mean : 0;
    if (cv > 0.5) continue;
    const cost = sum(list.map((r) => r.costUsd ?? 0));
    out.push({
      kind: 'batch-similar',
      severity: 'info',
      title: `Batch ${list.length} similar ${model} requests`,
      detail:
        'These requests have similar prompts; sent through the Message Batches API they cost half and do not count against the per-minute limits.',
      evidence: {
        model,
        requests: list.length,
        meanInputTokens: Math.round(mean),
        sizeVariation: round2(cv),
      },
      estimatedSavingsUsd: round2(cost / 2),
    });
  }

  // Large contexts with little caching: compress or cache the stable prefix.
  const large = options.largeContextTokens ?? 20_000;
  const contexts = records.map((r) => r.inputTokens + r.cacheReadTokens + r.cacheCreationTokens);
  const meanContext = sum(contexts) / records.length;
  const cacheRead = sum(records.map((r) => r.cacheReadTokens));
  const cacheShare = sum(contexts) > 0 ? cacheRead / sum(contexts) : 0;
  if (meanContext >= large) {
    out.push({
      kind: 'compress-context',
      severity: meanContext >= 2 * large ? 'warning' : 'info',
      title: 'Compress the context',
      detail:
        cacheShare < 0.2
          ? 'Requests carry large prompts that are rarely read from the cache: summarise old turns, drop unused tool results, and mark the stable prefix with cache_control (cache reads cost a tenth and do not count toward the input-token limit).'
          : 'Requests carry large prompts: summarise old turns and drop unused tool results to cut input tokens.',
      evidence: { meanContextTokens: Math.round(meanContext), cacheReadShare: round2(cacheShare) },
    });
  }

  // Bursts: the busiest minute far above the average rate, or rate-limit errors.
  const times = records.map(t).sort((a, b) => a - b);
  const spanMin = Math.max(
    1,
    ((times[times.length - 1] as number) - (times[0] as number)) / 60_000,
  );
  const perMinute = new Map<number, number>();
  for (const x of times)
    perMinute.set(Math.floor(x / 60_000), (perMinute.get(Math.floor(x / 60_000)) ?? 0) + 1);
  const peak = Math.max(...perMinute.values());
  const average = records.length / spanMin;
  const burst = options.burstFactor ?? 3;
  const errors = options.rateLimitErrors ?? 0;
  if ((peak >= (options.burstMinRequests ?? 10) && peak > burst * average) || errors > 0) {
    out.push({
      kind: 'space-requests',
      severity: errors > 0 ? 'warning' : 'info',
      title: 'Space requests out',
      detail:
        'Work arrives in bursts that hit the per-minute limits while the rest of the time is idle: queue it with a lower priority class or schedule it evenly.',
      evidence: {
        peakRequestsPerMinute: peak,
        averageRequestsPerMinute: round2(average),
        rateLimitErrors: errors,
      },
    });
  }

  // Short answers from an expensive model: a cheaper one likely does.
  const cheaper = { ...DEFAULT_CHEAPER, ...options.cheaperRatio };
  const shortOut = options.shortOutputTokens ?? 400;
  const byClass = new Map<string, UsageEntry[]>();
  for (const r of records) {
    const c = modelClass(r.model);
    byClass.set(c, [...(byClass.get(c) ?? []), r]);
  }
  for (const [cls, list] of byClass) {
    const target = cheaper[cls];
    if (!target || list.length < 5) continue;
    const meanOut = sum(list.map((r) => r.outputTokens)) / list.length;
    if (meanOut >= shortOut) continue;
    const cost = sum(list.map((r) => r.costUsd ?? 0));
    out.push({
      kind: 'cheaper-model',
      severity: 'info',
      title: `Move short ${cls} tasks to ${target.to}`,
      detail: `These ${cls} requests produce short answers (about ${Math.round(meanOut)} tokens); ${target.to} usually handles such tasks at a fraction of the price.`,
      evidence: { modelClass: cls, requests: list.length, meanOutputTokens: Math.round(meanOut) },
      estimatedSavingsUsd: round2(cost * (1 - target.ratio)),
    });
  }
  return out;
}
