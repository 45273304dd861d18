#!/usr/bin/env node
/**
 * The console's server: the built Next.js app behind a plain Node HTTP server
 * (what `next start` did), plus what Next cannot do before a request reaches it:
 *
 * - `x-baton-peer` is set to the TCP peer's address, replacing whatever a client
 *   sent under that name; @baton/api's clientAddressFrom() believes
 *   X-Forwarded-For only when this peer is one of BATON_TRUSTED_PROXIES.
 * - A request body to /api/* over 1 MB is refused with 413 from its
 *   Content-Length, before it is read; a body of unknown length (chunked) to
 *   /api/* gets 411 at once. Neither reaches Next, and the connection is closed.
 * - Strict-Transport-Security when BATON_PUBLIC_URL is https (read at run time;
 *   next.config.ts's headers() are fixed at build time).
 *
 * Usage: node server.mjs [-p|--port <port>] [-H|--hostname <host>]
 * (defaults: $PORT or 3000, $HOSTNAME or 127.0.0.1). Run from anywhere: the app
 * directory is this file's directory.
 */
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEER_HEADER = 'x-baton-peer'; // @baton/api's PEER_HEADER (client-address.ts)
export const MAX_API_BODY_BYTES = 1024 * 1024;

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '-p' || flag === '--port') out.port = value();
    else if (flag === '-H' || flag === '--hostname') out.hostname = value();
    else throw new Error(`server.mjs: unknown argument "${a}" (use -p <port> -H <host>)`);
  }
  return out;
}

/** Replaces any client-sent x-baton-peer with the socket's remote address. */
function stampPeer(req) {
  const peer = req.socket.remoteAddress ?? '';
  req.headers[PEER_HEADER] = peer;
  const raw = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    if (req.rawHeaders[i].toLowerCase() !== PEER_HEADER)
      raw.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  raw.push(PEER_HEADER, peer);
  req.rawHeaders = raw;
}

/**
 * Answers with `status` and a JSON error and closes the connection; the body is never read.
 * A client still sending a large body may see the connection reset before it reads the answer.
 */
function refuse(res, status, code, message) {
  if (res.headersSent) return;
  const body = JSON.stringify({ error: { code, message } });
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

/**
 * The request listener: peer stamping, the API body limit, HSTS, then `handle`
 * (Next's request handler). `expectContinue`: the client waits for 100 Continue
 * before sending its body; it gets one only when the body may be sent.
 */
export function createListener(handle, { hsts = false, limit = MAX_API_BODY_BYTES } = {}) {
  return async (req, res, expectContinue = false) => {
    try {
      stampPeer(req);
      if (hsts) res.setHeader('strict-transport-security', 'max-age=63072000; includeSubDomains');
      const pathname = (req.url ?? '/').split('?')[0];
      if (pathname.startsWith('/api/')) {
        const declared = req.headers['content-length'];
        if (declared !== undefined) {
          if (!/^\d+$/.test(declared) || Number(declared) > limit)
            return refuse(res, 413, 'PAYLOAD_TOO_LARGE', `request body over ${limit} bytes`);
        } else if (req.headers['transfer-encoding'] !== undefined) {
          // A body of unknown length is refused before any of it is read: the console's own
          // clients (tRPC, Better Auth) always send Content-Length.
          return refuse(
            res,
            411,
            'LENGTH_REQUIRED',
            `send a Content-Length (at most ${limit} bytes) with a request body to /api/`,
          );
        }
      }
      if (expectContinue) res.writeContinue();
      await handle(req, res);
    } catch (err) {
      console.error('[baton-web] request failed:', err);
      if (!res.headersSent) {
        res.statusCode = 500;
        res.end('Internal Server Error');
      } else res.destroy();
    }
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const port = Number(args.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`server.mjs: bad port "${args.port ?? process.env.PORT}"`);
  const hostname = args.hostname ?? process.env.HOSTNAME ?? '127.0.0.1';
  // As `next start`: a production server (set before Next is loaded).
  process.env.NODE_ENV = 'production';
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const { default: next } = await import('next');
  const app = next({ dev: false, dir, hostname, port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const hsts = (process.env.BATON_PUBLIC_URL ?? '').startsWith('https:');
  const listener = createListener(handle, { hsts });
  const server = createServer((req, res) => void listener(req, res));
  server.on('checkContinue', (req, res) => void listener(req, res, true));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, hostname, resolve);
  });
  const shown = hostname.includes(':') ? `[${hostname}]` : hostname;
  console.log(`▲ Baton console ready on http://${shown}:${server.address().port}`);
  let stopping = false;
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      server.close(() => process.exit(0));
      server.closeIdleConnections?.();
      // Streams (live transcripts over SSE) never end by themselves.
      setTimeout(() => process.exit(0), 3000).unref();
    });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
