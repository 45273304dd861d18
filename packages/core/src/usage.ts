import type { ErrorCode } from './errors.js';
import { type PriceTable, parseUsd, picoToUsd, type TokenCounts } from './pricing.js';

/** One model response: what it used and cost. Keyed by provider request id + message id. */
export interface UsageRecord extends TokenCounts {
  /** `${requestId}:${messageId}` — the dedupe key (a retry or a re-run never counts twice). */
  key: string;
  provider: string;
  backend: 'api' | 'claude-code';
  requestId: string | null;
  messageId: string | null;
  /** The model that answered. */
  model: string;
  /** The model the caller asked for (differs after a fallback). */
  requestedModel: string;
  conversationId: string | null;
  sessionId: string | null;
  latencyMs: number | null;
  ttftMs: number | null;
  status: 'ok' | 'error';
  errorType: ErrorCode | null;
  /**
   * The response ended before its final usage (cancelled, cut off): `outputTokens` is counted
   * from the output streamed so far, an estimate. Input and cache counts are the server's own.
   */
  outputEstimated: boolean;
  /** Exact decimal USD; null when the model has no price. */
  costUsd: string | null;
  /** `validFrom` of the price row used. */
  priceValidFrom: string | null;
  startedAt: string;
}

export interface UsageSink {
  record(usage: UsageRecord): void | Promise<void>;
  /** Writes what is buffered (batching sinks). */
  flush?(): Promise<void>;
  close?(): Promise<void>;
}

/** Usage as the Messages API reports it (also in Claude Code's stream and transcripts). */
export interface ApiUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation?: {
    ephemeral_5m_input_tokens?: number | null;
    ephemeral_1h_input_tokens?: number | null;
  } | null;
}

/** Normalises API usage: cache writes without the 5m/1h split count as 5-minute writes. */
export function tokenCounts(u: ApiUsage | null | undefined): TokenCounts {
  const write = u?.cache_creation_input_tokens ?? 0;
  const w1h = u?.cache_creation?.ephemeral_1h_input_tokens ?? 0;
  const w5m = u?.cache_creation?.ephemeral_5m_input_tokens ?? Math.max(0, write - w1h);
  return {
    inputTokens: u?.input_tokens ?? 0,
    outputTokens: u?.output_tokens ?? 0,
    cacheWrite5mTokens: w5m,
    cacheWrite1hTokens: w1h,
    cacheReadTokens: u?.cache_read_input_tokens ?? 0,
  };
}

export function totalTokens(t: TokenCounts): number {
  return (
    t.inputTokens + t.outputTokens + t.cacheWrite5mTokens + t.cacheWrite1hTokens + t.cacheReadTokens
  );
}

export interface UsageRecordInput extends TokenCounts {
  provider: string;
  backend: 'api' | 'claude-code';
  requestId: string | null;
  messageId: string | null;
  model: string;
  requestedModel?: string;
  conversationId?: string | null;
  sessionId?: string | null;
  latencyMs?: number | null;
  ttftMs?: number | null;
  status?: 'ok' | 'error';
  errorType?: ErrorCode | null;
  outputEstimated?: boolean;
  startedAt?: Date | number;
}

/** Builds a record and prices it. */
export function usageRecord(input: UsageRecordInput, prices: PriceTable): UsageRecord {
  const started = input.startedAt === undefined ? new Date() : new Date(input.startedAt);
  const cost = prices.cost(input.model, input, started);
  const rec: UsageRecord = {
    key: `${input.requestId ?? '-'}:${input.messageId ?? '-'}`,
    provider: input.provider,
    backend: input.backend,
    requestId: input.requestId,
    messageId: input.messageId,
    model: input.model,
    requestedModel: input.requestedModel ?? input.model,
    conversationId: input.conversationId ?? null,
    sessionId: input.sessionId ?? null,
    inputTokens: input.inputTokens,
    outputTokens: input.outputTokens,
    cacheWrite5mTokens: input.cacheWrite5mTokens,
    cacheWrite1hTokens: input.cacheWrite1hTokens,
    cacheReadTokens: input.cacheReadTokens,
    latencyMs: input.latencyMs ?? null,
    ttftMs: input.ttftMs ?? null,
    status: input.status ?? 'ok',
    errorType: input.errorType ?? null,
    outputEstimated: input.outputEstimated ?? false,
    costUsd: cost?.usd ?? null,
    priceValidFrom: cost?.price.validFrom ?? null,
    startedAt: started.toISOString(),
  };
  if (cost) picoOf.set(rec, { usd: cost.usd, pico: cost.pico });
  return rec;
}

/** The exact cost of records built here, so summing them needs no re-parsing of `costUsd`. */
const picoOf = new WeakMap<UsageRecord, { usd: string; pico: bigint }>();

/** A record's cost in picodollars (0 without a price). */
export function costPico(u: UsageRecord): bigint {
  if (!u.costUsd) return 0n;
  const p = picoOf.get(u);
  // A record whose costUsd was changed after it was built is taken at its word.
  return p !== undefined && p.usd === u.costUsd ? p.pico : parseUsd(u.costUsd);
}

export interface UsageTotals extends TokenCounts {
  records: number;
  costUsd: string;
}

/** Exact totals of records. */
export function sumUsage(records: Iterable<UsageRecord>): UsageTotals {
  const t = {
    records: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
  };
  let cost = 0n;
  for (const r of records) {
    t.records++;
    t.inputTokens += r.inputTokens;
    t.outputTokens += r.outputTokens;
    t.cacheWrite5mTokens += r.cacheWrite5mTokens;
    t.cacheWrite1hTokens += r.cacheWrite1hTokens;
    t.cacheReadTokens += r.cacheReadTokens;
    if (r.costUsd) cost += parseUsd(r.costUsd);
  }
  return { ...t, costUsd: picoToUsd(cost) };
}

export interface MemoryUsageSink extends UsageSink {
  readonly records: UsageRecord[];
  totals(): UsageTotals;
  clear(): void;
}

/** Keeps records in memory; a record with a key already seen replaces nothing and is dropped. */
export function memoryUsageSink(): MemoryUsageSink {
  const records: UsageRecord[] = [];
  const seen = new Set<string>();
  return {
    records,
    record(u) {
      if (seen.has(u.key)) return;
      seen.add(u.key);
      records.push(u);
    },
    totals: () => sumUsage(records),
    clear() {
      records.length = 0;
      seen.clear();
    },
  };
}

export interface BatchingOptions {
  /** Flush when this many records are buffered. Default 100. */
  maxBatch?: number;
  /** Flush at least this often while records are buffered. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Called when a batch write fails (the batch is kept and retried on the next flush). */
  onError?: (error: unknown, batch: readonly UsageRecord[]) => void;
}

export interface BatchingUsageSink extends UsageSink {
  flush(): Promise<void>;
  close(): Promise<void>;
  readonly pending: number;
}

/**
 * Buffers records and writes them in batches (`write(batch)`, e.g. one multi-row INSERT).
 * `record` never blocks the model call; `flush`/`close` wait for the writes.
 */
export function batchingUsageSink(
  write: (batch: UsageRecord[]) => Promise<void>,
  options: BatchingOptions = {},
): BatchingUsageSink {
  const maxBatch = options.maxBatch ?? 100;
  const interval = options.flushIntervalMs ?? 1000;
  let buffer: UsageRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const flushNow = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (buffer.length === 0) return chain;
    const batch = buffer;
    buffer = [];
    const p = chain.then(async () => {
      try {
        await write(batch);
      } catch (e) {
        buffer = batch.concat(buffer);
        options.onError?.(e, batch);
        if (!options.onError) throw e;
      }
    });
    chain = p.catch(() => {});
    return p;
  };

  return {
    get pending() {
      return buffer.length;
    },
    record(u) {
      if (closed) throw new Error('usage sink is closed');
      buffer.push(u);
      if (buffer.length >= maxBatch) {
        flushNow().catch(() => {});
      } else if (!timer) {
        timer = setTimeout(() => {
          timer = undefined;
          flushNow().catch(() => {});
        }, interval);
        timer.unref?.();
      }
    },
    flush: () => flushNow(),
    async close() {
      closed = true;
      await flushNow();
    },
  };
}

/**
 * Fans out to several sinks; a failing sink does not stop the others (the first error is
 * rethrown after all were called).
 */
export function teeUsageSink(...sinks: UsageSink[]): UsageSink {
  return {
    async record(u) {
      let first: unknown;
      for (const s of sinks) {
        try {
          await s.record(u);
        } catch (e) {
          first ??= e;
        }
      }
      if (first !== undefined) throw first;
    },
    async flush() {
      for (const s of sinks) await s.flush?.();
    },
    async close() {
      for (const s of sinks) await s.close?.();
    },
  };
}
