import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type CachePlan, NO_CACHE, PromptCache } from './caching.js';
import { errorBody, invalid, SimError } from './errors.js';
import { FaultInjector, type FaultRule, formatFaultRule, parseFaultRule } from './faults.js';
import { messageId, requestId } from './ids.js';
import { endEntry, type LedgerEntry, ResponseLedger } from './ledger.js';
import { assistantTurns, parseMessagesRequest } from './messages.js';
import { findModel, listModels, modelJson } from './models.js';
import {
  ConfigPatchSchema,
  DEFAULT_RESPONSE,
  REPLY_MODES,
  type ReplyMode,
  type ResponseConfig,
  type SimulatorConfigPatch,
  type SimulatorOptions,
  toFaultSpec,
  toScenarioSet,
} from './options.js';
import { RateLimiter, rateLimitHeaders, resolveLimits } from './ratelimit.js';
import { finalizeContent, intendedReply, type PlannedReply } from './responder.js';
import { Rng } from './rng.js';
import { ScenarioMatcher } from './scenario.js';
import { type SimStats, StatsCollector } from './stats.js';
import { errorEvent, messageJson, PING, streamEvents, type Usage, usageJson } from './streaming.js';
import { analyzePrompt, ImageError } from './tokens.js';

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const PING_INTERVAL_MS = 10_000;

export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:4010` (use as `ANTHROPIC_BASE_URL`). */
  url: string;
  port: number;
  stats(): SimStats;
  /** The per-response ledger (off until `enable()`): what each admitted response billed and how far it got. */
  ledger: { enable(): void; entries(): LedgerEntry[] };
  /** Changes limits, faults, scenario, response mode or keys at run time. */
  configure(patch: SimulatorConfigPatch): void;
  /** Resets stats, rate-limit buckets, the prompt cache and fault counters. */
  reset(): void;
  close(): Promise<void>;
}

const JSON_TYPE = 'application/json';
const SSE_TYPE = 'text/event-stream; charset=utf-8';
const GATEWAY_TIMEOUT_HTML =
  '<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n<center><h1>504 Gateway Time-out</h1></center>\r\n</body>\r\n</html>\r\n';

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isLoopback(addr: string | undefined): boolean {
  return (
    addr !== undefined &&
    (addr === '::1' || addr.startsWith('127.') || addr.startsWith('::ffff:127.'))
  );
}

type Headers = Record<string, string>;

class Simulator {
  private apiKeys: Set<string> | undefined;
  private limitsConfig: SimulatorOptions['limits'];
  private readonly limiter: RateLimiter;
  private readonly cache = new PromptCache();
  private readonly faults: FaultInjector;
  private scenario: ScenarioMatcher | undefined;
  private response: ResponseConfig;
  private rng: Rng;
  private readonly statsCollector = new StatsCollector();
  readonly responses = new ResponseLedger();
  ledgerOn = false;
  private readonly log: ((line: string) => void) | undefined;
  private readonly maxBody: number;
  readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(opts: SimulatorOptions) {
    this.apiKeys = opts.apiKeys && opts.apiKeys.length > 0 ? new Set(opts.apiKeys) : undefined;
    this.limitsConfig = opts.limits;
    this.limiter = new RateLimiter(opts.limits);
    this.faults = new FaultInjector(toFaultSpec(opts.faults));
    const set = toScenarioSet(opts.scenario);
    this.scenario = set ? new ScenarioMatcher(set) : undefined;
    this.response = { ...DEFAULT_RESPONSE, ...opts.response };
    this.rng = new Rng(this.response.seed);
    this.log = opts.log;
    this.maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  stats(): SimStats {
    return this.statsCollector.snapshot();
  }

  configure(patch: SimulatorConfigPatch): void {
    // Validate everything before changing anything.
    const faults = patch.faults !== undefined ? toFaultSpec(patch.faults) : undefined;
    const scenario = patch.scenario !== undefined ? toScenarioSet(patch.scenario) : undefined;
    if (patch.limits !== undefined) {
      this.limitsConfig = patch.limits;
      this.limiter.setConfig(patch.limits, Date.now());
    }
    if (patch.faults !== undefined) this.faults.set(faults);
    if (patch.scenario !== undefined)
      this.scenario = scenario ? new ScenarioMatcher(scenario) : undefined;
    if (patch.response !== undefined) {
      this.response = { ...this.response, ...patch.response };
      if (patch.response.seed !== undefined) this.rng = new Rng(this.response.seed);
    }
    if (patch.apiKeys !== undefined)
      this.apiKeys = patch.apiKeys.length > 0 ? new Set(patch.apiKeys) : undefined;
  }

  reset(): void {
    this.statsCollector.reset();
    this.responses.reset();
    this.limiter.reset();
    this.cache.clear();
    this.faults.restart();
    this.rng = new Rng(this.response.seed);
  }

  configSnapshot(): Record<string, unknown> {
    return {
      limits: this.limitsConfig ?? {},
      effectiveLimits: Object.fromEntries(
        (['opus', 'sonnet', 'haiku', 'fable', 'mythos'] as const).map((c) => [
          c,
          resolveLimits(this.limitsConfig, c),
        ]),
      ),
      faults: this.faults.rules.map(formatFaultRule),
      scenarios: this.scenario?.scenarios.map((s) => s.name) ?? [],
      response: this.response,
      apiKeys: this.apiKeys ? this.apiKeys.size : 'any',
    };
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const rid = requestId();
    const started = performance.now();
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > this.maxBody) {
        tooLarge = true;
        chunks.length = 0;
      } else chunks.push(c);
    });
    req.on('error', () => {});
    req.on('end', () => {
      const body = tooLarge
        ? null
        : chunks.length === 1
          ? (chunks[0] as Buffer)
          : Buffer.concat(chunks);
      this.route(req, res, rid, body).then(
        () => this.logLine(req, res, started),
        (err: unknown) => {
          this.fail(res, rid, err);
          this.logLine(req, res, started);
        },
      );
    });
  };

  private logLine(req: IncomingMessage, res: ServerResponse, started: number): void {
    if (!this.log) return;
    this.log(
      `${req.method} ${req.url} ${res.statusCode} ${(performance.now() - started).toFixed(1)}ms`,
    );
  }

  private fail(res: ServerResponse, rid: string, err: unknown, extra?: Headers): void {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    if (err instanceof SimError) {
      this.send(
        res,
        err.status,
        { ...extra, ...err.headers, 'request-id': rid },
        errorBody(err.type, err.message, rid),
      );
      return;
    }
    this.log?.(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    this.send(
      res,
      500,
      { 'request-id': rid },
      errorBody('api_error', 'Internal server error', rid),
    );
  }

  private send(
    res: ServerResponse,
    status: number,
    headers: Headers,
    body: string,
    type = JSON_TYPE,
  ): void {
    headers['content-type'] = type;
    headers['content-length'] = String(Buffer.byteLength(body));
    res.writeHead(status, headers);
    res.end(body);
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    rid: string,
    body: Buffer | null,
  ): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (path.startsWith('/_sim/')) return this.simEndpoint(req, res, rid, path, method, body);
    if (path === '/v1/messages' || path === '/v1/messages/count_tokens') {
      if (method !== 'POST') throw new SimError('not_found_error', `Not Found: ${method} ${path}`);
      const key = this.authenticate(req);
      if (body === null)
        throw new SimError(
          'request_too_large',
          'Request exceeds the maximum allowed number of bytes.',
        );
      const json = parseJson(body);
      if (path === '/v1/messages') return this.messages(req, res, rid, key, json);
      return this.countTokens(res, rid, json);
    }
    if (path === '/v1/models' || path.startsWith('/v1/models/')) {
      if (method !== 'GET') throw new SimError('not_found_error', `Not Found: ${method} ${path}`);
      this.authenticate(req);
      if (path === '/v1/models') {
        let page: ReturnType<typeof listModels>;
        try {
          page = listModels(new URLSearchParams(q < 0 ? '' : url.slice(q + 1)));
        } catch (e) {
          throw invalid((e as Error).message);
        }
        this.send(res, 200, { 'request-id': rid }, JSON.stringify(page));
        return;
      }
      const id = decodeURIComponentSafe(path.slice('/v1/models/'.length));
      const model = findModel(id);
      if (!model) throw new SimError('not_found_error', `model: ${id}`);
      this.send(res, 200, { 'request-id': rid }, JSON.stringify(modelJson(model)));
      return;
    }
    throw new SimError('not_found_error', `Not Found: ${method} ${path}`);
  }

  private authenticate(req: IncomingMessage): string {
    let key = header(req, 'x-api-key');
    if (!key) {
      const auth = header(req, 'authorization');
      if (auth?.toLowerCase().startsWith('bearer ')) key = auth.slice(7).trim();
    }
    if (!key) throw new SimError('authentication_error', 'x-api-key header is required');
    if (this.apiKeys && !this.apiKeys.has(key))
      throw new SimError('authentication_error', 'invalid x-api-key');
    if (!header(req, 'anthropic-version')) throw invalid('anthropic-version: header is required');
    return key;
  }

  private countTokens(res: ServerResponse, rid: string, json: unknown): void {
    this.statsCollector.countTokensRequest();
    const r = parseMessagesRequest(json, { requireMaxTokens: false });
    const model = findModel(r.model);
    if (!model) throw new SimError('not_found_error', `model: ${r.model}`);
    const total = analyzeOrThrow(r, false).total;
    if (total > model.contextWindow) {
      throw new SimError(
        'request_too_large',
        `prompt is too long: ${total} tokens > ${model.contextWindow} maximum`,
      );
    }
    this.send(res, 200, { 'request-id': rid }, JSON.stringify({ input_tokens: total }));
  }

  private async messages(
    req: IncomingMessage,
    res: ServerResponse,
    rid: string,
    key: string,
    json: unknown,
  ): Promise<void> {
    const now = Date.now();
    let modelName =
      typeof (json as { model?: unknown })?.model === 'string'
        ? (json as { model: string }).model
        : '-';
    const stats = this.statsCollector;
    try {
      const r = parseMessagesRequest(json, { requireMaxTokens: true });
      modelName = r.model;
      const model = findModel(r.model);
      if (!model) throw new SimError('not_found_error', `model: ${r.model}`);
      stats.add(key, r.model, 'requests');
      const headers: Headers = { 'request-id': rid };
      const buckets = this.limiter.get(key, model.modelClass, now);
      // Rate-limit headers go on every /v1/messages answer; error paths before admission need
      // them now, the success path sets them after admission.
      const early = () => {
        rateLimitHeaders(buckets, now, headers);
        return headers;
      };
      if (r.maxTokens > model.maxOutput) {
        throw new SimError(
          'invalid_request_error',
          `max_tokens: ${r.maxTokens} > ${model.maxOutput}, which is the maximum allowed number of output tokens for ${model.id}`,
          early(),
        );
      }
      const prompt = analyzeOrThrow(r, r.cacheBreakpoints > 0);
      if (prompt.total > model.contextWindow) {
        throw new SimError(
          'request_too_large',
          `prompt is too long: ${prompt.total} tokens > ${model.contextWindow} maximum`,
          early(),
        );
      }
      const pick = this.scenario?.match(r, assistantTurns(r));
      const turn = pick?.turn;

      // The unscripted reply's mode: the request's header, else the configured one.
      const replyHeader = header(req, 'x-sim-reply');
      if (replyHeader !== undefined && !(REPLY_MODES as readonly string[]).includes(replyHeader)) {
        throw new SimError(
          'invalid_request_error',
          `x-sim-reply: must be one of ${REPLY_MODES.join(', ')}, got "${replyHeader}"`,
          early(),
        );
      }
      const replyMode = (replyHeader as ReplyMode | undefined) ?? this.response.reply;

      // Faults: a request header wins, then the scripted turn's, then the configured spec.
      let fault: FaultRule | undefined;
      const faultHeader = header(req, 'x-sim-fault');
      if (faultHeader) {
        try {
          fault = parseFaultRule(faultHeader, 'x-sim-fault');
        } catch (e) {
          throw new SimError('invalid_request_error', (e as Error).message, early());
        }
      } else if (turn?.fault) {
        fault = parseFaultRule(turn.fault);
      } else if (this.faults.rules.length > 0) {
        fault = this.faults.decide(r.model, model.id, model.modelClass);
      }
      if (fault) {
        stats.fault(key, r.model, fault.kind);
        this.log?.(`fault ${formatFaultRule(fault)} on ${rid}`);
        switch (fault.kind) {
          case 'reset-before':
            req.socket.destroy();
            return;
          case 'overloaded':
            throw new SimError('overloaded_error', 'Overloaded', early());
          case 'rate-limit': {
            // An injected 429, as a server whose limit others share would send: the buckets'
            // headers as they are, and when to come back.
            const h = early();
            h['retry-after'] = String(Math.max(1, Math.ceil((fault.ms ?? 1000) / 1000)));
            throw new SimError(
              'rate_limit_error',
              "This request would exceed your organization's rate limit. Please try again later.",
              h,
            );
          }
          case 'api-error':
            throw new SimError('api_error', 'Internal server error', early());
          case 'gateway-timeout':
            await this.sleep(fault.ms ?? 0);
            if (fault.body === 'html') {
              this.send(res, 504, { 'request-id': rid }, GATEWAY_TIMEOUT_HTML, 'text/html');
              return;
            }
            throw new SimError('timeout_error', 'Request timed out', early());
          case 'slow-first-byte':
            await this.sleep(fault.ms ?? 2000);
            if (this.closed || res.destroyed) return;
            fault = undefined;
            break;
          default:
            break;
        }
      }

      // Prompt caching, then admission (cache writes count toward ITPM, cache reads do not).
      let cachePlan: CachePlan | undefined;
      if (r.cacheBreakpoints > 0)
        cachePlan = this.cache.plan(`${key}|${model.id}`, prompt, model.minCacheable, now);
      const cu = cachePlan?.usage ?? NO_CACHE;
      const uncached = prompt.total - cu.read - cu.write5m - cu.write1h;
      const adm = this.limiter.admit(
        key,
        model.modelClass,
        uncached + cu.write5m + cu.write1h,
        r.maxTokens,
        now,
      );
      if (!adm.ok) {
        stats.add(key, r.model, 'rateLimited');
        rateLimitHeaders(adm.buckets, now, headers);
        headers['retry-after'] = String(adm.retryAfterSec);
        const l = resolveLimits(this.limitsConfig, model.modelClass);
        const what =
          adm.limited === 'requests'
            ? `${l.rpm} requests per minute`
            : adm.limited === 'input'
              ? `${l.itpm} input tokens per minute`
              : `${l.otpm} output tokens per minute`;
        throw new SimError(
          'rate_limit_error',
          `This request would exceed your organization's rate limit of ${what} (model class: ${model.modelClass}). Please reduce the prompt length or the maximum tokens requested, or try again later.`,
          headers,
        );
      }
      if (cachePlan) this.cache.commit(cachePlan, now);
      rateLimitHeaders(adm.buckets, now, headers);
      stats.add(key, r.model, 'admitted');

      // The reply.
      const contextLeft = model.contextWindow - prompt.total;
      const budget = Math.min(r.maxTokens, contextLeft);
      const intended = intendedReply(r, turn, this.response, this.rng, replyMode);
      const fin = finalizeContent(
        intended.content,
        intended.naturalStop,
        r.stopSequences,
        budget,
        contextLeft < r.maxTokens,
      );
      const reply: PlannedReply = {
        ...fin,
        ttftMs: turn?.ttft_ms ?? this.response.ttftMs,
        tokensPerSecond: turn?.tokens_per_second ?? this.response.tokensPerSecond,
      };
      const usage = usageJson(uncached, fin.outputTokens, cu.write5m, cu.write1h, cu.read);
      const o = turn?.usage;
      if (o) {
        if (o.input_tokens !== undefined) usage.input_tokens = o.input_tokens;
        if (o.output_tokens !== undefined) usage.output_tokens = o.output_tokens;
        if (o.cache_read_input_tokens !== undefined)
          usage.cache_read_input_tokens = o.cache_read_input_tokens;
        if (o.ephemeral_5m_input_tokens !== undefined)
          usage.cache_creation.ephemeral_5m_input_tokens = o.ephemeral_5m_input_tokens;
        if (o.ephemeral_1h_input_tokens !== undefined)
          usage.cache_creation.ephemeral_1h_input_tokens = o.ephemeral_1h_input_tokens;
        usage.cache_creation_input_tokens =
          o.cache_creation_input_tokens ??
          usage.cache_creation.ephemeral_5m_input_tokens +
            usage.cache_creation.ephemeral_1h_input_tokens;
      }
      stats.usage(
        key,
        r.model,
        usage.input_tokens,
        usage.output_tokens,
        usage.cache_creation.ephemeral_5m_input_tokens,
        usage.cache_creation.ephemeral_1h_input_tokens,
        usage.cache_read_input_tokens,
      );
      if (this.log) {
        this.log(
          `${rid} model=${r.model} stream=${r.stream} turns=${assistantTurns(r)} scenario=${pick ? `${pick.scenario.name}#${pick.turnIndex}${turn ? '' : '(default)'}` : '-'} in=${usage.input_tokens} out=${usage.output_tokens} stop=${reply.stopReason}`,
        );
      }
      const settle = () => this.limiter.settle(adm.buckets, adm.outputCharged, usage.output_tokens);
      const id = messageId();
      const entry = this.ledgerOn
        ? this.responses.open({
            messageId: id,
            requestId: rid,
            apiKey: key,
            model: r.model,
            stream: r.stream,
            inputTokens: usage.input_tokens,
            outputTokens: usage.output_tokens,
            cacheWrite5mTokens: usage.cache_creation.ephemeral_5m_input_tokens,
            cacheWrite1hTokens: usage.cache_creation.ephemeral_1h_input_tokens,
            cacheReadTokens: usage.cache_read_input_tokens,
            admittedAt: Date.now(),
          })
        : undefined;
      if (entry) {
        res.once('finish', () => endEntry(entry, 'complete'));
        res.once('close', () => endEntry(entry, 'client_closed'));
      }
      if (r.stream)
        await this.writeStream(res, headers, id, r.model, reply, usage, fault, settle, entry);
      else await this.writeJson(res, headers, id, r.model, reply, usage, fault, settle, entry);
    } catch (e) {
      if (e instanceof SimError && e.status >= 400 && e.status < 500 && e.status !== 429) {
        stats.add(key, modelName, 'clientErrors');
      }
      throw e;
    }
  }

  private holdStall(res: ServerResponse, fault: FaultRule): void {
    if (fault.ms !== undefined) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        res.socket?.destroy();
      }, fault.ms);
      this.timers.add(t);
    }
  }

  private async writeJson(
    res: ServerResponse,
    headers: Headers,
    id: string,
    model: string,
    reply: PlannedReply,
    usage: Usage,
    fault: FaultRule | undefined,
    settle: () => void,
    entry?: LedgerEntry,
  ): Promise<void> {
    settle();
    if (fault?.kind === 'stall') {
      endEntry(entry, 'fault');
      this.holdStall(res, fault);
      return;
    }
    if (fault?.kind === 'stream-error') {
      endEntry(entry, 'fault');
      throw new SimError('overloaded_error', 'Overloaded', headers);
    }
    const delay =
      reply.ttftMs +
      (reply.tokensPerSecond > 0 ? (usage.output_tokens / reply.tokensPerSecond) * 1000 : 0);
    await this.sleep(delay);
    if (this.closed || res.destroyed) return;
    const body = messageJson(id, model, reply, usage);
    if (fault?.kind === 'reset-mid') {
      endEntry(entry, 'fault');
      headers['content-type'] = JSON_TYPE;
      headers['content-length'] = String(Buffer.byteLength(body));
      res.writeHead(200, headers);
      res.write(body.slice(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
      return;
    }
    if (entry) {
      entry.started = true;
      entry.outputDelivered = usage.output_tokens;
    }
    this.send(res, 200, headers, body);
  }

  private async writeStream(
    res: ServerResponse,
    headers: Headers,
    id: string,
    model: string,
    reply: PlannedReply,
    usage: Usage,
    fault: FaultRule | undefined,
    settle: () => void,
    entry?: LedgerEntry,
  ): Promise<void> {
    const events = streamEvents(id, model, reply, usage);
    if (fault?.kind === 'stall' && fault.after === undefined) {
      settle();
      endEntry(entry, 'fault');
      this.holdStall(res, fault);
      return;
    }
    headers['content-type'] = SSE_TYPE;
    headers['cache-control'] = 'no-cache';
    res.writeHead(200, headers);
    const paced = reply.ttftMs > 0 || reply.tokensPerSecond > 0;
    if (!fault && !paced) {
      let all = '';
      for (const e of events) all += e.text;
      if (entry) {
        entry.started = true;
        entry.outputDelivered = usage.output_tokens;
      }
      res.end(all);
      settle();
      return;
    }
    try {
      const faultAfter = fault ? (fault.after ?? 1) : -1;
      let deltas = 0;
      let first = true;
      for (const e of events) {
        if (this.closed || res.destroyed) return;
        if (e.tokens > 0) {
          if (fault && deltas === faultAfter) {
            endEntry(entry, 'fault');
            this.streamFault(res, fault);
            return;
          }
          deltas++;
          if (first) {
            first = false;
            await this.sleepWithPings(res, reply.ttftMs);
          } else if (reply.tokensPerSecond > 0) {
            await this.sleepWithPings(res, (e.tokens / reply.tokensPerSecond) * 1000);
          }
          if (this.closed || res.destroyed) return;
        }
        if (fault) {
          // Let what precedes a fault reach the client before the connection breaks.
          await new Promise<void>((resolve) => res.write(e.text, () => resolve()));
        } else res.write(e.text);
        if (entry) {
          entry.started = true;
          entry.outputDelivered += e.tokens;
        }
      }
      if (fault && deltas <= faultAfter) {
        // Fewer deltas than `after`: the fault hits just before the end.
        endEntry(entry, 'fault');
        this.streamFault(res, fault);
        return;
      }
      res.end();
    } finally {
      settle();
    }
  }

  /** Waits, sending a `ping` event every 10 s of a long wait (as the real API keeps streams alive). */
  private async sleepWithPings(res: ServerResponse, ms: number): Promise<void> {
    let left = ms;
    while (left > PING_INTERVAL_MS) {
      await this.sleep(PING_INTERVAL_MS);
      left -= PING_INTERVAL_MS;
      if (this.closed || res.destroyed) return;
      res.write(PING.text);
    }
    await this.sleep(left);
  }

  private streamFault(res: ServerResponse, fault: FaultRule): void {
    switch (fault.kind) {
      case 'reset-mid':
        res.socket?.destroy();
        return;
      case 'stall':
        res.write(PING.text);
        this.holdStall(res, fault);
        return;
      default:
        res.end(errorEvent('overloaded_error', 'Overloaded'));
        return;
    }
  }

  private async simEndpoint(
    req: IncomingMessage,
    res: ServerResponse,
    rid: string,
    path: string,
    method: string,
    body: Buffer | null,
  ): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) {
      throw new SimError('permission_error', 'The /_sim endpoints are only available on loopback.');
    }
    const h: Headers = { 'request-id': rid };
    if (path === '/_sim/stats' && method === 'GET') {
      this.send(res, 200, h, JSON.stringify(this.stats()));
    } else if (path === '/_sim/config' && method === 'GET') {
      this.send(res, 200, h, JSON.stringify(this.configSnapshot()));
    } else if (path === '/_sim/config' && method === 'POST') {
      if (body === null)
        throw new SimError(
          'request_too_large',
          'Request exceeds the maximum allowed number of bytes.',
        );
      const parsed = ConfigPatchSchema.safeParse(parseJson(body));
      if (!parsed.success) {
        throw invalid(
          parsed.error.issues
            .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
            .join('; '),
        );
      }
      try {
        this.configure(parsed.data as SimulatorConfigPatch);
      } catch (e) {
        throw invalid((e as Error).message);
      }
      this.send(res, 200, h, JSON.stringify({ ok: true, config: this.configSnapshot() }));
    } else if (path === '/_sim/reset' && method === 'POST') {
      this.reset();
      this.send(res, 200, h, JSON.stringify({ ok: true }));
    } else {
      throw new SimError('not_found_error', `Not Found: ${method} ${path}`);
    }
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(`There was an error parsing the body: ${(e as Error).message}`);
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function analyzeOrThrow(
  r: Parameters<typeof analyzePrompt>[0],
  withPoints: boolean,
): ReturnType<typeof analyzePrompt> {
  try {
    return analyzePrompt(r, withPoints);
  } catch (e) {
    if (e instanceof ImageError) throw invalid(e.message);
    throw e;
  }
}

/** Starts the simulator; resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const sim = new Simulator(options);
  const server: Server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, sim.handle);
  server.on('connection', (s: Socket) => {
    s.setNoDelay(true);
    sim.sockets.add(s);
    s.on('close', () => sim.sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4010, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (options.port ?? 4010);
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => sim.stats(),
    ledger: {
      enable: () => {
        sim.ledgerOn = true;
      },
      entries: () => sim.responses.list(),
    },
    configure: (patch) => sim.configure(patch),
    reset: () => sim.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        sim.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
