import { existsSync } from 'node:fs';
import { z } from 'zod';
import { type FaultSpec, parseFaultRule, parseFaultSpec } from './faults.js';
import { MODEL_CLASSES } from './models.js';
import type { LimitsConfig } from './ratelimit.js';
import {
  loadScenario,
  parseScenario,
  type ScenarioFileInput,
  type ScenarioSet,
} from './scenario.js';

/** How many output tokens a generated (non-scripted) reply has. */
export type OutputDistribution =
  | { type: 'fixed'; tokens: number }
  | { type: 'uniform'; min: number; max: number }
  | { type: 'normal'; mean: number; sd: number }
  | { type: 'lognormal'; median: number; sigma: number };

export interface ResponseConfig {
  /** Milliseconds before the first content block (time to first token). 0 = none. */
  ttftMs: number;
  /** Output speed; 0 = no pacing (everything at once). */
  tokensPerSecond: number;
  /** Length distribution of generated text replies (clamped to `max_tokens`). */
  outputTokens: OutputDistribution;
  /** Seed of the generator: the same seed and request order give the same replies. */
  seed: number;
  /**
   * What an unscripted reply says: `generated` (a readable reply that says it is simulated, of a
   * length drawn from `outputTokens`) or `recall` (only sentences the request contains — see
   * `recall.ts`). A request's `x-sim-reply` header overrides it.
   */
  reply: ReplyMode;
}

export const REPLY_MODES = ['generated', 'recall'] as const;
export type ReplyMode = (typeof REPLY_MODES)[number];

export const DEFAULT_RESPONSE: ResponseConfig = {
  ttftMs: 0,
  tokensPerSecond: 0,
  outputTokens: { type: 'lognormal', median: 120, sigma: 0.6 },
  seed: 42,
  reply: 'generated',
};

export interface SimulatorOptions {
  /** TCP port; 0 = a random free port. Default 4010. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Accepted API keys. None configured → any non-empty key is accepted. */
  apiKeys?: string[];
  /** Per-minute limits per model class; defaults in `DEFAULT_LIMITS`. */
  limits?: LimitsConfig;
  /** A scenario file path, or a scenario object (one scenario, a list, or `{ scenarios }`). */
  scenario?: string | ScenarioFileInput | ScenarioSet;
  /** A fault spec string (`overloaded:0.1,stall:every=20`) or a parsed spec. */
  faults?: string | FaultSpec;
  response?: Partial<ResponseConfig>;
  /** One line per request/event (for debugging); nothing is logged by default. */
  log?: (line: string) => void;
  /** Largest accepted request body, in bytes. Default 32 MB (as the real API). */
  maxBodyBytes?: number;
}

/** What `configure()` and `POST /_sim/config` may change at run time. */
export interface SimulatorConfigPatch {
  limits?: LimitsConfig;
  faults?: string | FaultSpec | null;
  scenario?: string | ScenarioFileInput | ScenarioSet | null;
  response?: Partial<ResponseConfig>;
  apiKeys?: string[];
}

const positiveInt = z.number().int().positive();
const ClassLimitsSchema = z
  .object({ rpm: positiveInt, itpm: positiveInt, otpm: positiveInt })
  .partial()
  .strict();
export const LimitsSchema = ClassLimitsSchema.extend({
  perClass: z
    .partialRecord(z.enum(MODEL_CLASSES as [string, ...string[]]), ClassLimitsSchema)
    .optional(),
}).strict();

export const OutputDistributionSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fixed'), tokens: z.number().int().positive() }).strict(),
  z
    .object({
      type: z.literal('uniform'),
      min: z.number().int().positive(),
      max: z.number().int().positive(),
    })
    .strict()
    .refine((d) => d.min <= d.max, 'min must be ≤ max'),
  z
    .object({
      type: z.literal('normal'),
      mean: z.number().positive(),
      sd: z.number().nonnegative(),
    })
    .strict(),
  z
    .object({
      type: z.literal('lognormal'),
      median: z.number().positive(),
      sigma: z.number().nonnegative(),
    })
    .strict(),
]);

export const ResponseConfigSchema = z
  .object({
    ttftMs: z.number().nonnegative(),
    tokensPerSecond: z.number().nonnegative(),
    outputTokens: OutputDistributionSchema,
    seed: z.number().int(),
    reply: z.enum(REPLY_MODES),
  })
  .partial()
  .strict();

const FaultRuleSchema = z
  .object({
    kind: z.string(),
    model: z.string().optional(),
    trigger: z.unknown().optional(),
    ms: z.number().optional(),
    after: z.number().optional(),
    body: z.enum(['json', 'html']).optional(),
  })
  .passthrough();

/** Body of `POST /_sim/config`. */
export const ConfigPatchSchema = z
  .object({
    limits: LimitsSchema.optional(),
    faults: z
      .union([
        z.string(),
        z.object({ rules: z.array(FaultRuleSchema), seed: z.number().int().optional() }),
        z.null(),
      ])
      .optional(),
    scenario: z.unknown().optional(),
    response: ResponseConfigSchema.optional(),
    apiKeys: z.array(z.string().min(1)).optional(),
  })
  .strict();

/** Normalises a fault spec given as a string or object (objects are re-validated). */
export function toFaultSpec(v: string | FaultSpec | null | undefined): FaultSpec | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return parseFaultSpec(v);
  const rules = v.rules.map((r, i) => {
    // Round-trip each rule through the string parser so objects get the same validation.
    const t = r.trigger as FaultSpec['rules'][number]['trigger'] | undefined;
    let s = String(r.kind) + (r.model ? `@${r.model}` : '');
    if (t?.type === 'probability') s += `:p=${t.p}`;
    else if (t?.type === 'every') s += `:every=${t.n}`;
    else if (t?.type === 'next') s += `:next=${t.n}`;
    if (r.ms !== undefined) s += `:ms=${r.ms}`;
    if (r.after !== undefined) s += `:after=${r.after}`;
    if (r.body !== undefined) s += `:body=${r.body}`;
    return parseFaultRule(s, `faults.rules.${i}`);
  });
  return v.seed === undefined ? { rules } : { rules, seed: v.seed };
}

/** Normalises a scenario given as a path, an object or an already-parsed set. */
export function toScenarioSet(
  v: string | ScenarioFileInput | ScenarioSet | null | undefined,
): ScenarioSet | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return loadScenario(v);
  return parseScenario(v);
}

/** Parses an output-length distribution: `fixed:N`, `uniform:MIN-MAX`, `normal:MEAN:SD`, `lognormal:MEDIAN:SIGMA`. */
export function parseOutputDistribution(s: string): OutputDistribution {
  const [kind, a, b] = s.split(':');
  let d: unknown;
  if (kind === 'fixed') d = { type: 'fixed', tokens: Number(a) };
  else if (kind === 'uniform') {
    const [min, max] = (a ?? '').split('-');
    d = { type: 'uniform', min: Number(min), max: Number(max) };
  } else if (kind === 'normal') d = { type: 'normal', mean: Number(a), sd: Number(b) };
  else if (kind === 'lognormal') d = { type: 'lognormal', median: Number(a), sigma: Number(b) };
  const r = OutputDistributionSchema.safeParse(d);
  if (!r.success) {
    throw new Error(
      `invalid output distribution "${s}" (expected fixed:N, uniform:MIN-MAX, normal:MEAN:SD or lognormal:MEDIAN:SIGMA)`,
    );
  }
  return r.data;
}

/** Raw CLI flag values (strings from commander, or numbers). */
export interface SimulatorFlags {
  port?: string | number;
  host?: string;
  rpm?: string | number;
  itpm?: string | number;
  otpm?: string | number;
  scenario?: string;
  faults?: string;
  seed?: string | number;
  ttftMs?: string | number;
  tps?: string | number;
  outputTokens?: string;
  apiKeys?: string | string[];
}

function intFlag(
  name: string,
  v: string | number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
    throw new Error(`--${name} must be ${range}, got "${v}"`);
  }
  return n;
}

function numFlag(name: string, v: string | number): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number ≥ 0, got "${v}"`);
  return n;
}

/**
 * Validates `baton sim` flags and turns them into `SimulatorOptions`. Throws an Error naming the
 * bad flag. The scenario file is loaded (and validated) here so errors surface before start.
 */
export function simulatorOptionsFromFlags(flags: SimulatorFlags): SimulatorOptions {
  const o: SimulatorOptions = {};
  o.port = flags.port === undefined ? 4010 : intFlag('port', flags.port, 0, 65535);
  if (flags.host !== undefined) {
    if (flags.host.trim() === '') throw new Error('--host must not be empty');
    o.host = flags.host;
  }
  const limits: LimitsConfig = {};
  if (flags.rpm !== undefined) limits.rpm = intFlag('rpm', flags.rpm, 1);
  if (flags.itpm !== undefined) limits.itpm = intFlag('itpm', flags.itpm, 1);
  if (flags.otpm !== undefined) limits.otpm = intFlag('otpm', flags.otpm, 1);
  if (Object.keys(limits).length > 0) o.limits = limits;
  if (flags.scenario !== undefined) {
    if (!existsSync(flags.scenario))
      throw new Error(`--scenario: file not found: ${flags.scenario}`);
    try {
      o.scenario = loadScenario(flags.scenario);
    } catch (e) {
      throw new Error(`--scenario: ${(e as Error).message}`);
    }
  }
  if (flags.faults !== undefined) {
    try {
      o.faults = parseFaultSpec(flags.faults);
    } catch (e) {
      throw new Error(`--faults: ${(e as Error).message}`);
    }
  }
  const response: Partial<ResponseConfig> = {};
  if (flags.seed !== undefined)
    response.seed = intFlag('seed', flags.seed, Number.MIN_SAFE_INTEGER);
  if (flags.ttftMs !== undefined) response.ttftMs = numFlag('ttft-ms', flags.ttftMs);
  if (flags.tps !== undefined) response.tokensPerSecond = numFlag('tps', flags.tps);
  if (flags.outputTokens !== undefined) {
    try {
      response.outputTokens = parseOutputDistribution(flags.outputTokens);
    } catch (e) {
      throw new Error(`--output-tokens: ${(e as Error).message}`);
    }
  }
  if (Object.keys(response).length > 0) o.response = response;
  if (flags.apiKeys !== undefined) {
    const keys = (Array.isArray(flags.apiKeys) ? flags.apiKeys : flags.apiKeys.split(','))
      .map((k) => k.trim())
      .filter((k) => k.length > 0);
    if (keys.length === 0) throw new Error('--api-keys must list at least one key');
    o.apiKeys = keys;
  }
  return o;
}
