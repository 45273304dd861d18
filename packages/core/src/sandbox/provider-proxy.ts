import { timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { estimateStreamedTokens } from '../context.js';

/**
 * The only way out of a sandbox: a reverse proxy to the provider, listening on a unix socket
 * that is bound into the sandbox (where a forwarder on 127.0.0.1 reaches it). The sandbox holds
 * a per-run token, never the provider key: the proxy checks the token and sends the request on
 * with the real key, to the provider's origin and nowhere else — and only the requests a
 * Claude Code session makes (`providerRequestAllowed`).
 */
export interface ProviderProxyOptions {
  /** Path of the unix socket to listen on. */
  socketPath: string;
  /** Where requests go: the provider's base URL (its path prefix is kept). */
  upstream: string;
  /** The provider key sent upstream (`x-api-key`); absent: the request goes without one. */
  apiKey?: string | undefined;
  /** What the sandboxed client must present (as `x-api-key` or `Authorization: Bearer`). */
  token: string;
  /** Owner of the socket (the sandbox's host uid), when the proxy runs as root. */
  owner?: { uid: number; gid: number } | undefined;
  /** Called once per request (method, path, upstream status). */
  onRequest?: (r: { method: string; path: string; status: number }) => void;
  /**
   * Called once per Messages API response that carried a message, when it ends (completed, or
   * cut off: then with the usage streamed so far): every response the provider billed, whoever
   * inside made it — Claude Code, its sub-agents, or a tool call of the model's own.
   */
  onResponse?: (r: ProviderResponse) => void;
  /**
   * Awaited before each Messages API request is forwarded (the body waits): where the owner
   * makes the usage of the responses so far durable first. A rejection refuses the request
   * (400, with the reason) and it never reaches the provider.
   */
  beforeMessages?: () => Promise<void>;
  /**
   * A second upstream: Baton's MCP server (Streamable HTTP). A request inside to `/mcp` (with the
   * sandbox token, as for the Messages API) goes to `url` with `Authorization: Bearer <token>` —
   * a token that never enters the sandbox. Absent: `/mcp` is refused like any other path.
   */
  mcp?: { url: string; token: string } | undefined;
}

/** One Messages API response as the proxy saw it go by. */
export interface ProviderResponse {
  /** The provider's `request-id` header. */
  requestId: string | null;
  messageId: string;
  model: string;
  /** The response's usage (message_start's, updated by each message_delta). */
  usage: Record<string, unknown>;
  /** false: the stream ended before message_stop (cancelled or cut off). */
  complete: boolean;
  /**
   * Set when the stream ended before its final usage (no message_delta): the output tokens
   * streamed so far, estimated from the deltas' characters (the usage then has only
   * message_start's output count).
   */
  outputEstimate?: number;
}

/**
 * Reads a Messages API response as it streams by (server-sent events or one JSON body) and
 * reports its message id, model and usage once, when it ends.
 */
function responseTap(
  contentType: string,
  requestId: string | null,
  report: (r: ProviderResponse) => void,
): { data(chunk: Buffer): void; end(): void } {
  const sse = contentType.includes('text/event-stream');
  const MAX_JSON = 8 * 1024 * 1024;
  let buffered = '';
  let message: { id: string; model: string; usage: Record<string, unknown> } | undefined;
  let complete = false;
  let done = false;
  let finalUsage = false;
  let streamedChars = 0;
  const onEvent = (data: string) => {
    let ev: {
      type?: string;
      message?: { id?: string; model?: string; usage?: object };
      usage?: object;
      delta?: { text?: unknown; thinking?: unknown; partial_json?: unknown };
    };
    try {
      ev = JSON.parse(data);
    } catch {
      return;
    }
    if (ev.type === 'message_start' && ev.message?.id) {
      message = {
        id: ev.message.id,
        model: ev.message.model ?? '',
        usage: { ...(ev.message.usage ?? {}) },
      };
    } else if (ev.type === 'content_block_delta' && ev.delta) {
      const d = ev.delta;
      const piece = d.text ?? d.thinking ?? d.partial_json;
      if (typeof piece === 'string') streamedChars += piece.length;
    } else if (ev.type === 'message_delta' && message && ev.usage) {
      finalUsage = true;
      for (const [k, v] of Object.entries(ev.usage))
        if (v !== null && v !== undefined) message.usage[k] = v;
    } else if (ev.type === 'message_stop') complete = true;
  };
  return {
    data(chunk) {
      if (done) return;
      buffered += chunk.toString('utf8');
      if (!sse) {
        if (buffered.length > MAX_JSON) buffered = '';
        return;
      }
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('data:')) onEvent(line.slice(5).trim());
        nl = buffered.indexOf('\n');
      }
    },
    end() {
      if (done) return;
      done = true;
      if (!sse) {
        try {
          const body = JSON.parse(buffered) as {
            type?: string;
            id?: string;
            model?: string;
            usage?: object;
          };
          if (body.type === 'message' && body.id)
            message = { id: body.id, model: body.model ?? '', usage: { ...(body.usage ?? {}) } };
          complete = true;
          finalUsage = true;
        } catch {}
      }
      if (message)
        report({
          requestId,
          messageId: message.id,
          model: message.model,
          usage: message.usage,
          complete,
          ...(finalUsage ? {} : { outputEstimate: estimateStreamedTokens(streamedChars) }),
        });
    },
  };
}

export interface ProviderProxy {
  readonly socketPath: string;
  /** Requests forwarded so far, and those refused (bad token, bad path). */
  stats(): { forwarded: number; refused: number };
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'x-api-key',
  'authorization',
]);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function presented(req: http.IncomingMessage): string | undefined {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string') return key;
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && /^bearer /i.test(auth)) return auth.slice(7).trim();
  return undefined;
}

/**
 * What a sandboxed client may ask of the provider: the Messages API (and its token counter) and
 * the model list — what Claude Code uses. Anything else on the provider's origin (an admin or
 * files endpoint, a test server's control routes) is refused with 403, whatever the token.
 */
/** The Messages API itself: the one route whose responses are billed. */
const MESSAGES = /^\/v1\/messages$/;
const ALLOWED: ReadonlyArray<readonly [method: string, path: RegExp]> = [
  ['POST', MESSAGES],
  ['POST', /^\/v1\/messages\/count_tokens$/],
  ['GET', /^\/v1\/models(\/[A-Za-z0-9._@:-]+)?$/],
];

/** The MCP route (Streamable HTTP: POST messages, GET a server stream, DELETE the session). */
const MCP_PATH = /^\/mcp$/;
const MCP_METHODS = new Set(['POST', 'GET', 'DELETE']);
/** What of a request goes on to the MCP server: the protocol's own headers, nothing else. */
const MCP_REQUEST_HEADERS = [
  'content-type',
  'content-length',
  'accept',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
] as const;

/** Whether the proxy forwards this request (method and path, the query string aside). */
export function providerRequestAllowed(method: string, path: string): boolean {
  const bare = path.split('?')[0] ?? '';
  return ALLOWED.some(([m, re]) => m === method && re.test(bare));
}

function refuse(res: http.ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ type: 'error', error: { type, message } });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function mcpTarget(m: { url: string; token: string }) {
  const base = new URL(m.url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`MCP server URL must be http(s), got ${base.protocol}`);
  const transport = base.protocol === 'https:' ? https : http;
  // Server streams (GET /mcp, SSE answers) stay open: room for a few besides the posts.
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 32 });
  return {
    base,
    token: m.token,
    target: { base, transport, agent, name: "Baton's MCP server" },
  };
}

export function startProviderProxy(o: ProviderProxyOptions): Promise<ProviderProxy> {
  const base = new URL(o.upstream);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`provider URL must be http(s), got ${base.protocol}`);
  const prefix = base.pathname.replace(/\/+$/, '');
  const transport = base.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: 16 });
  const provider: Target = { base, transport, agent, name: 'the provider' };
  const mcp = o.mcp ? mcpTarget(o.mcp) : undefined;
  let forwarded = 0;
  let refused = 0;
  /** Responses still streaming: reported (cut off) when the proxy closes. */
  const taps = new Set<{ end(): void }>();

  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    // Origin-form only: an absolute URL or a path that climbs out of the prefix goes nowhere.
    if (
      !path.startsWith('/') ||
      path.startsWith('//') ||
      /(^|\/)\.\.?(\/|$|\?)/.test(path.split('?')[0] ?? '')
    ) {
      refused++;
      refuse(
        res,
        400,
        'invalid_request_error',
        'the sandbox proxy forwards origin-form paths only',
      );
      return;
    }
    const token = presented(req);
    if (!token || !sameSecret(token, o.token)) {
      refused++;
      req.resume();
      refuse(res, 401, 'authentication_error', 'invalid sandbox token');
      return;
    }
    const bare = path.split('?')[0] ?? '';
    if (mcp && MCP_PATH.test(bare) && MCP_METHODS.has(req.method ?? 'GET')) {
      const headers: http.OutgoingHttpHeaders = {};
      for (const k of MCP_REQUEST_HEADERS) {
        const v = req.headers[k];
        if (v !== undefined) headers[k as string] = v;
      }
      headers.authorization = `Bearer ${mcp.token}`;
      headers.host = mcp.base.host;
      const query = path.slice(bare.length);
      forward(req, res, mcp.target, `${mcp.base.pathname}${query}`, path, headers);
      return;
    }
    if (!providerRequestAllowed(req.method ?? 'GET', path)) {
      refused++;
      req.resume();
      refuse(
        res,
        403,
        'permission_error',
        `the sandbox proxy forwards only the Messages API and the model list${mcp ? " (and Baton's MCP server at /mcp)" : ''}, not ${req.method} ${bare}`,
      );
      return;
    }
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    }
    if (o.apiKey) headers['x-api-key'] = o.apiKey;
    headers.host = base.host;
    const hold =
      o.beforeMessages && req.method === 'POST' && MESSAGES.test(path.split('?')[0] ?? '')
        ? o.beforeMessages
        : undefined;
    if (!hold) {
      forward(req, res, provider, prefix + path, path, headers);
      return;
    }
    req.pause();
    hold().then(
      () => forward(req, res, provider, prefix + path, path, headers),
      (err: unknown) => {
        refused++;
        req.resume();
        refuse(
          res,
          400,
          'invalid_request_error',
          `Baton did not send this request: ${(err as Error)?.message ?? String(err)}`,
        );
      },
    );
  });

  /** Where a request goes: the provider, or the MCP server. */
  interface Target {
    base: URL;
    transport: typeof http | typeof https;
    agent: http.Agent;
    /** How an unreachable upstream is named to the client. */
    name: string;
  }

  function forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    target: Target,
    upstreamPath: string,
    path: string,
    headers: http.OutgoingHttpHeaders,
  ): void {
    const up = target.transport.request(
      {
        protocol: target.base.protocol,
        hostname: target.base.hostname,
        port: target.base.port || undefined,
        method: req.method,
        path: upstreamPath,
        headers,
        agent: target.agent,
      },
      (upRes) => {
        forwarded++;
        o.onRequest?.({ method: req.method ?? 'GET', path, status: upRes.statusCode ?? 0 });
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(upRes.headers)) {
          if (
            v !== undefined &&
            k !== 'connection' &&
            k !== 'keep-alive' &&
            k !== 'transfer-encoding'
          )
            out[k] = v;
        }
        res.writeHead(upRes.statusCode ?? 502, out);
        // Server-sent events pass through as they arrive.
        res.flushHeaders();
        if (o.onResponse && req.method === 'POST' && MESSAGES.test(path.split('?')[0] ?? '')) {
          const rid = upRes.headers['request-id'];
          const tap = responseTap(
            String(upRes.headers['content-type'] ?? ''),
            typeof rid === 'string' ? rid : null,
            o.onResponse,
          );
          taps.add(tap);
          const end = () => {
            taps.delete(tap);
            tap.end();
          };
          upRes.on('data', (c: Buffer) => tap.data(c));
          upRes.once('end', end);
          upRes.once('close', end);
        }
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      },
    );
    up.on('error', (err) => {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      refuse(res, 502, 'api_error', `${target.name} could not be reached: ${err.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    (req as Readable).pipe(up);
  }
  server.keepAliveTimeout = 60_000;

  return new Promise((resolve, reject) => {
    rmSync(o.socketPath, { force: true });
    server.once('error', reject);
    server.listen(o.socketPath, () => {
      server.off('error', reject);
      try {
        chmodSync(o.socketPath, 0o600);
        if (o.owner) chownSync(o.socketPath, o.owner.uid, o.owner.gid);
      } catch (err) {
        server.close();
        reject(err);
        return;
      }
      resolve({
        socketPath: o.socketPath,
        stats: () => ({ forwarded, refused }),
        close: () =>
          new Promise<void>((done) => {
            for (const t of [...taps]) t.end();
            taps.clear();
            server.close(() => done());
            server.closeAllConnections();
            agent.destroy();
            mcp?.target.agent.destroy();
            rmSync(o.socketPath, { force: true });
          }),
      });
    });
  });
}
