import type { FaultKind } from './faults.js';

/** Counters of one (API key, model) pair, and of the totals. */
export interface Counters {
  /** `/v1/messages` requests received (after auth). */
  requests: number;
  /** Requests admitted by the rate limiter. */
  admitted: number;
  /** 429 rate_limit_error responses. */
  rateLimited: number;
  /** Faults injected. */
  faults: number;
  /** 4xx answers other than 429 (validation, unknown model, too large). */
  clientErrors: number;
  /** Uncached input tokens admitted (`usage.input_tokens`). */
  inputTokens: number;
  /** Output tokens produced. */
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
}

export interface SimStats {
  startedAt: string;
  totals: Counters & {
    faultsByKind: Partial<Record<FaultKind, number>>;
    countTokensRequests: number;
  };
  /** API key → model → counters. */
  byKey: Record<string, Record<string, Counters>>;
}

function zero(): Counters {
  return {
    requests: 0,
    admitted: 0,
    rateLimited: 0,
    faults: 0,
    clientErrors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    cacheReadTokens: 0,
  };
}

export type CounterName = keyof Counters;

export class StatsCollector {
  private startedAt = new Date();
  private totals = zero();
  private faultsByKind: Partial<Record<FaultKind, number>> = {};
  private countTokens = 0;
  private byKey = new Map<string, Map<string, Counters>>();

  reset(): void {
    this.startedAt = new Date();
    this.totals = zero();
    this.faultsByKind = {};
    this.countTokens = 0;
    this.byKey.clear();
  }

  private cell(key: string, model: string): Counters {
    let models = this.byKey.get(key);
    if (!models) {
      models = new Map();
      this.byKey.set(key, models);
    }
    let c = models.get(model);
    if (!c) {
      c = zero();
      models.set(model, c);
    }
    return c;
  }

  add(key: string, model: string, name: CounterName, n = 1): void {
    this.cell(key, model)[name] += n;
    this.totals[name] += n;
  }

  /** Adds the token counters of one admitted response (one lookup for the hot path). */
  usage(
    key: string,
    model: string,
    input: number,
    output: number,
    w5m: number,
    w1h: number,
    read: number,
  ): void {
    const c = this.cell(key, model);
    const t = this.totals;
    c.inputTokens += input;
    t.inputTokens += input;
    c.outputTokens += output;
    t.outputTokens += output;
    c.cacheWrite5mTokens += w5m;
    t.cacheWrite5mTokens += w5m;
    c.cacheWrite1hTokens += w1h;
    t.cacheWrite1hTokens += w1h;
    c.cacheReadTokens += read;
    t.cacheReadTokens += read;
  }

  fault(key: string, model: string, kind: FaultKind): void {
    this.add(key, model, 'faults');
    this.faultsByKind[kind] = (this.faultsByKind[kind] ?? 0) + 1;
  }

  countTokensRequest(): void {
    this.countTokens++;
  }

  snapshot(): SimStats {
    const byKey: SimStats['byKey'] = {};
    for (const [k, models] of this.byKey) {
      const o: Record<string, Counters> = {};
      for (const [m, c] of models) o[m] = { ...c };
      byKey[k] = o;
    }
    return {
      startedAt: this.startedAt.toISOString(),
      totals: {
        ...this.totals,
        faultsByKind: { ...this.faultsByKind },
        countTokensRequests: this.countTokens,
      },
      byKey,
    };
  }
}
