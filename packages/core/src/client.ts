import { type ApiBackend, apiSummarizer, createApiBackend } from './api-backend.js';
import { type BreakerRegistry, createBreakerRegistry } from './breaker.js';
import {
  type ClaudeCodeBackend,
  type ClaudeCodeRunInput,
  createClaudeCodeBackend,
} from './claude-code-backend.js';
import { type LoadedConfig, loadConfig } from './config.js';
import { createContextManager } from './context.js';
import type { EventListener, RunResult } from './events.js';
import { createPriceTable, defaultPriceTable, type PriceTable } from './pricing.js';
import type { RateGate } from './rate-gate.js';
import type { Sandbox } from './sandbox/types.js';
import { createSessionGate } from './session-gate.js';
import { createSessionPool, type SessionPool } from './session-pool.js';
import type { SessionStore } from './session-store.js';
import type { Tool } from './tools.js';
import type { UsageSink } from './usage.js';

export interface ClientOptions {
  /** A loaded configuration (default: `loadConfig()` from the environment). */
  config?: LoadedConfig;
  usageSink?: UsageSink;
  store?: SessionStore;
  rateGate?: RateGate;
  /** A price table of the caller's (e.g. an operator's, from a database) over the configuration's. */
  prices?: PriceTable;
  /** Confines every Claude Code process (see `bubblewrapSandbox`); without one it runs unconfined. */
  sandbox?: Sandbox;
}

export interface ClientRunOptions {
  /** A profile of the configuration (model, fallbacks, backend, limits). */
  profile?: string;
  tools?: readonly Tool[];
  images?: Parameters<ApiBackend['run']>[1]['images'];
  cwd?: string;
  signal?: AbortSignal;
  onEvent?: EventListener;
}

export interface BatonClient {
  readonly config: LoadedConfig;
  readonly api: ApiBackend;
  readonly claudeCode: ClaudeCodeBackend;
  readonly pool: SessionPool;
  readonly breakers: BreakerRegistry;
  readonly prices: PriceTable;
  /** One turn of a conversation: lease from the pool, run on the profile's backend, release. */
  run(conversationId: string, prompt: string, options?: ClientRunOptions): Promise<RunResult>;
  close(): Promise<void>;
}

/** Everything wired from one configuration: backends, breakers, context manager, pool. */
export function createClient(options: ClientOptions = {}): BatonClient {
  const config = options.config ?? loadConfig();
  const provider = config.provider();
  const prices =
    options.prices ?? (config.prices ? createPriceTable(config.prices) : defaultPriceTable());
  const breakers = createBreakerRegistry(config.breaker);
  const common = {
    provider: provider.name,
    ...(provider.baseURL ? { baseURL: provider.baseURL } : {}),
    ...(provider.apiKey ? { apiKey: provider.apiKey } : {}),
    prices,
    ...(options.usageSink ? { usageSink: options.usageSink } : {}),
    ...(options.rateGate ? { rateGate: options.rateGate } : {}),
  };
  const summarizerBackend = createApiBackend({
    ...common,
    breakers,
    strategies: provider.retries,
    headers: provider.headers,
  });
  const context = createContextManager({
    ...config.context,
    summarizer: apiSummarizer(summarizerBackend, { model: config.models.summarizer }),
  });
  const api = createApiBackend({
    ...common,
    breakers,
    context,
    headers: provider.headers,
    timeoutMs: provider.timeoutMs,
    streamIdleTimeoutMs: provider.streamIdleTimeoutMs,
    strategies: provider.retries,
  });
  const cc = config.claudeCode;
  const claudeCode = createClaudeCodeBackend({
    ...common,
    breakers,
    strategies: provider.retries,
    permissionMode: cc.permissionMode,
    watchdogMs: cc.watchdogMs,
    gate: createSessionGate({
      maxConcurrent: cc.maxConcurrent,
      ...(cc.budgetUsd !== undefined ? { budgetUsd: cc.budgetUsd } : {}),
    }),
    ...(cc.pathToClaudeCodeExecutable
      ? { pathToClaudeCodeExecutable: cc.pathToClaudeCodeExecutable }
      : {}),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  });
  const pool = createSessionPool({
    api,
    claudeCode,
    ...(options.store ? { store: options.store } : {}),
    ...config.pool,
  });

  return {
    config,
    api,
    claudeCode,
    pool,
    breakers,
    prices,
    async run(conversationId, prompt, o = {}) {
      const profile = o.profile ? config.profiles[o.profile] : undefined;
      if (o.profile && !profile) throw new RangeError(`unknown profile "${o.profile}"`);
      const lease = await pool.acquire(
        conversationId,
        {
          backend: profile?.backend ?? 'api',
          model: profile?.model ?? config.models.default,
          fallbackModels: profile?.fallbackModels ?? config.models.fallback,
          ...(profile?.maxTokens ? { maxTokens: profile.maxTokens } : {}),
          ...(profile?.thinkingBudget ? { thinkingBudget: profile.thinkingBudget } : {}),
          ...(profile?.system ? { system: profile.system } : {}),
          ...(o.cwd ? { cwd: o.cwd } : {}),
        },
        o.signal ? { signal: o.signal } : {},
      );
      try {
        const common = {
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.onEvent ? { onEvent: o.onEvent } : {}),
          ...(profile?.maxTurns ? { maxTurns: profile.maxTurns } : {}),
          ...(profile?.maxBudgetUsd ? { maxBudgetUsd: profile.maxBudgetUsd } : {}),
        };
        if (lease.state.backend === 'claude-code') {
          const input: ClaudeCodeRunInput = {
            prompt,
            ...common,
            ...(profile?.allowedTools ? { allowedTools: profile.allowedTools } : {}),
          };
          return await lease.run(input).result;
        }
        return await lease.run({
          prompt,
          ...common,
          ...(o.tools ? { tools: o.tools } : {}),
          ...(o.images ? { images: o.images } : {}),
        }).result;
      } finally {
        await lease.release();
      }
    },
    async close() {
      await pool.close();
      claudeCode.close();
      await options.usageSink?.flush?.();
    },
  };
}
