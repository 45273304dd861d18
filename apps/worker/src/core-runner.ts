import { realpathSync } from 'node:fs';
import {
  BATON_MCP_SERVER,
  BATON_MCP_TOOLS_RULE,
  BatonError,
  type BatonEvent,
  batonError,
  type ClaudeCodeRunInput,
  type UsageRecord as CoreUsage,
  createClient,
  DEFAULT_STRATEGIES,
  DEFAULT_SUMMARIZER_MODEL,
  effectiveTools,
  limiterGate,
  loadConfig,
  type PriceTable,
  parseRepositorySource,
  permissionModeOf,
  permissionRules,
  priceTableOf,
  type RateGate,
  RepositoryError,
  resolveTreeLimits,
  SANDBOX_PATHS,
  type SessionState,
  treeLimitsFromConfig,
} from '@baton/core';
import { decryptSecret } from '@baton/db/crypto';
import { ensureTaskTree, mintTaskMcpToken, revokeTaskMcpTokens } from '@baton/db/mcp-tokens';
import { readPrices } from '@baton/db/prices';
import { createLimiter } from '@baton/ratelimit';
import { postgresStore } from '@baton/ratelimit/postgres';
import type pg from 'pg';
import { TaskAbort } from './cancel';
import type { TaskRow } from './lifecycle';
import type { Logger } from './logger';
import type { ClassifiedError, RunContext, TaskRunner } from './runner';
import { postgresSessionStore } from './session-store';
import { limitsOf, type TaskSandbox } from './task-sandbox';
import { saveWorkspace } from './workspace-store';

export interface CoreRunnerOptions {
  pool: pg.Pool;
  logger: Logger;
  baseURL?: string;
  apiKey?: string;
  /** Sessions run at once (the worker's task concurrency). */
  maxSessions: number;
  /** Claude Code processes at once. */
  maxClaudeCode?: number;
  /** Baton's configuration file: its settings under the worker's own (see env.ts BATON_CONFIG). */
  configFile?: string;
  /** Summaries for context compaction use this (cheaper) model. */
  summarizerModel?: string;
  /** Rate limits are shared by every worker through this PostgreSQL store (default true). */
  sharedLimits?: boolean;
  /** BATON_SECRET: decrypts a team's own provider key. */
  secret?: string;
  /** This worker's name (in errors a user reads, and on every workspace it holds). */
  workerId?: string;
  /**
   * How claude-code tasks are confined and where their workspaces live. Without it, a
   * claude-code task is refused (there is nowhere safe to run it).
   */
  taskSandbox?: TaskSandbox;
  /**
   * Baton's MCP server (BATON_MCP_URL, its `/mcp` endpoint): a claude-code task with
   * `options.mcp` gets it in its session, as that task. Without it such a task fails.
   */
  mcpUrl?: string;
  /** A task without a timeout of its own runs this long at most (its MCP token expires then). */
  defaultTimeoutMs?: number;
}

/** The operator's price table (the `prices` rows), or core's defaults while there are none. */
export async function loadPriceTable(pool: pg.Pool): Promise<PriceTable> {
  return priceTableOf(await readPrices(pool));
}

function eventData(e: BatonEvent): { type: string; data: Record<string, unknown> } | undefined {
  switch (e.type) {
    case 'usage':
      return undefined; // recorded as usage rows
    case 'result':
      return {
        type: 'run_result',
        data: {
          stopReason: e.result.stopReason,
          turns: e.result.turns,
          model: e.result.model,
          costUsd: e.result.costUsd,
          inputTokens: e.result.inputTokens,
          outputTokens: e.result.outputTokens,
          cacheReadTokens: e.result.cacheReadTokens,
          cacheWriteTokens: e.result.cacheWriteTokens,
          sessionId: e.result.sessionId,
          durationMs: e.result.durationMs,
          usageMatchesReport: e.result.usageMatchesReport,
        },
      };
    default: {
      const { type, ...rest } = e;
      return { type, data: rest as Record<string, unknown> };
    }
  }
}

function toUsage(u: CoreUsage) {
  return {
    providerRequestId: u.requestId ?? u.key,
    messageId: u.messageId ?? '',
    provider: u.provider,
    backend: u.backend,
    model: u.model,
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheWrite5mTokens: u.cacheWrite5mTokens,
    cacheWrite1hTokens: u.cacheWrite1hTokens,
    cacheReadTokens: u.cacheReadTokens,
    costUsd: u.costUsd ?? '0',
    latencyMs: u.latencyMs === null ? null : Math.round(u.latencyMs),
    ttftMs: u.ttftMs === null ? null : Math.round(u.ttftMs),
    status: u.status,
    errorType: u.errorType,
    outputEstimated: u.outputEstimated,
    at: new Date(u.startedAt),
  };
}

/** A task's priority (-100..100) as a class of the limiter's fair queue. */
function priorityOf(p: number): 'interactive' | 'normal' | 'batch' {
  return p > 0 ? 'interactive' : p < 0 ? 'batch' : 'normal';
}

/** Whether another attempt of the task could succeed after core's own recovery gave up. */
function classify(err: unknown): ClassifiedError {
  if (err instanceof BatonError) {
    return Object.assign(err, { retryable: DEFAULT_STRATEGIES[err.code].retryable });
  }
  return Object.assign(err instanceof Error ? err : new Error(String(err)), {
    code: 'Unknown',
    retryable: true,
  });
}

/**
 * What an attempt says to the model. An agent sent inputs (send_input) takes them as its next user
 * message: after the conversation an earlier attempt saved, the inputs alone (the task's prompt is
 * already in it); without one, the prompt and then the inputs.
 */
export function promptOf(task: Pick<TaskRow, 'prompt' | 'inputs'>, savedSession: unknown): string {
  const inputs = (task.inputs ?? []).map((i) => i.message);
  if (inputs.length === 0) return task.prompt;
  if (savedSession) return inputs.join('\n\n');
  return [task.prompt, ...inputs].join('\n\n');
}

/** Runs tasks through @baton/core: session pool, both backends, breakers, shared rate limits. */
export async function createCoreRunner(o: CoreRunnerOptions): Promise<TaskRunner> {
  const prices = await loadPriceTable(o.pool);
  let rateGate: RateGate | undefined;
  const teamWeights: Record<string, number> = {};
  let limiter: ReturnType<typeof createLimiter> | undefined;
  let limitStore: ReturnType<typeof postgresStore> | undefined;
  if (o.sharedLimits !== false) {
    limitStore = postgresStore(o.pool);
    await limitStore.migrate();
    // Fair queueing while waiting on the shared limits: each team by the share its operator
    // gave it (kept current from the start statement of each task).
    limiter = createLimiter({ store: limitStore, teamWeights });
    rateGate = limiterGate(limiter);
  }
  const ts = o.taskSandbox;
  const workerId = o.workerId ?? 'this worker';
  // Sessions are saved with the task's terminal state (one statement); one not taken within
  // 2 s (a conversation outside the executor) is written on its own.
  const store = postgresSessionStore(o.pool, {
    deferMs: 2000,
    onError: (err) => o.logger.warn({ err: err.message }, 'saving a session failed'),
  });
  // The client other repositories get from @baton/core: both backends, the context manager,
  // breakers and the session pool, wired from one configuration — here the worker's own
  // (validated by its environment), with the operator's price table and the shared limits.
  const config = loadConfig({
    ...(o.configFile ? { file: o.configFile } : {}),
    env: o.apiKey ? { ANTHROPIC_API_KEY: o.apiKey } : {},
    config: {
      ...(o.baseURL ? { providers: { anthropic: { baseURL: o.baseURL } } } : {}),
      models: { summarizer: o.summarizerModel ?? DEFAULT_SUMMARIZER_MODEL },
      pool: { maxSessions: o.maxSessions },
      claudeCode: {
        permissionMode: 'acceptEdits',
        ...(o.maxClaudeCode ? { maxConcurrent: o.maxClaudeCode } : {}),
      },
    },
  });
  const client = createClient({
    config,
    prices,
    store,
    ...(rateGate ? { rateGate } : {}),
    ...(ts?.sandbox ? { sandbox: ts.sandbox } : {}),
  });
  const sessions = client.pool;

  /**
   * A claude-code attempt: its workspace (made on the first attempt, kept for retries and
   * resumes), the team's tools narrowed by the task's, the sandbox, and afterwards a snapshot of
   * what the workspace holds.
   */
  async function runClaudeCode(
    ctx: RunContext,
    lease: Awaited<ReturnType<typeof sessions.acquire>>,
    common: ClaudeCodeRunInput,
  ) {
    const { task } = ctx;
    const opts = task.options as {
      repositoryId?: string;
      ref?: string;
      tools?: string[];
      mcp?: boolean;
    };
    if (opts.mcp && !o.mcpUrl)
      throw batonError(
        'InvalidRequest',
        `this worker has no MCP server (BATON_MCP_URL): worker ${workerId} cannot give the task Baton's MCP server`,
      );
    if (!ts)
      throw batonError(
        'SandboxUnavailable',
        `worker ${workerId} has no workspace for claude-code tasks`,
      );
    if (ts.mode === 'required') {
      const st = await ts.status();
      if (!st.ok)
        throw batonError(
          'SandboxUnavailable',
          `claude-code tasks run only in a sandbox, and none can start on worker ${workerId}: ${st.reason}`,
        );
    }
    const repo = task.repository ?? undefined;
    if (opts.repositoryId && !repo)
      throw batonError(
        'InvalidRequest',
        `the workspace could not be prepared on worker ${workerId}: the task's repository was removed from the team`,
      );
    let ws: Awaited<ReturnType<typeof ts.workspaces.prepare>>;
    try {
      ws = await ts.workspaces.prepare(
        task.id,
        repo
          ? {
              name: repo.name,
              source: parseRepositorySource(repo.source, ts.reposDirs),
              ref: opts.ref ?? repo.default_ref,
            }
          : undefined,
        { signal: ctx.signal },
      );
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const why = err instanceof RepositoryError ? err.message : (err as Error).message;
      throw batonError(
        'InvalidRequest',
        `the workspace could not be prepared on worker ${workerId}: ${why}`,
      );
    }
    const meta = ws.meta.repository;
    ctx.emit({
      type: 'workspace',
      data: {
        created: ws.created,
        worker: workerId,
        ...(meta ? { repository: meta.name, ref: meta.ref, commit: meta.commit } : {}),
      },
    });
    const { tools } = effectiveTools(task.sandbox?.tools, opts.tools);
    const permissionMode = permissionModeOf(task.sandbox?.permission_mode);
    const limits = limitsOf(task.sandbox?.limits);
    let info: Record<string, unknown> = {
      mode: 'off',
      worker: workerId,
      warning: `BATON_SANDBOX=off: this task ran unconfined on worker ${workerId}`,
    };
    if (!ts.sandbox) ctx.emit({ type: 'sandbox', data: info });
    let mcpToken: string | undefined;
    try {
      const batonMcp = opts.mcp
        ? { url: o.mcpUrl as string, token: await mintMcp(task) }
        : undefined;
      mcpToken = batonMcp?.token;
      if (batonMcp) ctx.emit({ type: 'mcp', data: { server: BATON_MCP_SERVER, scope: 'task' } });
      return await lease.run({
        ...common,
        cwd: ws.path,
        tools,
        // Claude Code's own rules too: file tools only inside the workspace; Baton's MCP tools
        // (and no other server's) when the task has them.
        allowedTools: [
          ...permissionRules(tools, ts.sandbox ? SANDBOX_PATHS.workspace : realpathSync(ws.path)),
          ...(batonMcp ? [BATON_MCP_TOOLS_RULE] : []),
        ],
        ...(batonMcp ? { batonMcp } : {}),
        permissionMode,
        limits,
        onEvent: (e) => {
          if (e.type === 'sandbox') info = { mode: 'bubblewrap', worker: workerId, ...e.sandbox };
          common.onEvent?.(e);
        },
      }).result;
    } finally {
      if (mcpToken)
        await revokeTaskMcpTokens(o.pool, task.id).catch((err: Error) =>
          o.logger.warn(
            { taskId: task.id, err: err.message },
            "revoking the task's MCP token failed (it expires with the task's timeout)",
          ),
        );
      try {
        const snapshot = await ts.workspaces.snapshot(task.id);
        await saveWorkspace(o.pool, {
          taskId: task.id,
          teamId: task.team_id,
          repositoryId: repo?.id ?? null,
          repositoryName: meta?.name ?? null,
          ref: meta?.ref ?? null,
          baseCommit: meta?.commit ?? null,
          workerId,
          sandbox: { ...(info as object), tools, permissionMode } as never,
          snapshot,
        });
      } catch (err) {
        o.logger.warn(
          { taskId: task.id, err: (err as Error).message },
          'saving the workspace snapshot failed',
        );
      }
    }
  }

  /**
   * A token of Baton's MCP server that speaks for the task inside its agent tree (a task outside
   * any becomes the root of a new one, under the configuration's limits and the task's budget),
   * as the task's creator, expiring with the task's timeout. It stays in this process: the
   * sandbox's proxy adds it to the session's MCP requests.
   */
  async function mintMcp(task: RunContext['task']): Promise<string> {
    const rootTaskId =
      task.root_task_id ??
      (await ensureTaskTree(o.pool, {
        taskId: task.id,
        teamId: task.team_id,
        limits: resolveTreeLimits(treeLimitsFromConfig(config.multi_agent), {
          budgetUsd: task.budget_usd ? Number(task.budget_usd) : null,
        }),
      }));
    const timeoutMs = task.timeout_ms ?? o.defaultTimeoutMs ?? 30 * 60_000;
    return mintTaskMcpToken(o.pool, {
      teamId: task.team_id,
      taskId: task.id,
      rootTaskId,
      createdBy: task.created_by,
      expiresAt: new Date(Date.now() + timeoutMs + 60_000),
    });
  }

  /**
   * The key a task runs with: its team's own (decrypted here, never logged or put in an event),
   * else the instance's when the operator lets the team use it; otherwise the task cannot run.
   */
  function keyOf(task: RunContext['task']): string | undefined {
    if (task.credential) {
      if (!o.secret)
        throw batonError(
          'AuthenticationFailure',
          `worker ${workerId} cannot use the team's provider key: BATON_SECRET is not set on it`,
        );
      try {
        return decryptSecret(o.secret, task.credential.ciphertext, task.credential.aad);
      } catch {
        throw batonError(
          'AuthenticationFailure',
          `the team's provider key cannot be decrypted on worker ${workerId}: its BATON_SECRET differs from the console's`,
        );
      }
    }
    if (task.allow_instance_key === false)
      throw batonError(
        'AuthenticationFailure',
        "the team has no provider key of its own and may not use the instance's: a team admin adds one in Settings, or an operator allows the instance key",
      );
    return undefined;
  }

  return {
    async run(ctx: RunContext) {
      const { task } = ctx;
      const opts = task.options as {
        maxTurns?: number;
        system?: string;
        maxTokens?: number;
      };
      const budget = task.budget_usd ? Number(task.budget_usd) : undefined;
      let apiKey: string | undefined;
      try {
        apiKey = keyOf(task);
      } catch (err) {
        throw classify(err);
      }
      teamWeights[task.team_id] = task.share_weight ?? 1;
      // The start statement already read the saved conversation: the pool's load needs no query.
      if (ctx.savedSession !== undefined) {
        store.prime(task.id, (ctx.savedSession ?? null) as SessionState | null);
      }
      let lease: Awaited<ReturnType<typeof sessions.acquire>>;
      try {
        lease = await sessions.acquire(
          task.id,
          {
            backend: task.backend,
            model: task.model,
            fallbackModels: task.fallback_models,
            ...(opts.maxTokens ? { maxTokens: opts.maxTokens } : {}),
            ...(opts.system ? { system: opts.system } : {}),
          },
          { signal: ctx.signal },
        );
      } finally {
        store.unprime(task.id);
      }
      try {
        const onEvent = (e: BatonEvent) => {
          if (e.type === 'usage') ctx.recordUsage(toUsage(e.usage));
          const ev = eventData(e);
          if (ev) ctx.emit(ev);
        };
        const common = {
          prompt: promptOf(task, ctx.savedSession),
          signal: ctx.signal,
          onEvent,
          ...(opts.maxTurns ? { maxTurns: opts.maxTurns } : {}),
          ...(budget ? { maxBudgetUsd: budget } : {}),
          ...(apiKey ? { apiKey } : {}),
          team: task.team_id,
          priority: priorityOf(task.priority),
          // What the provider billed is durable before the run asks for more.
          beforeNextRequest: ctx.flushUsage,
        };
        const result =
          task.backend === 'claude-code'
            ? await runClaudeCode(ctx, lease, {
                ...common,
                ...(task.fallback_models[0] ? { fallbackModel: task.fallback_models[0] } : {}),
              })
            : await lease.run(common).result;
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (result.stopReason === 'budget') {
          throw new TaskAbort(
            'budget',
            `budget of $${task.budget_usd} reached after $${result.costUsd}`,
          );
        }
        if (result.error) {
          throw classify(
            new BatonError(result.error.code, result.error.message, {
              status: result.error.status,
              requestId: result.error.requestId,
            }),
          );
        }
        return { result: result.text };
      } catch (err) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if (err instanceof TaskAbort) throw err;
        throw classify(err);
      } finally {
        await lease.release();
      }
    },
    takeSession: (taskId) => store.take(taskId),
    async rateLimits() {
      const scopes = (await limitStore?.scopes()) ?? [];
      return scopes.flatMap(({ scope, buckets }) =>
        Object.entries(buckets).map(([dimension, b]) => ({
          scope,
          dimension,
          remaining: Math.max(0, Math.floor(b.level)),
        })),
      );
    },
    poolStats() {
      const s = sessions.stats();
      return { active: s.active, idle: s.idle, waiting: s.waiting, max: o.maxSessions };
    },
    async close() {
      await client.close();
      await store.flush();
      limiter?.close?.();
    },
  };
}
