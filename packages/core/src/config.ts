import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_TREE_LIMITS, TREE_LIMIT_CEILINGS } from './coordination/limits.js';
import { ERROR_CODES } from './errors.js';
import { DEFAULT_FALLBACK_MODELS, DEFAULT_MODEL, DEFAULT_SUMMARIZER_MODEL } from './models.js';

const positiveInt = z.number().int().positive();
const nonNegative = z.number().nonnegative();

const StrategySchema = z
  .object({
    attempts: positiveInt,
    baseDelayMs: nonNegative,
    maxDelayMs: nonNegative,
    multiplier: z.number().min(1),
    jitter: z.number().min(0).max(1),
    retryable: z.boolean(),
  })
  .partial()
  .strict();

const ProviderSchema = z
  .object({
    baseURL: z.url().optional(),
    /** Name of the environment variable holding the API key. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an environment variable name')
      .default('ANTHROPIC_API_KEY'),
    headers: z.record(z.string(), z.string()).default({}),
    timeoutMs: positiveInt.default(600_000),
    streamIdleTimeoutMs: positiveInt.default(60_000),
    retries: z.partialRecord(z.enum(ERROR_CODES), StrategySchema).default({}),
  })
  .strict();

const ProfileSchema = z
  .object({
    backend: z.enum(['api', 'claude-code']).default('api'),
    provider: z.string().optional(),
    model: z.string().min(1),
    fallbackModels: z.array(z.string().min(1)).default([]),
    maxTokens: positiveInt.default(4096),
    thinkingBudget: positiveInt.optional(),
    maxTurns: positiveInt.optional(),
    maxBudgetUsd: z.number().positive().optional(),
    system: z.string().optional(),
    allowedTools: z.array(z.string()).optional(),
  })
  .strict();

const PriceRowSchema = z
  .object({
    model: z.string().min(1),
    validFrom: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be a date'),
    input: z.union([z.number(), z.string()]),
    cacheWrite5m: z.union([z.number(), z.string()]),
    cacheWrite1h: z.union([z.number(), z.string()]),
    cacheRead: z.union([z.number(), z.string()]),
    output: z.union([z.number(), z.string()]),
  })
  .strict();

export const ConfigSchema = z
  .object({
    defaultProvider: z.string().default('anthropic'),
    providers: z
      .record(z.string(), ProviderSchema)
      .default({ anthropic: ProviderSchema.parse({}) }),
    models: z
      .object({
        default: z.string().min(1).default(DEFAULT_MODEL),
        fallback: z.array(z.string().min(1)).default(() => [...DEFAULT_FALLBACK_MODELS]),
        summarizer: z.string().min(1).default(DEFAULT_SUMMARIZER_MODEL),
      })
      .strict()
      .prefault({}),
    profiles: z.record(z.string(), ProfileSchema).default({}),
    pool: z
      .object({
        maxSessions: positiveInt.default(16),
        maxIdle: z.number().int().nonnegative().default(64),
        idleTimeoutMs: positiveInt.default(300_000),
        prewarmClaudeCode: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    breaker: z
      .object({
        failureThreshold: positiveInt.default(5),
        successThreshold: positiveInt.default(2),
        openTimeoutMs: positiveInt.default(30_000),
      })
      .strict()
      .prefault({}),
    context: z
      .object({
        threshold: z.number().gt(0).max(1).default(0.8),
        target: z.number().gt(0).max(1).default(0.5),
        keepRecent: positiveInt.default(6),
      })
      .strict()
      .refine((c) => c.target <= c.threshold, {
        message: 'target must be ≤ threshold',
        path: ['target'],
      })
      .prefault({}),
    claudeCode: z
      .object({
        permissionMode: z
          .enum(['default', 'acceptEdits', 'plan', 'dontAsk'])
          .default('acceptEdits'),
        watchdogMs: positiveInt.default(120_000),
        maxConcurrent: positiveInt.default(4),
        budgetUsd: z.number().positive().optional(),
        pathToClaudeCodeExecutable: z.string().optional(),
        /** The model of a claude-code task that names none (default: `models.default`). */
        model: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Multi-agent runs (the seed design's keys, snake_case as it spells them): whether agents may
     * spawn agents at all, and the limits of a tree nobody set limits for. A run's own limits
     * override these, and every limit is held to TREE_LIMIT_CEILINGS.
     */
    multi_agent: z
      .object({
        enabled: z.boolean().default(true),
        max_agents: z
          .number()
          .int()
          .min(1)
          .max(TREE_LIMIT_CEILINGS.maxAgents)
          .default(DEFAULT_TREE_LIMITS.maxAgents),
        max_depth: z
          .number()
          .int()
          .min(0)
          .max(TREE_LIMIT_CEILINGS.maxDepth)
          .default(DEFAULT_TREE_LIMITS.maxDepth),
        max_concurrent: z
          .number()
          .int()
          .min(1)
          .max(TREE_LIMIT_CEILINGS.maxConcurrent)
          .default(DEFAULT_TREE_LIMITS.maxConcurrent),
        coordination_strategy: z.enum(['hierarchical', 'mesh']).default('hierarchical'),
      })
      .strict()
      .prefault({}),
    prices: z.array(PriceRowSchema).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!(c.defaultProvider in c.providers))
      ctx.addIssue({
        code: 'custom',
        path: ['defaultProvider'],
        message: `"${c.defaultProvider}" is not one of the providers (${Object.keys(c.providers).join(', ') || 'none'})`,
      });
    for (const [name, p] of Object.entries(c.profiles)) {
      if (p.provider !== undefined && !(p.provider in c.providers))
        ctx.addIssue({
          code: 'custom',
          path: ['profiles', name, 'provider'],
          message: `unknown provider "${p.provider}"`,
        });
    }
  });

export type BatonConfig = z.output<typeof ConfigSchema>;
export type BatonConfigInput = z.input<typeof ConfigSchema>;

/** A resolved provider: the key read from its environment variable. */
export interface ResolvedProvider {
  name: string;
  baseURL: string | undefined;
  apiKey: string | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  streamIdleTimeoutMs: number;
  retries: BatonConfig['providers'][string]['retries'];
}

export class ConfigError extends Error {
  readonly issues: Array<{ path: string; message: string }>;
  constructor(source: string, issues: Array<{ path: string; message: string }>) {
    super(
      `invalid configuration (${source}):\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export interface LoadConfigOptions {
  /** A JSON or YAML file. */
  file?: string;
  /** The configuration as an object (merged over the file). */
  config?: BatonConfigInput;
  /** Environment (default `process.env`): `ANTHROPIC_BASE_URL`, `BATON_MODEL`, `BATON_FALLBACK_MODELS`, `BATON_MAX_SESSIONS` override the file. */
  env?: Record<string, string | undefined>;
}

export interface LoadedConfig extends BatonConfig {
  provider(name?: string): ResolvedProvider;
}

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (
    a &&
    b &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}

/** Loads, merges (file < object < environment) and validates the configuration. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const source = options.file ?? 'configuration object';
  let raw: unknown = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (e) {
      throw new ConfigError(source, [{ path: '(file)', message: (e as Error).message }]);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (e) {
      throw new ConfigError(source, [
        { path: '(file)', message: `cannot parse: ${(e as Error).message}` },
      ]);
    }
  }
  raw = merge(raw, options.config);
  const fromEnv: Record<string, unknown> = {};
  const envIssues: Array<{ path: string; message: string }> = [];
  if (env.BATON_MODEL) fromEnv.models = { default: env.BATON_MODEL };
  if (env.BATON_FALLBACK_MODELS)
    fromEnv.models = {
      ...(fromEnv.models as object),
      fallback: env.BATON_FALLBACK_MODELS.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  if (env.BATON_MAX_SESSIONS !== undefined) {
    const n = Number(env.BATON_MAX_SESSIONS);
    if (!Number.isInteger(n) || n < 1)
      envIssues.push({
        path: 'BATON_MAX_SESSIONS (environment)',
        message: `must be an integer ≥ 1, got "${env.BATON_MAX_SESSIONS}"`,
      });
    else fromEnv.pool = { maxSessions: n };
  }
  raw = merge(raw, fromEnv);
  if (envIssues.length > 0) throw new ConfigError(source, envIssues);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      source,
      parsed.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message })),
    );
  }
  const cfg = parsed.data;
  const baseOverride = env.ANTHROPIC_BASE_URL;
  return {
    ...cfg,
    provider(name = cfg.defaultProvider) {
      const p = cfg.providers[name];
      if (!p)
        throw new ConfigError(source, [{ path: `providers.${name}`, message: 'no such provider' }]);
      return {
        name,
        baseURL: name === cfg.defaultProvider && baseOverride ? baseOverride : p.baseURL,
        apiKey: env[p.apiKeyEnv],
        headers: p.headers,
        timeoutMs: p.timeoutMs,
        streamIdleTimeoutMs: p.streamIdleTimeoutMs,
        retries: p.retries,
      };
    },
  };
}
