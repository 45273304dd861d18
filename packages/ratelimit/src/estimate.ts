/** The parts of a Messages API request body that matter for counting. */
export interface MessagesRequestLike {
  model: string;
  max_tokens?: number;
  system?: unknown;
  messages?: unknown;
  tools?: unknown;
  tool_choice?: unknown;
  thinking?: unknown;
  [key: string]: unknown;
}

/** Counts a request's input tokens before it is sent (a strategy: local estimate or count_tokens). */
export interface TokenCounter {
  count(request: MessagesRequestLike, options?: { signal?: AbortSignal }): Promise<number>;
  /** Optional: the same count without a promise, for counters that need no I/O. */
  countSync?(request: MessagesRequestLike): number;
}

export interface LocalTokenCounterOptions {
  /** Characters per token for text. Default 3.2 — a little pessimistic for English, so reservations rarely fall short. */
  charsPerToken?: number;
  /** Tokens for an image. Default 1,600 (a ~1,100 px square). */
  imageTokens?: number;
}

const TOOLS_PREAMBLE = 350;
const PER_MESSAGE = 4;
const PER_BLOCK = 3;

/**
 * A fast, offline estimate of input tokens (no network): text length / charsPerToken plus the
 * prompt format's fixed costs. Settlement corrects the reservation with the real count.
 */
export function localTokenCounter(options: LocalTokenCounterOptions = {}): TokenCounter {
  const cpt = options.charsPerToken ?? 3.2;
  const image = options.imageTokens ?? 1600;
  const text = (s: string) => Math.ceil(s.length / cpt);
  const value = (v: unknown): number => {
    if (v === undefined || v === null) return 0;
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) {
      let n = 0;
      for (const x of v) n += value(x) + PER_BLOCK;
      return n;
    }
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      switch (o.type) {
        case 'text':
          return text(String(o.text ?? ''));
        case 'image':
          return image;
        case 'thinking':
          return text(String(o.thinking ?? ''));
        case 'tool_result':
          return 6 + value(o.content);
        default: {
          const { cache_control: _cc, ...rest } = o;
          return text(JSON.stringify(rest));
        }
      }
    }
    return text(String(v));
  };
  const countSync = (request: MessagesRequestLike): number => {
    let n = 4 + value(request.system);
    const messages = Array.isArray(request.messages) ? request.messages : [];
    for (const m of messages) {
      n += PER_MESSAGE + value((m as { content?: unknown }).content);
    }
    if (Array.isArray(request.tools) && request.tools.length > 0) {
      n += TOOLS_PREAMBLE;
      for (const t of request.tools) {
        const { cache_control: _cc, ...rest } = t as Record<string, unknown>;
        n += 8 + text(JSON.stringify(rest));
      }
    }
    return n;
  };
  return {
    countSync,
    async count(request) {
      return countSync(request);
    },
  };
}

/** A `fetch`-like function. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Anything with the SDK's `messages.countTokens(params)`. */
export interface CountTokensClient {
  messages: {
    // `never`: any client whose params type accepts a Messages request body (the SDK's
    // MessageCountTokensParams) fits; the body passed is the request's count_tokens subset.
    countTokens(params: never, options?: never): PromiseLike<{ input_tokens: number }>;
  };
}

export interface CountTokensFetchOptions {
  /** Default `https://api.anthropic.com` (or `ANTHROPIC_BASE_URL`'s value passed here). */
  baseURL?: string;
  /** Sent with every call (`x-api-key`, `anthropic-version`, …). */
  headers?: Record<string, string>;
}

const COUNT_FIELDS = [
  'model',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'thinking',
  'mcp_servers',
];

/** The request reduced to what `count_tokens` accepts. */
export function countTokensBody(request: MessagesRequestLike): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const k of COUNT_FIELDS) if (request[k] !== undefined) body[k] = request[k];
  return body;
}

/**
 * Exact input counts from the provider's `POST /v1/messages/count_tokens` (free, but one more
 * round trip): give it an `@anthropic-ai/sdk` client, or a fetch function plus base URL and headers.
 */
export function countTokensCounter(
  client: CountTokensClient | FetchLike,
  options: CountTokensFetchOptions = {},
): TokenCounter {
  if (typeof client !== 'function') {
    return {
      async count(request, opts) {
        const res = await client.messages.countTokens(
          countTokensBody(request) as never,
          (opts?.signal ? { signal: opts.signal } : undefined) as never,
        );
        return res.input_tokens;
      },
    };
  }
  const base = (options.baseURL ?? 'https://api.anthropic.com').replace(/\/+$/, '');
  return {
    async count(request, opts) {
      const init: RequestInit = {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'anthropic-version': '2023-06-01',
          ...options.headers,
        },
        body: JSON.stringify(countTokensBody(request)),
      };
      if (opts?.signal) init.signal = opts.signal;
      const res = await client(`${base}/v1/messages/count_tokens`, init);
      if (!res.ok) {
        throw new Error(`count_tokens failed: HTTP ${res.status} ${await res.text()}`);
      }
      const json = (await res.json()) as { input_tokens?: unknown };
      if (typeof json.input_tokens !== 'number')
        throw new Error('count_tokens: no input_tokens in response');
      return json.input_tokens;
    },
  };
}

export interface OutputEstimatorOptions {
  /** Outputs remembered per kind. Default 50. */
  window?: number;
  /** Quantile of the history used as the estimate. Default 0.9. */
  quantile?: number;
  /** Observations needed before the history is trusted (until then: max_tokens). Default 5. */
  minSamples?: number;
}

/** Predicts a request's output tokens from the history of similar requests, bounded by max_tokens. */
export interface OutputEstimator {
  estimate(kind: string, maxTokens: number): number;
  observe(kind: string, outputTokens: number): void;
  /** Mean output of a kind, or undefined without history. */
  mean(kind: string): number | undefined;
}

export function outputEstimator(options: OutputEstimatorOptions = {}): OutputEstimator {
  const window = options.window ?? 50;
  const q = options.quantile ?? 0.9;
  const minSamples = options.minSamples ?? 5;
  const history = new Map<string, number[]>();
  return {
    estimate(kind, maxTokens) {
      const h = history.get(kind);
      if (!h || h.length < minSamples) return maxTokens;
      const sorted = [...h].sort((a, b) => a - b);
      const idx = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
      return Math.min(maxTokens, sorted[Math.max(0, idx)] as number);
    },
    observe(kind, outputTokens) {
      let h = history.get(kind);
      if (!h) {
        h = [];
        history.set(kind, h);
      }
      h.push(outputTokens);
      if (h.length > window) h.shift();
    },
    mean(kind) {
      const h = history.get(kind);
      if (!h || h.length === 0) return undefined;
      return h.reduce((a, b) => a + b, 0) / h.length;
    },
  };
}
