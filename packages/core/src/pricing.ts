/**
 * Prices are data: rows of USD per million tokens for a model pattern, valid from a date. Costs
 * are computed exactly in integer picodollars (1e-12 USD: tokens × micro-USD per MTok) and
 * rendered as decimal strings, so sums never drift.
 */

export type PriceValue = number | string;

export interface PriceRow {
  /** Model id or glob pattern (`claude-opus-5*`); the most specific matching pattern wins. */
  model: string;
  /** ISO date (`2026-01-01`) from which the row applies; the newest row not after the time wins. */
  validFrom: string;
  /** USD per million tokens. */
  input: PriceValue;
  cacheWrite5m: PriceValue;
  cacheWrite1h: PriceValue;
  cacheRead: PriceValue;
  output: PriceValue;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  cacheReadTokens: number;
}

export interface Price {
  model: string;
  pattern: string;
  validFrom: string;
  /** Micro-USD per million tokens = picodollars per token. */
  input: bigint;
  cacheWrite5m: bigint;
  cacheWrite1h: bigint;
  cacheRead: bigint;
  output: bigint;
}

export interface Cost {
  /** Exact cost in picodollars. */
  pico: bigint;
  /** Exact cost as a decimal USD string (`"0.0123"`). */
  usd: string;
  price: Price;
}

export interface PriceTable {
  /** The price of a model at a time (default now); undefined when no row matches. */
  lookup(model: string, at?: Date | number): Price | undefined;
  /** The exact cost of a response; undefined when the model has no price. */
  cost(model: string, tokens: TokenCounts, at?: Date | number): Cost | undefined;
  readonly rows: readonly PriceRow[];
}

const DECIMAL = /^\d+(\.\d{1,6})?$/;

/** USD per MTok (number or decimal string) → micro-USD per MTok, exactly. */
export function parsePrice(v: PriceValue, where = 'price'): bigint {
  const s = typeof v === 'number' ? numberToDecimal(v) : v.trim();
  if (!DECIMAL.test(s))
    throw new RangeError(`${where}: "${v}" is not a non-negative price with at most 6 decimals`);
  const [whole = '0', frac = ''] = s.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
}

function numberToDecimal(n: number): string {
  if (!Number.isFinite(n) || n < 0) return String(n);
  // toFixed(6) then trim: exact for every price with ≤ 6 decimals.
  return n.toFixed(6).replace(/\.?0+$/, '') || '0';
}

const PICO = 1_000_000_000_000n;

/** Picodollars → decimal USD string, exact, without trailing zeros. */
export function picoToUsd(pico: bigint): string {
  const neg = pico < 0n;
  const a = neg ? -pico : pico;
  const whole = a / PICO;
  const frac = (a % PICO).toString().padStart(12, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`;
}

/** Decimal USD string → picodollars, exact. */
export function parseUsd(usd: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,12}))?$/.exec(usd.trim());
  if (!m) throw new RangeError(`"${usd}" is not a decimal USD amount`);
  const v = BigInt(m[2] as string) * PICO + BigInt((m[3] ?? '').padEnd(12, '0'));
  return m[1] ? -v : v;
}

/** Exact sum of decimal USD strings. */
export function sumUsd(values: Iterable<string | null | undefined>): string {
  let t = 0n;
  for (const v of values) if (v) t += parseUsd(v);
  return picoToUsd(t);
}

/** Micro-USD (integer) → decimal USD string. */
export function microsToUsd(micros: bigint): string {
  return picoToUsd(micros * 1_000_000n);
}

function specificity(pattern: string): number {
  // Exact ids beat every pattern; longer literal prefixes beat shorter ones.
  return pattern.includes('*') ? pattern.replace(/\*/g, '').length : 10_000 + pattern.length;
}

function globToRegExp(pattern: string): RegExp {
  const esc = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${esc}$`);
}

interface CompiledRow {
  row: PriceRow;
  re: RegExp;
  spec: number;
  from: number;
  price: Omit<Price, 'model'>;
}

/** Builds a price table from rows (validated: a bad row throws naming its index and field). */
export function createPriceTable(rows: readonly PriceRow[]): PriceTable {
  const compiled: CompiledRow[] = rows.map((row, i) => {
    const where = `prices[${i}] (${row.model})`;
    if (typeof row.model !== 'string' || row.model.length === 0)
      throw new RangeError(`prices[${i}].model must be a non-empty string`);
    const from = Date.parse(row.validFrom);
    if (Number.isNaN(from))
      throw new RangeError(`${where}.validFrom: "${row.validFrom}" is not a date`);
    return {
      row,
      re: globToRegExp(row.model),
      spec: specificity(row.model),
      from,
      price: {
        pattern: row.model,
        validFrom: row.validFrom,
        input: parsePrice(row.input, `${where}.input`),
        cacheWrite5m: parsePrice(row.cacheWrite5m, `${where}.cacheWrite5m`),
        cacheWrite1h: parsePrice(row.cacheWrite1h, `${where}.cacheWrite1h`),
        cacheRead: parsePrice(row.cacheRead, `${where}.cacheRead`),
        output: parsePrice(row.output, `${where}.output`),
      },
    };
  });
  // Most specific first, then newest first: the first row matching and valid wins.
  compiled.sort((a, b) => b.spec - a.spec || b.from - a.from);
  // Per model: its matching rows (globs tested once per model) with their prices for it.
  const cache = new Map<string, Array<{ from: number; price: Price }>>();
  const candidates = (model: string): Array<{ from: number; price: Price }> => {
    let c = cache.get(model);
    if (!c) {
      c = compiled
        .filter((r) => r.re.test(model))
        .map((r) => ({ from: r.from, price: Object.freeze({ model, ...r.price }) }));
      if (cache.size > 1000) cache.clear();
      cache.set(model, c);
    }
    return c;
  };
  const lookup = (model: string, at: Date | number = Date.now()): Price | undefined => {
    const t = typeof at === 'number' ? at : at.getTime();
    // Most specific pattern first, newest row first: the first row already valid wins.
    for (const r of candidates(model)) if (r.from <= t) return r.price;
    return undefined;
  };
  return {
    rows,
    lookup,
    cost(model, tokens, at) {
      const price = lookup(model, at);
      if (!price) return undefined;
      const pico =
        BigInt(tokens.inputTokens) * price.input +
        BigInt(tokens.cacheWrite5mTokens) * price.cacheWrite5m +
        BigInt(tokens.cacheWrite1hTokens) * price.cacheWrite1h +
        BigInt(tokens.cacheReadTokens) * price.cacheRead +
        BigInt(tokens.outputTokens) * price.output;
      return { pico, usd: picoToUsd(pico), price };
    },
  };
}

const row = (
  model: string,
  input: string,
  cacheWrite5m: string,
  cacheWrite1h: string,
  cacheRead: string,
  output: string,
  validFrom = '2025-01-01',
): PriceRow => ({ model, validFrom, input, cacheWrite5m, cacheWrite1h, cacheRead, output });

/** Default prices (Anthropic's pricing page, 2026-09), USD per MTok. The operator can replace them. */
export const DEFAULT_PRICES: readonly PriceRow[] = Object.freeze([
  // Opus 4 and 4.1 (the older, higher price; `claude-opus-4*` catches any other Opus 4 id), then
  // Opus 4.5 and later. The same rows as the database's seed (migrations 0001, 0023; a test says so).
  row('claude-opus-4*', '15', '18.75', '30', '1.5', '75'),
  row('claude-opus-4-0*', '15', '18.75', '30', '1.5', '75'),
  row('claude-opus-4-1*', '15', '18.75', '30', '1.5', '75'),
  row('claude-opus-4-2025*', '15', '18.75', '30', '1.5', '75'),
  row('claude-opus-4-5*', '5', '6.25', '10', '0.5', '25'),
  row('claude-opus-4-6*', '5', '6.25', '10', '0.5', '25'),
  row('claude-opus-4-7*', '5', '6.25', '10', '0.5', '25'),
  row('claude-opus-4-8*', '5', '6.25', '10', '0.5', '25'),
  row('claude-opus-5*', '5', '6.25', '10', '0.5', '25'),
  row('claude-sonnet-4*', '3', '3.75', '6', '0.3', '15'),
  row('claude-sonnet-5*', '2', '2.5', '4', '0.2', '10'),
  row('claude-haiku-4-5*', '1', '1.25', '2', '0.1', '5'),
  row('claude-3-5-haiku*', '0.8', '1', '1.6', '0.08', '4'),
]);

export function defaultPriceTable(): PriceTable {
  return createPriceTable(DEFAULT_PRICES);
}

/**
 * The price table in force for an operator's rows (e.g. a database's): those rows, or the
 * defaults while there are none — one rule for every reader of the same rows.
 */
export function priceTableOf(rows: readonly PriceRow[]): PriceTable {
  return rows.length === 0 ? defaultPriceTable() : createPriceTable(rows);
}
