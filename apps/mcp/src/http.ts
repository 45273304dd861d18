/**
 * Streamable HTTP for Baton's MCP server: `POST /mcp`, stateless (a fresh server and transport per
 * request, so any number of clients and processes can serve one team), each request authenticated
 * by its `Authorization: Bearer <token>` before anything is parsed. `GET /healthz` answers
 * without a token. The token is never logged nor echoed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticateMcpToken } from '@baton/api';
import { pingDb } from '@baton/db/client';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createMcpServer, type McpServerDeps } from './server';

/** The largest request body taken (a tool call's arguments; a task's prompt is ≤ 100,000 characters). */
export const MAX_BODY_BYTES = 1024 * 1024;
export const MCP_PATH = '/mcp';

export interface HttpServerOptions extends McpServerDeps {
  /** Default 4030 (MCP_PORT); 0 for any free port. */
  port?: number;
  /** Default 127.0.0.1 (MCP_HOST). */
  host?: string;
  maxBodyBytes?: number;
}

export interface RunningHttpServer {
  /** `http://host:port/mcp`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const REALM = 'Bearer realm="baton-mcp"';

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  const tooLarge = () =>
    new HttpRefusal(413, 'payload_too_large', `A request body is at most ${limit} bytes.`);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the HTTP server; resolves once it listens. */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const onError =
    options.onError ??
    ((err: unknown, where: string) =>
      process.stderr.write(
        `baton-mcp: ${where} failed: ${err instanceof Error ? err.message : String(err)}\n`,
      ));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new HttpRefusal(405, 'method_not_allowed', 'Use GET.', { allow: 'GET, HEAD' });
      try {
        const ms = await pingDb(options.client.pool);
        sendJson(res, 200, { status: 'ok', database: { ok: true, ms: Math.round(ms) } });
      } catch {
        sendJson(res, 503, { status: 'unavailable', database: { ok: false } });
      }
      return;
    }
    if (url.pathname !== MCP_PATH)
      throw new HttpRefusal(404, 'not_found', `Baton's MCP server is at ${MCP_PATH}.`);

    const header = req.headers.authorization;
    if (!header) {
      throw new HttpRefusal(
        401,
        'unauthorized',
        'Send Authorization: Bearer <token> with a team’s MCP token (console Settings, or `baton mcp token create`).',
        { 'www-authenticate': REALM },
      );
    }
    if (!/^Bearer\s+\S+$/i.test(header)) {
      throw new HttpRefusal(
        401,
        'invalid_request',
        'The Authorization header is `Bearer <token>`.',
        {
          'www-authenticate': `${REALM}, error="invalid_request"`,
        },
      );
    }
    const principal = await authenticateMcpToken(options.client.db, header);
    if (!principal) {
      throw new HttpRefusal(
        401,
        'invalid_token',
        'The token is not a live MCP token: unknown, revoked or expired.',
        { 'www-authenticate': `${REALM}, error="invalid_token"` },
      );
    }

    if (req.method !== 'POST') {
      // Stateless: no server-initiated stream (GET) and no session to end (DELETE).
      sendJson(
        res,
        405,
        {
          jsonrpc: '2.0',
          error: { code: -32000, message: 'Method not allowed: this server is stateless; POST.' },
          id: null,
        },
        { allow: 'POST' },
      );
      return;
    }
    const text = await readBody(req, limit);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      sendJson(res, 400, {
        jsonrpc: '2.0',
        error: { code: -32700, message: 'Parse error: the body is not JSON.' },
        id: null,
      });
      return;
    }
    const server = createMcpServer(principal, options);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpRefusal) {
        // A refused body is not read further: the connection closes once the answer is out.
        if (err.status === 413) res.once('finish', () => req.destroy());
        if (!res.headersSent)
          sendJson(
            res,
            err.status,
            { error: err.error, message: err.message },
            err.status === 413 ? { ...err.headers, connection: 'close' } : err.headers,
          );
        else res.end();
        return;
      }
      onError(err, `${req.method} ${req.url}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal', message: 'Internal error.' });
      else res.end();
    });
  });
  http.requestTimeout = 0; // wait_agent may hold a request for up to 10 minutes
  http.headersTimeout = 30_000;

  const port = options.port ?? 4030;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}${MCP_PATH}`,
    port: address.port,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        http.close((err) => (err ? reject(err) : resolve()));
        http.closeAllConnections();
      });
      return closed;
    },
  };
}
