import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PEER_HEADER as API_PEER_HEADER } from '../../../../packages/api/src/client-address';
import { createListener, MAX_API_BODY_BYTES, PEER_HEADER } from '../../server.mjs';

// apps/web/server.mjs's request listener in front of a stand-in for Next's handler.
const seen: { url?: string; headers: IncomingHttpHeaders; bytes: number }[] = [];
let server: Server;
let port: number;

beforeAll(async () => {
  const listener = createListener(async (req, res) => {
    let bytes = 0;
    for await (const c of req) bytes += (c as Buffer).length;
    seen.push({ url: req.url, headers: req.headers, bytes });
    res.end(`ok ${bytes}`);
  });
  server = createServer((req, res) => void listener(req, res));
  server.on('checkContinue', (req, res) => void listener(req, res, true));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function send(
  path: string,
  body: Buffer | { chunks: number; size: number },
  headers: Record<string, string> = {},
): Promise<{ status?: number; text: string }> {
  return new Promise((resolve, reject) => {
    const chunked = !Buffer.isBuffer(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: chunked
          ? { ...headers, 'transfer-encoding': 'chunked' }
          : { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode, text }));
      },
    );
    // The server may close the connection while the rest of the body is being written.
    req.on('error', (e) => (e as NodeJS.ErrnoException).code === 'EPIPE' || reject(e));
    if (!chunked) return void req.end(body);
    let i = 0;
    const write = () => {
      while (i < body.chunks) {
        i++;
        if (!req.write(Buffer.alloc(body.size))) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}

describe('the console server (server.mjs)', () => {
  it('uses the same peer header as @baton/api', () => {
    expect(PEER_HEADER).toBe(API_PEER_HEADER);
  });

  it('overwrites a client-sent x-baton-peer with the socket address', async () => {
    seen.length = 0;
    const r = await send('/api/trpc/x', Buffer.from('{}'), { 'x-baton-peer': '203.0.113.9' });
    expect(r.status).toBe(200);
    expect(seen[0]?.headers[PEER_HEADER]).toBe('127.0.0.1');
  });

  it('refuses an /api body over 1 MB from Content-Length, without reading it', async () => {
    seen.length = 0;
    const r = await send('/api/trpc/x', Buffer.alloc(2 * 1024 * 1024));
    expect(r.status).toBe(413);
    expect(seen).toHaveLength(0);
    const ok = await send('/api/trpc/x', Buffer.alloc(MAX_API_BODY_BYTES));
    expect(ok).toEqual({ status: 200, text: `ok ${MAX_API_BODY_BYTES}` });
  });

  it('refuses an /api body of unknown length (chunked) with 411, reading none of it', async () => {
    seen.length = 0;
    const big = await send('/api/trpc/x', { chunks: 3200, size: 64 * 1024 }); // 200 MB offered
    expect(big.status).toBe(411);
    expect(big.text).toMatch(/Content-Length/);
    const small = await send('/api/trpc/x', { chunks: 4, size: 1000 });
    expect(small.status).toBe(411);
    expect(seen).toHaveLength(0);
    // Outside /api/ a chunked body is Next's.
    const page = await send('/sign-in', { chunks: 4, size: 1000 });
    expect(page.status).toBe(200);
  });

  it('leaves bodies outside /api/ to Next', async () => {
    const r = await send('/sign-in', Buffer.alloc(2 * 1024 * 1024));
    expect(r.status).toBe(200);
  });
});
