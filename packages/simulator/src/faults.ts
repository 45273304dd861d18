import type { ModelClass } from './models.js';
import { Rng } from './rng.js';

/**
 * Fault kinds:
 * - `overloaded`       529 overloaded_error
 * - `rate-limit`       429 rate_limit_error with `retry-after` (`ms`, default 1000, rounded up to seconds)
 * - `api-error`        500 api_error
 * - `gateway-timeout`  504 timeout_error (JSON), or the edge's HTML page with `body=html`
 * - `reset-before`     the connection is reset before any response byte
 * - `reset-mid`        the connection is reset in the middle of the response
 * - `stall`            the response stops (headers and some events sent) but the socket stays open
 * - `stream-error`     a 200 stream that ends with `event: error` (overloaded_error)
 * - `slow-first-byte`  the response headers are delayed by `ms`
 */
export type FaultKind =
  | 'overloaded'
  | 'rate-limit'
  | 'api-error'
  | 'gateway-timeout'
  | 'reset-before'
  | 'reset-mid'
  | 'stall'
  | 'stream-error'
  | 'slow-first-byte';

export const FAULT_KINDS: readonly FaultKind[] = [
  'overloaded',
  'rate-limit',
  'api-error',
  'gateway-timeout',
  'reset-before',
  'reset-mid',
  'stall',
  'stream-error',
  'slow-first-byte',
];

const ALIASES: Record<string, FaultKind> = {
  '529': 'overloaded',
  '429': 'rate-limit',
  '500': 'api-error',
  '504': 'gateway-timeout',
  timeout: 'gateway-timeout',
  reset: 'reset-before',
  'error-event': 'stream-error',
  slow: 'slow-first-byte',
};

export type FaultTrigger =
  | { type: 'always' }
  | { type: 'probability'; p: number }
  | { type: 'every'; n: number }
  | { type: 'next'; n: number };

export interface FaultRule {
  kind: FaultKind;
  /** Only requests for this model id or model class (opus/sonnet/haiku/…) are affected. */
  model?: string;
  trigger: FaultTrigger;
  /** slow-first-byte: delay (default 2000). stall: close the socket after this long (default never). rate-limit: the retry-after (default 1000). */
  ms?: number;
  /** reset-mid / stall / stream-error: content deltas sent before the fault (default 1). */
  after?: number;
  /** gateway-timeout: `json` (default, `timeout_error`) or `html` (the edge's page). */
  body?: 'json' | 'html';
}

export interface FaultSpec {
  rules: FaultRule[];
  /** Seed of the probability draws (default 1). */
  seed?: number;
}

function parseKind(raw: string, where: string): FaultKind {
  const k = (ALIASES[raw] ?? raw) as FaultKind;
  if (!FAULT_KINDS.includes(k)) {
    throw new Error(
      `${where}: unknown fault kind "${raw}" (expected one of ${FAULT_KINDS.join(', ')})`,
    );
  }
  return k;
}

function parseCount(v: string, what: string, where: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`${where}: ${what} must be a positive integer, got "${v}"`);
  return n;
}

function applyOption(rule: FaultRule, part: string, where: string): boolean {
  const eq = part.indexOf('=');
  if (eq < 0) return false;
  const key = part.slice(0, eq).trim();
  const value = part.slice(eq + 1).trim();
  switch (key) {
    case 'p': {
      const p = Number(value);
      if (!(p >= 0 && p <= 1))
        throw new Error(`${where}: probability must be between 0 and 1, got "${value}"`);
      rule.trigger = { type: 'probability', p };
      return true;
    }
    case 'every':
      rule.trigger = { type: 'every', n: parseCount(value, 'every', where) };
      return true;
    case 'next':
      rule.trigger = { type: 'next', n: parseCount(value, 'next', where) };
      return true;
    case 'ms': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`${where}: ms must be a non-negative integer, got "${value}"`);
      rule.ms = n;
      return true;
    }
    case 'after': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0)
        throw new Error(`${where}: after must be a non-negative integer, got "${value}"`);
      rule.after = n;
      return true;
    }
    case 'body':
      if (value !== 'json' && value !== 'html')
        throw new Error(`${where}: body must be json or html`);
      rule.body = value;
      return true;
    case 'model':
      if (value.length === 0) throw new Error(`${where}: empty model`);
      rule.model = value;
      return true;
    default:
      throw new Error(`${where}: unknown option "${key}"`);
  }
}

/**
 * Parses one fault entry: `kind[@model][:trigger][:option=value…]` where the trigger is a
 * probability (`0.1` or `p=0.1`), `every=N`, `next=N` or `always` (the default).
 */
export function parseFaultRule(entry: string, where = `fault "${entry}"`): FaultRule {
  const parts = entry.split(':').map((s) => s.trim());
  const head = parts[0] ?? '';
  const at = head.indexOf('@');
  const kindRaw = at >= 0 ? head.slice(0, at) : head;
  if (kindRaw.length === 0) throw new Error(`${where}: missing fault kind`);
  const rule: FaultRule = { kind: parseKind(kindRaw, where), trigger: { type: 'always' } };
  if (at >= 0) {
    const model = head.slice(at + 1);
    if (model.length === 0) throw new Error(`${where}: empty model after "@"`);
    rule.model = model;
  }
  for (const part of parts.slice(1)) {
    if (part.length === 0) throw new Error(`${where}: empty section`);
    if (part === 'always') {
      rule.trigger = { type: 'always' };
    } else if (!applyOption(rule, part, where)) {
      const p = Number(part);
      if (!Number.isFinite(p) || p < 0 || p > 1) {
        throw new Error(`${where}: "${part}" is neither a probability in [0,1] nor option=value`);
      }
      rule.trigger = { type: 'probability', p };
    }
  }
  return rule;
}

/**
 * Parses a fault spec: comma-separated entries (see `parseFaultRule`), plus an optional
 * `seed=N` entry. Example: `overloaded:0.1,reset-mid:0.05,stall:every=20,seed=7`.
 * An empty string is "no faults".
 */
export function parseFaultSpec(spec: string): FaultSpec {
  const out: FaultSpec = { rules: [] };
  for (const raw of spec.split(',')) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    if (entry.startsWith('seed=')) {
      const n = Number(entry.slice(5));
      if (!Number.isInteger(n))
        throw new Error(`fault spec: seed must be an integer, got "${entry.slice(5)}"`);
      out.seed = n;
      continue;
    }
    out.rules.push(parseFaultRule(entry));
  }
  return out;
}

function matchesModel(rule: FaultRule, model: string, canonical: string, cls: ModelClass): boolean {
  return (
    rule.model === undefined ||
    rule.model === model ||
    rule.model === canonical ||
    rule.model === cls
  );
}

/** Decides, request by request, which fault (if any) applies. Deterministic for a seed. */
export class FaultInjector {
  private spec: FaultSpec;
  private rng: Rng;
  private counts: number[] = [];
  private remaining: number[] = [];

  constructor(spec: FaultSpec | undefined) {
    this.spec = spec ?? { rules: [] };
    this.rng = new Rng(this.spec.seed ?? 1);
    this.resetCounters();
  }

  get rules(): readonly FaultRule[] {
    return this.spec.rules;
  }

  private resetCounters(): void {
    this.counts = this.spec.rules.map(() => 0);
    this.remaining = this.spec.rules.map((r) => (r.trigger.type === 'next' ? r.trigger.n : 0));
  }

  get seed(): number | undefined {
    return this.spec.seed;
  }

  /** Restarts counters and the random sequence (same spec). */
  restart(): void {
    this.rng = new Rng(this.spec.seed ?? 1);
    this.resetCounters();
  }

  set(spec: FaultSpec | undefined): void {
    this.spec = spec ?? { rules: [] };
    this.rng = new Rng(this.spec.seed ?? 1);
    this.resetCounters();
  }

  /** The first rule that fires for this request, if any. */
  decide(model: string, canonical: string, cls: ModelClass): FaultRule | undefined {
    const rules = this.spec.rules;
    let fired: FaultRule | undefined;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i] as FaultRule;
      if (!matchesModel(r, model, canonical, cls)) continue;
      const count = (this.counts[i] ?? 0) + 1;
      this.counts[i] = count;
      let fire = false;
      switch (r.trigger.type) {
        case 'always':
          fire = true;
          break;
        case 'probability':
          fire = this.rng.next() < r.trigger.p;
          break;
        case 'every':
          fire = count % r.trigger.n === 0;
          break;
        case 'next':
          if ((this.remaining[i] as number) > 0) {
            this.remaining[i] = (this.remaining[i] as number) - 1;
            fire = true;
          }
          break;
      }
      if (fire && !fired) fired = r;
    }
    return fired;
  }
}

/** Formats a rule back to the spec syntax (used by stats and the README). */
export function formatFaultRule(r: FaultRule): string {
  let s = r.kind + (r.model ? `@${r.model}` : '');
  const t = r.trigger;
  if (t.type === 'probability') s += `:${t.p}`;
  else if (t.type === 'every') s += `:every=${t.n}`;
  else if (t.type === 'next') s += `:next=${t.n}`;
  if (r.ms !== undefined) s += `:ms=${r.ms}`;
  if (r.after !== undefined) s += `:after=${r.after}`;
  if (r.body !== undefined) s += `:body=${r.body}`;
  return s;
}
