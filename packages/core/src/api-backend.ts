import Anthropic from '@anthropic-ai/sdk';
import type {
  Tool as ApiTool,
  ContentBlockParam,
  MessageCreateParamsStreaming,
  RawMessageStreamEvent,
  TextBlockParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type { Priority } from '@baton/ratelimit';
import { type BreakerRegistry, createBreakerRegistry } from './breaker.js';
import {
  type ContextManager,
  estimateStreamedTokens,
  SUMMARIZER_SYSTEM,
  type Summarizer,
  summarizerPrompt,
} from './context.js';
import { AbortError, BatonError, classifyError, isAbort, NetworkTimeoutError } from './errors.js';
import {
  type BatonEvent,
  type EventListener,
  type Run,
  type RunResult,
  startRun,
  toEventError,
} from './events.js';
import { type ImageInput, type ImageOptions, prepareImage } from './images.js';
import { DEFAULT_SUMMARIZER_MODEL } from './models.js';
import {
  defaultPriceTable,
  type PriceTable,
  parseUsd,
  picoToUsd,
  type TokenCounts,
} from './pricing.js';
import { type RateGate, type RateRequest, unlimitedGate } from './rate-gate.js';
import { unrecoverable, withRecovery } from './resilience.js';
import { addTokens, type ChatMessage, type SessionState, zeroTokens } from './session.js';
import { resolveStrategies, type Strategies, type StrategyOverrides } from './strategy.js';
import { runTool, type Tool, toApiTools, toolOutputText } from './tools.js';
import { costPico, tokenCounts, type UsageRecord, type UsageSink, usageRecord } from './usage.js';

export interface ApiBackendOptions {
  /** Provider name (breakers and usage records). Default `anthropic`. */
  provider?: string;
  baseURL?: string;
  apiKey?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A ready client (tests, custom fetch). Its own retries should be off (`maxRetries: 0`). */
  client?: Anthropic;
  /** Request timeout (headers). Default 600 000 ms. */
  timeoutMs?: number;
  /** Longest silence of a response stream before it counts as stalled. Default 60 000 ms. */
  streamIdleTimeoutMs?: number;
  rateGate?: RateGate;
  breakers?: BreakerRegistry;
  strategies?: StrategyOverrides;
  prices?: PriceTable;
  usageSink?: UsageSink;
  /** Compacts long conversations and recovers from ContextTooLarge. */
  context?: ContextManager;
  /** Image limits and re-encoding. */
  images?: ImageOptions;
  /** Randomness of the jitter (tests). */
  random?: () => number;
}

export interface RunInput {
  /** The new user message. */
  prompt: string | ContentBlockParam[];
  images?: ImageInput[];
  /** Keep this message verbatim through compaction. */
  pin?: boolean;
  tools?: readonly Tool[];
  /** Model responses allowed in this run (tool loop). Default 16. */
  maxTurns?: number;
  /** Stop (before the next request) once the run has cost this much (USD). */
  maxBudgetUsd?: number | string;
  /** Overrides the conversation's model for this run. */
  model?: string;
  /** Prompt caching (system, tools and the conversation prefix). Default true. */
  cache?: boolean | { ttl: '5m' | '1h' };
  signal?: AbortSignal;
  onEvent?: EventListener;
  /** Team (fair queueing in the limiter). */
  team?: string;
  /** Class in the limiter's fair queue. */
  priority?: Priority;
  /**
   * The key this run's requests go with (a team's own), instead of the backend's: sent as
   * `x-api-key` per request, and the rate-limit scopes follow it.
   */
  apiKey?: string;
  /**
   * Awaited before each request that follows a billed response (the tool loop's next turn, a
   * retry): where a caller makes that response's usage durable first. A rejection ends the run
   * with that error, before the request is sent.
   */
  beforeNextRequest?: () => Promise<void>;
}

export type { Run } from './events.js';

export interface CompleteRequest {
  model: string;
  fallbackModels?: string[];
  system?: string;
  messages: ChatMessage[];
  maxTokens: number;
  conversationId?: string;
  /** As `RunInput.apiKey`. */
  apiKey?: string;
  signal?: AbortSignal;
  onEvent?: EventListener;
}

export interface ApiBackend {
  readonly kind: 'api';
  readonly provider: string;
  readonly client: Anthropic;
  readonly breakers: BreakerRegistry;
  readonly strategies: Strategies;
  /** Runs one user turn on a conversation (mutates `state`: history, usage, counters). */
  run(state: SessionState, input: RunInput): Run;
  /** One request without tools or history bookkeeping (summaries, classification…). */
  complete(request: CompleteRequest): Promise<{ text: string; model: string; usage: UsageRecord }>;
}

interface Response {
  content: ContentBlockParam[];
  text: string;
  stopReason: string;
  model: string;
  usage: UsageRecord;
  toolUses: Array<{ id: string; name: string; input: unknown }>;
}

function budgetPico(v: number | string | undefined): bigint | undefined {
  if (v === undefined) return undefined;
  return parseUsd(typeof v === 'number' ? v.toFixed(6) : v);
}

/** The Messages API backend: streaming, tool loop, caching, recovery, usage and cost. */
export function createApiBackend(options: ApiBackendOptions = {}): ApiBackend {
  const provider = options.provider ?? 'anthropic';
  const client =
    options.client ??
    new Anthropic({
      ...(options.baseURL !== undefined ? { baseURL: options.baseURL } : {}),
      apiKey: options.apiKey ?? null,
      ...(options.apiKey === undefined ? { authToken: null } : {}),
      maxRetries: 0,
      timeout: options.timeoutMs ?? 600_000,
      ...(options.headers ? { defaultHeaders: options.headers } : {}),
    });
  const apiKey = options.apiKey ?? client.apiKey ?? undefined;
  const gate = options.rateGate ?? unlimitedGate();
  const breakers = options.breakers ?? createBreakerRegistry();
  const strategies = resolveStrategies(options.strategies);
  const prices = options.prices ?? defaultPriceTable();
  const sink = options.usageSink;
  const idleMs = options.streamIdleTimeoutMs ?? 60_000;
  const toolCache = new WeakMap<readonly Tool[], ApiTool[]>();
  // state.costUsd as picodollars, as last written here (re-parsed if someone else changed it).
  const stateCost = new WeakMap<SessionState, { usd: string; pico: bigint }>();

  const recordUsage = (u: UsageRecord) => {
    if (!sink) return;
    try {
      const p = sink.record(u);
      if (p) p.catch(() => {});
    } catch {
      // A failing sink never fails the model call.
    }
  };

  /** One streamed request. Throws classified errors; records usage of every charged response. */
  async function request(
    params: MessageCreateParamsStreaming,
    ctx: {
      requestedModel: string;
      conversationId: string | null;
      signal: AbortSignal | undefined;
      emit: (e: BatonEvent) => void;
      team: string | undefined;
      priority?: Priority | undefined;
      apiKey?: string | undefined;
    },
  ): Promise<Response> {
    const model = params.model;
    const ticket = await gate.acquire({
      provider,
      apiKey: ctx.apiKey ?? apiKey,
      model,
      body: params as unknown as RateRequest['body'],
      maxTokens: params.max_tokens,
      team: ctx.team,
      ...(ctx.priority !== undefined ? { priority: ctx.priority } : {}),
      signal: ctx.signal,
    });
    // The caller's signal goes to the SDK as is (no AbortController of our own per request: the
    // SDK ties every signal it is given to the request with listeners and a finalization
    // registry). Until the response headers arrive, the request's timeout is the stream-idle
    // timeout when that is shorter; after them, one timer per request watches the stream and
    // aborts it through the SDK stream's own controller. Every event only notes the time
    // (re-arming a timer per stream event costs more than the event); when the timer fires
    // early it waits out the rest of the silence.
    let stalled = false;
    let idle: NodeJS.Timeout | undefined;
    let lastActivity = 0;
    let sdkStream: { controller: AbortController } | undefined;
    const onIdle = () => {
      const silentMs = performance.now() - lastActivity;
      if (silentMs < idleMs) {
        idle = setTimeout(onIdle, idleMs - silentMs);
        return;
      }
      stalled = true;
      sdkStream?.controller.abort();
    };
    const requestOptions: {
      signal?: AbortSignal;
      timeout?: number;
      headers?: Record<string, string | null>;
    } = {};
    if (ctx.signal) requestOptions.signal = ctx.signal;
    // A run's own key replaces the client's on this request only.
    if (ctx.apiKey) requestOptions.headers = { 'x-api-key': ctx.apiKey, authorization: null };
    if (idleMs < client.timeout) requestOptions.timeout = idleMs;
    const startedAt = Date.now();
    const t0 = performance.now();
    let ttft: number | null = null;
    let headers: globalThis.Headers | undefined;
    let requestId: string | null = null;
    let messageId: string | null = null;
    let answered = model;
    let usageRaw: Record<string, unknown> | undefined;
    let charged = false;
    // Output streamed so far (characters of text, thinking and tool input), and whether the final
    // usage arrived: a response cut off before it is billed for what was streamed, estimated.
    let streamedChars = 0;
    let finalUsage = false;
    const blocks: Array<Record<string, unknown>> = [];
    const jsonBuf = new Map<number, string>();
    let stopReason = 'end_turn';
    const toolUses: Response['toolUses'] = [];
    let text = '';
    try {
      const { data: stream, response } = await client.messages
        .create(params, requestOptions)
        .withResponse();
      sdkStream = stream;
      lastActivity = performance.now();
      idle = setTimeout(onIdle, idleMs);
      headers = response.headers;
      requestId = response.headers.get('request-id');
      for await (const ev of stream as AsyncIterable<RawMessageStreamEvent>) {
        lastActivity = performance.now();
        switch (ev.type) {
          case 'message_start':
            messageId = ev.message.id;
            answered = ev.message.model || model;
            usageRaw = { ...(ev.message.usage as unknown as Record<string, unknown>) };
            charged = true;
            break;
          case 'content_block_start':
            blocks[ev.index] = { ...(ev.content_block as unknown as Record<string, unknown>) };
            break;
          case 'content_block_delta': {
            const b = blocks[ev.index];
            if (!b) break;
            const d = ev.delta;
            if (d.type === 'text_delta') {
              if (ttft === null) ttft = performance.now() - t0;
              streamedChars += d.text.length;
              b.text = `${b.text ?? ''}${d.text}`;
              ctx.emit({ type: 'text', text: d.text });
            } else if (d.type === 'thinking_delta') {
              if (ttft === null) ttft = performance.now() - t0;
              streamedChars += d.thinking.length;
              b.thinking = `${b.thinking ?? ''}${d.thinking}`;
              ctx.emit({ type: 'thinking', thinking: d.thinking });
            } else if (d.type === 'signature_delta') {
              b.signature = `${b.signature ?? ''}${d.signature}`;
            } else if (d.type === 'input_json_delta') {
              if (ttft === null) ttft = performance.now() - t0;
              streamedChars += d.partial_json.length;
              jsonBuf.set(ev.index, (jsonBuf.get(ev.index) ?? '') + d.partial_json);
            }
            break;
          }
          case 'content_block_stop': {
            const b = blocks[ev.index];
            if (b && (b.type === 'tool_use' || b.type === 'server_tool_use')) {
              const raw = jsonBuf.get(ev.index);
              b.input = raw ? JSON.parse(raw) : (b.input ?? {});
              if (b.type === 'tool_use') {
                const call = { id: b.id as string, name: b.name as string, input: b.input };
                toolUses.push(call);
                ctx.emit({ type: 'tool_call', ...call });
              }
            }
            break;
          }
          case 'message_delta': {
            stopReason = ev.delta.stop_reason ?? stopReason;
            const u = ev.usage as unknown as Record<string, unknown>;
            usageRaw ??= {};
            finalUsage = true;
            for (const [k, v] of Object.entries(u))
              if (v !== null && v !== undefined) usageRaw[k] = v;
            break;
          }
          default:
            break;
        }
      }
      if (stalled) throw new NetworkTimeoutError('the response stream stalled', { model });
      // The SDK ends a stream aborted through the caller's signal quietly: not a response.
      if (ctx.signal?.aborted) throw new AbortError(ctx.signal.reason);
      if (!charged)
        throw new NetworkTimeoutError('the response ended before message_start', { model });
    } catch (e) {
      const err = stalled
        ? new NetworkTimeoutError(`no data for ${idleMs} ms: the response stalled`, {
            model,
            requestId: requestId ?? undefined,
            cause: e,
          })
        : isAbort(e) || ctx.signal?.aborted
          ? new AbortError(e)
          : classifyError(e, { model });
      const counts = tokenCounts(usageRaw as never);
      if (charged) {
        // The server admitted (and charges) the request: record what it reported, and when the
        // stream was cut before its final usage, the output streamed so far (an estimate).
        const estimated = !finalUsage;
        if (estimated)
          counts.outputTokens = Math.max(
            counts.outputTokens,
            estimateStreamedTokens(streamedChars),
          );
        const rec = usageRecord(
          {
            ...counts,
            outputEstimated: estimated,
            provider,
            backend: 'api',
            requestId: requestId ?? (err instanceof BatonError ? (err.requestId ?? null) : null),
            messageId,
            model: answered,
            requestedModel: ctx.requestedModel,
            conversationId: ctx.conversationId,
            latencyMs: performance.now() - t0,
            ttftMs: ttft,
            status: 'error',
            errorType: err instanceof BatonError ? err.code : null,
            startedAt,
          },
          prices,
        );
        recordUsage(rec);
        ctx.emit({ type: 'usage', usage: rec });
        await gate.settle(ticket, counts, headers).catch(() => {});
      } else if (err instanceof BatonError && err.code === 'RateLimit') {
        const r = await gate.rateLimited(ticket, {
          headers: err.headers,
          status: err.status,
          message: err.message,
        });
        if (err.retryAfterMs === undefined && r.retryAfterMs !== undefined) {
          (err as { retryAfterMs: number | undefined }).retryAfterMs = r.retryAfterMs;
        }
      } else {
        await gate.release(ticket).catch(() => {});
      }
      throw err;
    } finally {
      if (idle) clearTimeout(idle);
    }
    const counts = tokenCounts(usageRaw as never);
    const rec = usageRecord(
      {
        ...counts,
        provider,
        backend: 'api',
        requestId,
        messageId,
        model: answered,
        requestedModel: ctx.requestedModel,
        conversationId: ctx.conversationId,
        latencyMs: performance.now() - t0,
        ttftMs: ttft,
        status: 'ok',
        startedAt,
      },
      prices,
    );
    recordUsage(rec);
    ctx.emit({ type: 'usage', usage: rec });
    await gate.settle(ticket, counts, headers);
    const content: ContentBlockParam[] = [];
    for (const b of blocks) {
      if (!b) continue;
      if (b.type === 'text') text += b.text as string;
      if (b.type === 'text' && !(b.text as string)) continue;
      // Citations and other response-only fields are dropped; the rest is valid as a param.
      const { citations: _c, ...rest } = b;
      content.push(rest as unknown as ContentBlockParam);
    }
    return { content, text, stopReason, model: answered, usage: rec, toolUses };
  }

  const cacheControl = (cache: RunInput['cache']) =>
    cache === false
      ? undefined
      : typeof cache === 'object' && cache.ttl === '1h'
        ? ({ type: 'ephemeral', ttl: '1h' } as const)
        : ({ type: 'ephemeral' } as const);

  /** Request parameters with cache breakpoints on system, tools and the conversation prefix. */
  function buildParams(
    state: SessionState,
    model: string,
    tools: ApiTool[] | undefined,
    cache: RunInput['cache'],
  ): MessageCreateParamsStreaming {
    const cc = cacheControl(cache);
    const cfg = state.config;
    const params: MessageCreateParamsStreaming = {
      model,
      max_tokens: cfg.maxTokens,
      stream: true,
      messages: state.messages as MessageCreateParamsStreaming['messages'],
    };
    if (state.system) {
      const sys: TextBlockParam = { type: 'text', text: state.system };
      if (cc) sys.cache_control = cc;
      params.system = [sys];
    }
    if (tools && tools.length > 0) {
      params.tools = cc
        ? tools.map((t, i) => (i === tools.length - 1 ? { ...t, cache_control: cc } : t))
        : tools;
    }
    if (cfg.thinkingBudget !== undefined)
      params.thinking = { type: 'enabled', budget_tokens: cfg.thinkingBudget };
    if (cc && state.messages.length > 0) {
      // Mark the end of the conversation so far: the next request reads it from the cache.
      const msgs = state.messages.slice();
      const last = msgs[msgs.length - 1] as ChatMessage;
      const content: ContentBlockParam[] =
        typeof last.content === 'string'
          ? [{ type: 'text', text: last.content }]
          : last.content.slice();
      const lb = content[content.length - 1];
      if (lb && lb.type !== 'thinking' && lb.type !== 'redacted_thinking') {
        content[content.length - 1] = { ...lb, cache_control: cc } as ContentBlockParam;
        msgs[msgs.length - 1] = { role: last.role, content };
      }
      params.messages = msgs as MessageCreateParamsStreaming['messages'];
    }
    return params;
  }

  function pushMessage(state: SessionState, m: ChatMessage, pinned = false): void {
    state.messages.push(m);
    const tokens = options.context
      ? options.context.estimate(m.content)
      : Math.ceil(JSON.stringify(m.content).length / 3.5);
    state.meta.push(pinned ? { tokens, pinned: true } : { tokens });
    state.messageCount++;
  }

  async function compact(
    state: SessionState,
    model: string,
    force: boolean,
    signal: AbortSignal | undefined,
    emit: (e: BatonEvent) => void,
  ): Promise<void> {
    if (!options.context) return;
    const r = await options.context.compact(state, { model, force, signal });
    if (r)
      emit({
        type: 'compaction',
        savedTokens: r.savedTokens,
        beforeTokens: r.beforeTokens,
        afterTokens: r.afterTokens,
      });
  }

  async function execute(
    state: SessionState,
    input: RunInput,
    emit: (e: BatonEvent) => void,
  ): Promise<RunResult> {
    const t0 = performance.now();
    const signal = input.signal;
    const model = input.model ?? state.config.model;
    const models = [model, ...state.config.fallbackModels.filter((m) => m !== model)];
    const tools = input.tools ?? [];
    let apiTools: ApiTool[] | undefined;
    if (tools.length > 0) {
      apiTools = toolCache.get(tools);
      if (!apiTools) {
        apiTools = toApiTools(tools);
        toolCache.set(tools, apiTools);
      }
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    const maxTurns = input.maxTurns ?? 16;
    const budget = budgetPico(input.maxBudgetUsd);
    const run = { ...zeroTokens() };
    let cost = 0n;
    let turns = 0;
    let lastText = '';
    let lastModel = model;
    let stopReason = 'end_turn';

    let prompt: ContentBlockParam[] =
      typeof input.prompt === 'string'
        ? [{ type: 'text', text: input.prompt }]
        : input.prompt.slice();
    if (input.images && input.images.length > 0) {
      const imgs: ContentBlockParam[] = [];
      for (const img of input.images) imgs.push(await prepareImage(img, options.images));
      prompt = [...imgs, ...prompt];
    }
    pushMessage(state, { role: 'user', content: prompt }, input.pin);

    const result = (reason: string, error?: BatonError): RunResult => ({
      backend: 'api',
      text: lastText,
      stopReason: reason,
      turns,
      model: lastModel,
      costUsd: picoToUsd(cost),
      inputTokens: run.inputTokens,
      outputTokens: run.outputTokens,
      cacheReadTokens: run.cacheReadTokens,
      cacheWriteTokens: run.cacheWrite5mTokens + run.cacheWrite1hTokens,
      durationMs: performance.now() - t0,
      error: error ? toEventError(error) : undefined,
    });

    const account = (u: UsageRecord) => {
      const t: TokenCounts = u;
      addTokens(run, t);
      addTokens(state.usage, t);
      if (u.costUsd) {
        const c = costPico(u);
        cost += c;
        const prev = stateCost.get(state);
        const total =
          (prev && prev.usd === state.costUsd ? prev.pico : parseUsd(state.costUsd)) + c;
        state.costUsd = picoToUsd(total);
        stateCost.set(state, { usd: state.costUsd, pico: total });
      }
    };
    // A response was billed since the last `beforeNextRequest`.
    let billedSince = false;
    const emitCounting = (e: BatonEvent) => {
      if (e.type === 'usage') {
        account(e.usage);
        billedSince = true;
      }
      emit(e);
    };

    while (true) {
      if (signal?.aborted) return result('aborted');
      if (turns >= maxTurns) return result('max_turns');
      if (budget !== undefined && cost >= budget) return result('budget');
      if (options.context?.needsCompaction(state, model))
        await compact(state, model, false, signal, emit);
      let resp: Response;
      try {
        const r = await withRecovery(
          {
            provider,
            models,
            strategies,
            breakers,
            emit,
            signal,
            ...(options.random ? { random: options.random } : {}),
          },
          async ({ model: m, previousError }) => {
            if (previousError?.code === 'ContextTooLarge')
              await compact(state, m, true, signal, emit);
            if (billedSince && input.beforeNextRequest) {
              billedSince = false;
              // Not a provider failure: no retry, no breaker — the run ends with it.
              await input.beforeNextRequest().catch(unrecoverable);
            }
            return request(buildParams(state, m, apiTools, input.cache), {
              requestedModel: model,
              conversationId: state.conversationId,
              signal,
              emit: emitCounting,
              team: input.team,
              priority: input.priority,
              apiKey: input.apiKey,
            });
          },
        );
        resp = r.value;
      } catch (e) {
        if (isAbort(e) || signal?.aborted) return result('aborted');
        throw e;
      }
      turns++;
      state.turns++;
      lastModel = resp.model;
      lastText = resp.text;
      stopReason = resp.stopReason;
      pushMessage(state, { role: 'assistant', content: resp.content });
      if (resp.stopReason !== 'tool_use' || resp.toolUses.length === 0) break;
      const results: ToolResultBlockParam[] = await Promise.all(
        resp.toolUses.map(async (call) => {
          const r = await runTool(byName.get(call.name), call.name, call.input, {
            signal,
            conversationId: state.conversationId,
            toolUseId: call.id,
          });
          emit({
            type: 'tool_result',
            id: call.id,
            name: call.name,
            content: toolOutputText(r.content),
            isError: r.isError,
          });
          const block: ToolResultBlockParam = {
            type: 'tool_result',
            tool_use_id: call.id,
            content: r.content,
          };
          if (r.isError) block.is_error = true;
          return block;
        }),
      );
      pushMessage(state, { role: 'user', content: results });
    }
    return result(stopReason);
  }

  return {
    kind: 'api',
    provider,
    client,
    breakers,
    strategies,
    run(state, input) {
      return startRun((emit) => execute(state, input, emit), {
        onEvent: input.onEvent,
        toError: (e) => (e instanceof BatonError ? e : classifyError(e)),
        onResult: () => {
          state.updatedAt = new Date().toISOString();
        },
      });
    },
    async complete(req) {
      const models = [req.model, ...(req.fallbackModels ?? []).filter((m) => m !== req.model)];
      const emit = req.onEvent ?? (() => {});
      const state: SessionState = {
        conversationId: req.conversationId ?? 'complete',
        backend: 'api',
        config: { model: req.model, fallbackModels: [], maxTokens: req.maxTokens },
        system: req.system,
        messages: req.messages,
        meta: [],
        messageCount: req.messages.length,
        turns: 0,
        usage: zeroTokens(),
        costUsd: '0',
        compactions: 0,
        createdAt: '',
        updatedAt: '',
      };
      const r = await withRecovery(
        { provider, models, strategies, breakers, emit, signal: req.signal },
        ({ model }) =>
          request(buildParams(state, model, undefined, false), {
            requestedModel: req.model,
            conversationId: req.conversationId ?? null,
            signal: req.signal,
            emit,
            team: undefined,
            apiKey: req.apiKey,
          }),
      );
      return { text: r.value.text, model: r.value.model, usage: r.value.usage };
    },
  };
}

/**
 * A summarizer that asks a cheaper model through the api backend (its usage is recorded as
 * usual). A transcript longer than `maxTranscriptChars` is summarized chunk by chunk, each chunk
 * together with the summary so far, so nothing early is lost and no request is too large.
 */
export function apiSummarizer(
  backend: ApiBackend,
  options: {
    model?: string;
    fallbackModels?: string[];
    maxTokens?: number;
    maxTranscriptChars?: number;
  } = {},
): Summarizer {
  const maxChars = options.maxTranscriptChars ?? 400_000;
  return {
    async summarize(r) {
      let summary = r.previousSummary;
      const t = r.transcript;
      for (let i = 0; i < t.length || i === 0; i += maxChars) {
        const chunk = t.slice(i, i + maxChars);
        const transcript = summary ? `Summary so far: ${summary}\n\n${chunk}` : chunk;
        const out = await backend.complete({
          model: options.model ?? DEFAULT_SUMMARIZER_MODEL,
          ...(options.fallbackModels ? { fallbackModels: options.fallbackModels } : {}),
          system: SUMMARIZER_SYSTEM,
          messages: [{ role: 'user', content: summarizerPrompt({ ...r, transcript }) }],
          maxTokens: options.maxTokens ?? 1024,
          conversationId: r.conversationId,
          ...(r.signal ? { signal: r.signal } : {}),
        });
        summary = out.text;
      }
      return summary ?? '';
    },
  };
}
