import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Options as QueryOptions,
  query,
  SDKMessage,
  SDKResultMessage,
  WarmQuery,
} from '@anthropic-ai/claude-agent-sdk';
import type { Priority } from '@baton/ratelimit';
import type { McpServerConfig, PermissionMode } from './agent-sdk-types.js';
import { type BreakerRegistry, createBreakerRegistry } from './breaker.js';
import { buildClaudeCodeEnv } from './claude-code-env.js';
import { captureTranscript, restoreTranscript } from './claude-transcript.js';
import {
  AbortError,
  BatonError,
  batonError,
  CliNotFoundError,
  classifyError,
  codeOfClaudeCodeError,
  isAbort,
  ResourceLimitError,
  SandboxUnavailableError,
  SessionTimeoutError,
} from './errors.js';
import {
  type BatonEvent,
  type EventListener,
  type Run,
  type RunResult,
  startRun,
} from './events.js';
import { loadAgentSdk } from './optional-deps.js';
import { defaultPriceTable, type PriceTable, parseUsd, picoToUsd } from './pricing.js';
import type { RateGate, RateTicket } from './rate-gate.js';
import { unrecoverable, withRecovery } from './resilience.js';
import type { ResourceLimits } from './sandbox/resource-limits.js';
import type { Sandbox, SandboxSession } from './sandbox/types.js';
import { addTokens, type SessionState, zeroTokens } from './session.js';
import { createSessionGate, type SessionGate } from './session-gate.js';
import { resolveStrategies, type StrategyOverrides } from './strategy.js';
import { tokenCounts, totalTokens, type UsageSink, usageRecord } from './usage.js';

export interface ClaudeCodeBackendOptions {
  provider?: string;
  /** `ANTHROPIC_BASE_URL` for the process. */
  baseURL?: string;
  apiKey?: string;
  /** A fixed HOME; default: a fresh temporary HOME per session (removed on `close`). */
  home?: string;
  /** Variables added to the built environment (see `buildClaudeCodeEnv`). */
  env?: Record<string, string>;
  pathToClaudeCodeExecutable?: string;
  /** Default `acceptEdits` (`bypassPermissions` is refused by Claude Code as root). */
  permissionMode?: PermissionMode;
  /** Ends a session whose message stream is silent this long. Default 120 000 ms. */
  watchdogMs?: number;
  /**
   * After every run the session's transcript (Claude Code's JSONL, gzipped) is kept in the
   * session state, up to this size uncompressed, so another worker can resume it; before a
   * resume it is written back into a HOME that lacks it. Default 16 MiB; 0: never (a session
   * then resumes only where its HOME is).
   */
  transcriptMaxBytes?: number;
  /** Admission: concurrency and budget. Default: 4 at once, no budget. */
  gate?: SessionGate;
  /**
   * The shared rate limits: a session waits for room for its first request before it starts
   * (reserved from the prompt, settled by that response's real usage), and every later response
   * is charged as it completes.
   */
  rateGate?: RateGate;
  /**
   * Circuit breakers per provider and model (shared with the API backend): a session that fails
   * retryably counts against its model's breaker, an open breaker refuses new sessions.
   */
  breakers?: BreakerRegistry;
  /**
   * The retry strategies (as the API backend's): a session that fails retryably — a
   * SessionTimeout (silent past the watchdog), an overloaded or unavailable provider after
   * Claude Code's own retries — is started again after the strategy's backoff; a new process
   * resumes the session where it stopped (its transcript is kept in the state).
   */
  strategies?: StrategyOverrides;
  /** Randomness of the retry jitter (tests). */
  random?: () => number;
  prices?: PriceTable;
  usageSink?: UsageSink;
  /**
   * Confines every Claude Code process (see `bubblewrapSandbox`): it then sees only its
   * working directory (at /workspace) and a private HOME, reaches only the provider (through a
   * proxy that adds the key: the process never holds it) and runs under resource limits.
   * Without one, Claude Code runs as this process's user with this host's view.
   */
  sandbox?: Sandbox;
  /** Resource limits of every sandboxed run that sets none. */
  limits?: ResourceLimits;
}

export interface ClaudeCodeRunInput {
  prompt: string;
  /**
   * Working directory (default: the session's `cwd`): with a sandbox, this host directory is
   * bound read-write at /workspace and is all of the host's files the session can write. It
   * must exist (an `InvalidRequest` says so otherwise).
   */
  cwd?: string;
  /** Built-in tools available at all (default: Claude Code's own set); `allowedTools` pre-approves. */
  tools?: string[];
  allowedTools?: string[];
  disallowedTools?: string[];
  maxTurns?: number;
  maxBudgetUsd?: number;
  model?: string;
  fallbackModel?: string;
  mcpServers?: Record<string, McpServerConfig>;
  /**
   * Baton's MCP server for this run, as the MCP server `baton` (its tools `mcp__baton__*`; the
   * caller pre-approves them in `allowedTools`). Sandboxed, Claude Code reaches it through the
   * sandbox's proxy with the sandbox's own token and `token` never enters the sandbox; unconfined,
   * the process gets `url` and `token` (on stdin, not its command line). Its tools are offered
   * up front (no tool search).
   */
  batonMcp?: { url: string; token: string };
  permissionMode?: PermissionMode;
  /** Resume this Claude Code session (default: the conversation's). */
  resume?: string;
  /** With resume: continue in a new session id, leaving the original untouched. */
  forkSession?: boolean;
  appendSystemPrompt?: string;
  /** Resource limits of this run (sandboxed runs), over the backend's. */
  limits?: ResourceLimits;
  /** The provider key of this run (a team's own), instead of the backend's. */
  apiKey?: string;
  /**
   * Awaited (sandboxed runs) before each request of the session that follows a billed response:
   * where the caller makes that response's usage durable first. A rejection refuses the request
   * (Claude Code sees a 400 and the run fails).
   */
  beforeNextRequest?: () => Promise<void>;
  /** The team this run is for: its share in the rate limiter's fair queue. */
  team?: string;
  priority?: Priority;
  signal?: AbortSignal;
  onEvent?: EventListener;
}

/** The name Baton's MCP server has in a session (`batonMcp`): its tools are `mcp__baton__*`. */
export const BATON_MCP_SERVER = 'baton';
/** The permission rule that pre-approves every tool of Baton's MCP server (and nothing else). */
export const BATON_MCP_TOOLS_RULE = `mcp__${BATON_MCP_SERVER}`;

/** What a session is told when a new process resumes it after a failure. */
export const RESUME_PROMPT =
  'The previous session was interrupted. Continue the task from where it stopped, without repeating finished steps.';

/** Output tokens reserved for a session's first request, before its real usage is known. */
const FIRST_REQUEST_OUTPUT_TOKENS = 4096;

/** What every attempt of one run billed (a retried run reports them all). */
interface RunTotals {
  cost: bigint;
  billed: ReturnType<typeof zeroTokens>;
  t0: number;
}

export interface ClaudeCodeBackend {
  readonly kind: 'claude-code';
  run(state: SessionState, input: ClaudeCodeRunInput): Run;
  /**
   * Starts the Claude Code process of a conversation ahead of its next run (the SDK's
   * `startup()`): the next `run` with the same options skips the spawn and initialisation.
   */
  prewarm(
    state: SessionState,
    input?: Omit<ClaudeCodeRunInput, 'prompt' | 'signal' | 'onEvent'>,
  ): Promise<void>;
  /** True when a prewarmed process waits for this conversation. */
  isWarm(conversationId: string): boolean;
  /** Discards a conversation's warm process and temporary HOME. */
  release(conversationId: string): void;
  close(): void;
}

interface Warm {
  key: string;
  warm: WarmQuery;
  abort: AbortController;
  box: SandboxSession | undefined;
}

/** What a run is started with: the SDK's options and, when sandboxed, its sandbox session. */
interface Prepared {
  options: QueryOptions;
  box: SandboxSession | undefined;
  /** The working directory as Claude Code sees it (transcripts are filed under it). */
  cwd: string;
  key: string;
}

/** Claude Code headless through @anthropic-ai/claude-agent-sdk, as one more backend. */
export function createClaudeCodeBackend(options: ClaudeCodeBackendOptions = {}): ClaudeCodeBackend {
  const provider = options.provider ?? 'anthropic';
  const gate = options.gate ?? createSessionGate();
  const breakers = options.breakers ?? createBreakerRegistry();
  const strategies = resolveStrategies(options.strategies);
  const prices = options.prices ?? defaultPriceTable();
  const watchdogMs = options.watchdogMs ?? 120_000;
  const transcriptMaxBytes = options.transcriptMaxBytes ?? 16 * 2 ** 20;
  const homes = new Map<string, string>();
  const warms = new Map<string, Warm>();

  const homeOf = (conversationId: string): string => {
    if (options.home) return options.home;
    let h = homes.get(conversationId);
    if (!h) {
      h = mkdtempSync(join(tmpdir(), 'baton-cc-home-'));
      homes.set(conversationId, h);
    }
    return h;
  };

  /** Whom a sandboxed session's HOME belongs to (files written there by the worker follow). */
  const ownerOf = (dir: string) => {
    const st = statSync(dir);
    return { uid: st.uid, gid: st.gid };
  };

  /** The SDK's options for a run; `open`: also open its sandbox session (else only the key). */
  const prepare = async (
    state: SessionState,
    input: Omit<ClaudeCodeRunInput, 'prompt' | 'signal' | 'onEvent'>,
    abort: AbortController,
    open = true,
  ): Promise<Prepared> => {
    const hostCwd = input.cwd ?? state.cwd;
    if (hostCwd !== undefined) {
      let isDir = false;
      try {
        isDir = statSync(hostCwd).isDirectory();
      } catch {}
      if (!isDir)
        throw batonError(
          'InvalidRequest',
          `the working directory ${hostCwd} does not exist or is not a directory`,
        );
    }
    const sandbox = options.sandbox;
    if (sandbox && hostCwd === undefined)
      throw batonError(
        'InvalidRequest',
        'a sandboxed Claude Code session needs a working directory (its workspace)',
      );
    const home = homeOf(state.conversationId);
    let box: SandboxSession | undefined;
    if (sandbox && open) {
      try {
        box = await sandbox.open({
          workspace: hostCwd as string,
          home,
          baseURL: options.baseURL ?? 'https://api.anthropic.com',
          apiKey: input.apiKey ?? options.apiKey,
          limits: { ...options.limits, ...input.limits },
          name: state.conversationId,
          ...(input.batonMcp ? { mcp: input.batonMcp } : {}),
        });
      } catch (err) {
        throw new SandboxUnavailableError(
          `the Claude Code sandbox could not be prepared: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    const cwd = sandbox ? '/workspace' : (hostCwd ?? process.cwd());
    const resume = input.resume ?? state.claudeSessionId;
    const extra = input.batonMcp ? { ...options.env, ENABLE_TOOL_SEARCH: 'false' } : options.env;
    const o: QueryOptions = {
      abortController: abort,
      env: buildClaudeCodeEnv(
        box
          ? {
              baseURL: box.baseURL,
              apiKey: box.token,
              home: box.home,
              extra,
              parent: {},
            }
          : {
              baseURL: options.baseURL,
              apiKey: input.apiKey ?? options.apiKey,
              home,
              extra,
            },
      ),
      model: input.model ?? state.config.model,
      permissionMode: input.permissionMode ?? options.permissionMode ?? 'acceptEdits',
      settingSources: [],
      // Raw stream events carry the final output tokens of each response (message_delta).
      includePartialMessages: true,
    };
    if (sandbox) {
      o.cwd = cwd;
      if (box)
        o.spawnClaudeCodeProcess = box.spawn as unknown as QueryOptions['spawnClaudeCodeProcess'];
    } else if (hostCwd) o.cwd = hostCwd;
    const fallback = input.fallbackModel ?? state.config.fallbackModels[0];
    if (fallback && fallback !== o.model) o.fallbackModel = fallback;
    if (input.tools) o.tools = input.tools;
    if (input.allowedTools) o.allowedTools = input.allowedTools;
    if (input.disallowedTools) o.disallowedTools = input.disallowedTools;
    if (input.maxTurns !== undefined) o.maxTurns = input.maxTurns;
    if (input.maxBudgetUsd !== undefined) o.maxBudgetUsd = input.maxBudgetUsd;
    if (input.mcpServers) o.mcpServers = input.mcpServers as QueryOptions['mcpServers'];
    if (input.batonMcp) {
      const baton: McpServerConfig = box
        ? {
            type: 'http',
            url: `${box.baseURL}/mcp`,
            headers: { Authorization: `Bearer ${box.token}` },
          }
        : {
            type: 'http',
            url: input.batonMcp.url,
            headers: { Authorization: `Bearer ${input.batonMcp.token}` },
          };
      o.mcpServers = {
        ...o.mcpServers,
        [BATON_MCP_SERVER]: baton,
      } as QueryOptions['mcpServers'];
      // Off the process's command line (a token there is in every `ps`).
      o.mcpServersDelivery = 'initialize';
    }
    if (resume) {
      o.resume = resume;
      // Another worker wrote it, or this one's temporary HOME is gone: put it back first.
      const t = state.claudeTranscript;
      if (open && t && t.sessionId === resume) {
        try {
          restoreTranscript(home, t, cwd, box ? ownerOf(home) : undefined);
        } catch {
          // Claude Code then reports the session as not found, as it would have anyway.
        }
      }
    }
    if (resume && input.forkSession) o.forkSession = true;
    if (input.appendSystemPrompt ?? state.system)
      o.systemPrompt = {
        type: 'preset',
        preset: 'claude_code',
        append: (input.appendSystemPrompt ?? state.system) as string,
      };
    if (options.pathToClaudeCodeExecutable)
      o.pathToClaudeCodeExecutable = options.pathToClaudeCodeExecutable;
    const key = JSON.stringify({
      ...o,
      abortController: undefined,
      env: undefined,
      spawnClaudeCodeProcess: undefined,
      mcpServers: Object.keys(o.mcpServers ?? {}),
      hostCwd,
      limits: input.limits,
      // A process holds its key (in its environment or its proxy): another key, another process.
      key: createHash('sha256')
        .update(input.apiKey ?? options.apiKey ?? '')
        .update('\0')
        .update(input.batonMcp ? `${input.batonMcp.url}\0${input.batonMcp.token}` : '')
        .digest('hex')
        .slice(0, 16),
    });
    return { options: o, box, cwd, key };
  };

  /**
   * A run through the recovery stack: the breaker of its model, and on a retryable failure the
   * strategy's backoff, then a new process that resumes the session. The budget holds across
   * attempts; the result reports what all of them billed.
   */
  async function recovered(
    state: SessionState,
    input: ClaudeCodeRunInput,
    emit: (e: BatonEvent) => void,
  ): Promise<RunResult> {
    const model = input.model ?? state.config.model;
    const runTotals: RunTotals = { cost: 0n, billed: zeroTokens(), t0: performance.now() };
    const r = await withRecovery(
      {
        provider,
        models: [model],
        strategies,
        breakers,
        emit,
        signal: input.signal,
        ...(options.random ? { random: options.random } : {}),
      },
      async ({ previousError }) => {
        if (!previousError) return execute(state, input, emit, runTotals);
        // The failed attempt's usage durable before the new process sends anything (its
        // failure is not the provider's: the run ends with it).
        await input.beforeNextRequest?.().catch(unrecoverable);
        // A respawn: what is left of the budget, and the session resumed where it stopped.
        let budget = input.maxBudgetUsd;
        if (budget !== undefined) {
          const left = parseUsd(budget.toFixed(6)) - runTotals.cost;
          if (left <= 0n) throw previousError;
          budget = Number(picoToUsd(left));
        }
        const resumes = state.claudeSessionId !== undefined && input.resume === undefined;
        return execute(
          state,
          {
            ...input,
            ...(budget !== undefined ? { maxBudgetUsd: budget } : {}),
            ...(resumes ? { prompt: RESUME_PROMPT } : {}),
          },
          emit,
          runTotals,
        );
      },
    );
    return r.value;
  }

  async function execute(
    state: SessionState,
    input: ClaudeCodeRunInput,
    emit: (e: BatonEvent) => void,
    runTotals: RunTotals,
  ): Promise<RunResult> {
    const t0 = runTotals.t0;
    const signal = input.signal;
    if (signal?.aborted) throw new AbortError(signal.reason);
    const admission = await gate.admit({
      reserveUsd: input.maxBudgetUsd !== undefined ? input.maxBudgetUsd.toFixed(6) : undefined,
      signal,
    });
    // Room in the shared rate limits for the session's first request, before anything starts.
    const runKey = input.apiKey ?? options.apiKey;
    let ticket: RateTicket | undefined;
    if (options.rateGate) {
      try {
        ticket = await options.rateGate.acquire({
          provider,
          apiKey: runKey,
          model: input.model ?? state.config.model,
          body: {
            model: input.model ?? state.config.model,
            messages: [{ role: 'user', content: input.prompt }],
            ...((input.appendSystemPrompt ?? state.system)
              ? { system: (input.appendSystemPrompt ?? state.system) as string }
              : {}),
          },
          maxTokens: FIRST_REQUEST_OUTPUT_TOKENS,
          team: input.team,
          ...(input.priority !== undefined ? { priority: input.priority } : {}),
          signal,
        });
      } catch (err) {
        gate.settle(admission, '0');
        throw isAbort(err) || signal?.aborted ? new AbortError(err) : err;
      }
    }
    let cost = 0n;
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new Error('Claude Code watchdog'));
    }, watchdogMs);
    // A prewarmed process serves this run if it was started with the same options.
    const w = warms.get(state.conversationId);
    let warm = false;
    let q: ReturnType<typeof query>;
    let prepared: Prepared;
    try {
      const probe = w ? await prepare(state, input, abort, false) : undefined;
      if (w && probe && w.key === probe.key) {
        warms.delete(state.conversationId);
        prepared = { ...probe, box: w.box };
        signal?.addEventListener('abort', () => w.abort.abort(), { once: true });
        q = w.warm.query(input.prompt);
        warm = true;
        // The watchdog must be able to end the warm process too.
        abort.signal.addEventListener('abort', () => w.abort.abort(), { once: true });
      } else {
        if (w) discardWarm(state.conversationId);
        const sdk = await loadAgentSdk();
        prepared = await prepare(state, input, abort);
        q = sdk.query({ prompt: input.prompt, options: prepared.options });
      }
    } catch (err) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      gate.settle(admission, '0');
      if (ticket) options.rateGate?.release(ticket).catch(() => {});
      throw err;
    }
    const qo = prepared.options;
    const box = prepared.box;
    let endHit: ReturnType<SandboxSession['limitHit']>;
    const resumed = qo.resume !== undefined;
    if (box) emit({ type: 'sandbox', sandbox: box.info });
    // Usage per model response, deduplicated by message id + request id (the largest wins).
    const usage = new Map<
      string,
      {
        messageId: string;
        requestId: string | null;
        model: string;
        raw: Parameters<typeof tokenCounts>[0];
      }
    >();
    let result: SDKResultMessage | undefined;
    let sessionId: string | undefined;
    let lastText = '';
    let assistantError: string | undefined;
    // Final usage per message id from the raw stream (assistant messages carry message_start's).
    const streamUsage = new Map<string, { model: string; raw: Record<string, unknown> }>();
    // The message streaming now, per agent ('' the lead, else the sub-agent's tool use id).
    const streamMsgIds = new Map<string, string>();
    // Every response billed, recorded once (by message id) as soon as it is known: from the
    // sandbox's proxy as each response ends — Claude Code's, its sub-agents', and any the model
    // made itself from a tool — else from Claude Code's stream as each message stops (the lead's
    // and its sub-agents'), and what was cut off when the run ends.
    const recorded = new Set<string>();
    const billed = zeroTokens();
    const record = (u: {
      messageId: string;
      requestId: string | null;
      model: string;
      raw: Parameters<typeof tokenCounts>[0];
      /** The response was cut off before its final usage: its streamed output, estimated. */
      outputEstimate?: number | undefined;
    }) => {
      if (recorded.has(u.messageId)) return;
      recorded.add(u.messageId);
      const counts = tokenCounts(u.raw);
      const estimated = u.outputEstimate !== undefined;
      if (estimated) counts.outputTokens = Math.max(counts.outputTokens, u.outputEstimate ?? 0);
      const rec = usageRecord(
        {
          ...counts,
          provider,
          backend: 'claude-code',
          requestId: u.requestId,
          messageId: u.messageId,
          model: u.model,
          requestedModel: qo.model ?? u.model,
          conversationId: state.conversationId,
          sessionId: sessionId ?? null,
          outputEstimated: estimated,
        },
        prices,
      );
      if (rec.costUsd) cost += parseUsd(rec.costUsd);
      addTokens(state.usage, counts);
      addTokens(billed, counts);
      state.turns++;
      emit({ type: 'usage', usage: rec });
      try {
        const p = options.usageSink?.record(rec);
        if (p) p.catch(() => {});
      } catch {}
      if (ticket) {
        // The first response settles the reservation made before the session started.
        const t = ticket;
        ticket = undefined;
        options.rateGate?.settle(t, counts).catch(() => {});
      } else options.rateGate?.charge(u.model, counts, runKey).catch(() => {});
      // The run's budget holds on what was billed (Claude Code's own check sees only its stream).
      if (
        input.maxBudgetUsd !== undefined &&
        !overBudget &&
        cost >= parseUsd(input.maxBudgetUsd.toFixed(6))
      ) {
        overBudget = true;
        abort.abort(new Error('the run reached its budget'));
      }
    };
    let overBudget = false;
    // Usage durable before the next request: the proxy holds each request until the hook is done.
    let billedSince = false;
    const hook = input.beforeNextRequest;
    if (hook)
      box?.beforeProviderRequest(async () => {
        if (!billedSince) return;
        billedSince = false;
        await hook();
      });
    box?.onProviderResponse((r) => {
      billedSince = true;
      record({
        messageId: r.messageId,
        requestId: r.requestId,
        model: r.model,
        raw: r.usage as Parameters<typeof tokenCounts>[0],
        outputEstimate: r.outputEstimate,
      });
    });
    try {
      for await (const m of q as AsyncIterable<SDKMessage>) {
        timer.refresh();
        if (m.type === 'system' && m.subtype === 'init') {
          sessionId = m.session_id;
          state.claudeSessionId = sessionId;
          emit({ type: 'session', sessionId, resumed, warm });
        } else if (m.type === 'stream_event') {
          const agent = m.parent_tool_use_id ?? '';
          const ev = m.event;
          const streamMsgId = streamMsgIds.get(agent);
          if (ev.type === 'message_start') {
            streamMsgIds.set(agent, ev.message.id);
            const raw = { ...(ev.message.usage as object) } as Record<string, unknown>;
            streamUsage.set(ev.message.id, { model: ev.message.model, raw });
          } else if (ev.type === 'message_delta' && streamMsgId) {
            const cur = streamUsage.get(streamMsgId);
            if (cur)
              for (const [k, v] of Object.entries(ev.usage as object))
                if (v !== null && v !== undefined) cur.raw[k] = v;
          } else if (ev.type === 'message_stop' && streamMsgId && !box) {
            // Unsandboxed: each response as it completes (behind the sandbox the proxy does).
            const cur = streamUsage.get(streamMsgId);
            if (cur)
              record({ messageId: streamMsgId, requestId: null, model: cur.model, raw: cur.raw });
          }
        } else if (m.type === 'assistant') {
          if (m.error) assistantError = m.error;
          const msg = m.message;
          const text: string[] = [];
          for (const b of msg.content) {
            if (b.type === 'text') {
              text.push(b.text);
              emit({ type: 'text', text: b.text });
            } else if (b.type === 'thinking') emit({ type: 'thinking', thinking: b.thinking });
            else if (b.type === 'tool_use')
              emit({ type: 'tool_call', id: b.id, name: b.name, input: b.input });
          }
          if (text.length > 0) lastText = text.join('');
          if (msg.id && msg.usage && !m.parent_tool_use_id) {
            const requestId = m.request_id ?? null;
            const key = `${requestId ?? '-'}:${msg.id}`;
            const prev = usage.get(key);
            const raw = msg.usage as Parameters<typeof tokenCounts>[0];
            if (!prev || totalTokens(tokenCounts(raw)) > totalTokens(tokenCounts(prev.raw)))
              usage.set(key, { messageId: msg.id, requestId, model: msg.model, raw });
          }
        } else if (m.type === 'user') {
          const content = m.message.content;
          if (Array.isArray(content)) {
            for (const b of content) {
              if (typeof b === 'object' && b && (b as { type?: string }).type === 'tool_result') {
                const tr = b as { tool_use_id: string; content?: unknown; is_error?: boolean };
                const c = tr.content;
                const text =
                  typeof c === 'string'
                    ? c
                    : Array.isArray(c)
                      ? c
                          .map((x: { type?: string; text?: string }) =>
                            x.type === 'text' ? x.text : `[${x.type}]`,
                          )
                          .join('\n')
                      : '';
                emit({
                  type: 'tool_result',
                  id: tr.tool_use_id,
                  name: '',
                  content: text,
                  isError: Boolean(tr.is_error),
                });
              }
            }
          }
        } else if (m.type === 'result') {
          result = m;
        }
      }
    } catch (e) {
      // Stopped at its budget: ends as a run that reached it (below), not as a failure.
      if (!overBudget) {
        if (timedOut) {
          throw new SessionTimeoutError(
            `Claude Code was silent for ${watchdogMs} ms: the session was ended`,
            {
              cause: e,
            },
          );
        }
        const hit = box?.limitHit();
        if (hit)
          throw new ResourceLimitError(`Claude Code was stopped: ${hit.message}`, {
            limit: hit.limit,
            cause: e,
          });
        if (isAbort(e) || signal?.aborted) throw new AbortError(e);
        const msg = (e as Error)?.message ?? '';
        const boxErr = box
          ?.stderr()
          .split('\n')
          .filter((l) => /^(bwrap|setpriv|prlimit|baton-sandbox|sh): /.test(l))
          .at(-1);
        if (boxErr && !result)
          throw new SandboxUnavailableError(`the sandbox could not run Claude Code: ${boxErr}`, {
            cause: e,
          });
        // Nothing to resume here, and no retry brings the transcript back: fail fast, and say why.
        if (qo.resume && /No conversation found with session ID/i.test(msg)) {
          throw batonError(
            'InvalidRequest',
            `cannot resume Claude Code session ${qo.resume}: its transcript is not in this HOME and the session state does not carry it (over transcriptMaxBytes, or saved without one)`,
            { cause: e },
          );
        }
        if (!box && /ENOENT|not found|no such file|executable/i.test(msg) && !result)
          throw new CliNotFoundError(`Claude Code could not be started: ${msg}`, { cause: e });
        throw classifyError(e);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      // Nothing runs inside once the session is closed: HOME can be read safely after this.
      if (box) {
        endHit = box.limitHit();
        await box.close().catch(() => {});
      }
      // Record what was used even when the session failed: those requests were made. (Behind
      // the sandbox the proxy reported every response by now: closing it ended the cut-off ones.)
      box?.onProviderResponse(undefined);
      box?.beforeProviderRequest(undefined);
      for (const u of usage.values()) {
        const streamed = streamUsage.get(u.messageId);
        if (streamed && totalTokens(tokenCounts(streamed.raw)) > totalTokens(tokenCounts(u.raw)))
          u.raw = streamed.raw;
      }
      for (const u of usage.values()) record(u);
      // Unsandboxed, responses cut off before they stopped (sub-agents' included).
      if (!box)
        for (const [id, su] of streamUsage)
          record({ messageId: id, requestId: null, model: su.model, raw: su.raw });
      // No response at all: the reservation goes back.
      if (ticket) options.rateGate?.release(ticket).catch(() => {});
      ticket = undefined;
      runTotals.cost += cost;
      addTokens(runTotals.billed, billed);
      state.costUsd = picoToUsd(parseUsd(state.costUsd) + cost);
      state.updatedAt = new Date().toISOString();
      gate.settle(admission, picoToUsd(cost));
      // The transcript as it stands (also after a failure: a retry resumes from there).
      // A saved copy of the same session stays when this HOME has none (the run ended before
      // Claude Code wrote one); an outdated one never does.
      if (transcriptMaxBytes > 0 && state.claudeSessionId) {
        let t: Awaited<ReturnType<typeof captureTranscript>> | undefined;
        try {
          t = await captureTranscript(
            homeOf(state.conversationId),
            state.claudeSessionId,
            prepared.cwd,
            transcriptMaxBytes,
          );
        } catch {}
        if (typeof t === 'object') state.claudeTranscript = t;
        else if (t !== 'missing' || state.claudeTranscript?.sessionId !== state.claudeSessionId)
          state.claudeTranscript = undefined;
      }
    }
    // What was billed, however the run ended (every attempt of it).
    const all = runTotals.billed;
    const spent = {
      backend: 'claude-code' as const,
      model: [...usage.values()].at(-1)?.model ?? qo.model ?? '',
      costUsd: picoToUsd(runTotals.cost),
      inputTokens: all.inputTokens,
      outputTokens: all.outputTokens,
      cacheReadTokens: all.cacheReadTokens,
      cacheWriteTokens: all.cacheWrite5mTokens + all.cacheWrite1hTokens,
      durationMs: performance.now() - t0,
    };
    if (overBudget)
      return {
        ...spent,
        text: lastText,
        stopReason: 'budget',
        turns: result?.num_turns ?? state.turns,
        sessionId: result?.session_id ?? sessionId,
      };
    if (endHit)
      throw new ResourceLimitError(`Claude Code was stopped: ${endHit.message}`, {
        limit: endHit.limit,
      });
    if (timedOut)
      throw new SessionTimeoutError(
        `Claude Code was silent for ${watchdogMs} ms: the session was ended`,
      );
    if (!result) {
      if (signal?.aborted) throw new AbortError(signal.reason);
      throw batonError('Unknown', 'Claude Code ended without a result');
    }
    state.messageCount += 2;
    // Claude Code's own report covers the lead agent's responses (the stream's, not the proxy's).
    const totals = zeroTokens();
    for (const u of usage.values()) addTokens(totals, tokenCounts(u.raw));
    const reported = tokenCounts(result.usage as Parameters<typeof tokenCounts>[0]);
    const base = {
      ...spent,
      text: result.subtype === 'success' ? result.result : lastText,
      turns: result.num_turns,
      sessionId: result.session_id,
      reportedUsage: reported,
      usageMatchesReport:
        reported.inputTokens === totals.inputTokens &&
        reported.outputTokens === totals.outputTokens &&
        reported.cacheReadTokens === totals.cacheReadTokens,
    };
    state.claudeSessionId = result.session_id;
    if (result.subtype === 'success' && !result.is_error)
      return { ...base, stopReason: result.stop_reason ?? 'end_turn' };
    if (result.subtype === 'error_max_turns') return { ...base, stopReason: 'max_turns' };
    if (result.subtype === 'error_max_budget_usd') return { ...base, stopReason: 'budget' };
    const errors =
      'errors' in result
        ? result.errors.join('; ')
        : result.subtype === 'success'
          ? result.result
          : '';
    const status = (result as { api_error_status?: number | null }).api_error_status ?? undefined;
    const code = assistantError ? codeOfClaudeCodeError(assistantError) : 'Unknown';
    throw batonError(
      code,
      `Claude Code failed (${result.subtype}): ${errors || assistantError || 'no detail'}`,
      {
        status: status ?? undefined,
      },
    );
  }

  function discardWarm(conversationId: string): void {
    const w = warms.get(conversationId);
    if (!w) return;
    warms.delete(conversationId);
    try {
      w.warm.close();
    } catch {}
    w.abort.abort();
    w.box?.close().catch(() => {});
  }

  return {
    kind: 'claude-code',
    run(state, input) {
      return startRun((emit) => recovered(state, input, emit), {
        onEvent: input.onEvent,
        toError: (e) => (e instanceof BatonError || e instanceof AbortError ? e : classifyError(e)),
      });
    },
    async prewarm(state, input = {}) {
      discardWarm(state.conversationId);
      const { startup } = await loadAgentSdk();
      const abort = new AbortController();
      const p = await prepare(state, input, abort);
      try {
        const warm = await startup({ options: p.options });
        warms.set(state.conversationId, { key: p.key, warm, abort, box: p.box });
      } catch (err) {
        await p.box?.close();
        throw err;
      }
    },
    isWarm: (id) => warms.has(id),
    release(conversationId) {
      discardWarm(conversationId);
      const h = homes.get(conversationId);
      if (h) {
        homes.delete(conversationId);
        rmSync(h, { recursive: true, force: true });
      }
    },
    close() {
      for (const id of [...warms.keys()]) discardWarm(id);
      for (const h of homes.values()) rmSync(h, { recursive: true, force: true });
      homes.clear();
    },
  };
}
