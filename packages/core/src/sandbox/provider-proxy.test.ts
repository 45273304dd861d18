import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ProviderProxy,
  type ProviderResponse,
  providerRequestAllowed,
  startProviderProxy,
} from './provider-proxy.js';

let upstream: http.Server;
let proxy: ProviderProxy;
const responses: ProviderResponse[] = [];
/** How the upstream answers POST /v1/messages next. */
let answer: 'json' | 'sse' | 'cut' | 'reset' = 'json';
const seen: Array<{ method: string; url: string; key: string | undefined }> = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      key: req.headers['x-api-key'] as string,
    });
    req.resume();
    if (
      req.method === 'POST' &&
      req.url?.startsWith('/prefix/v1/messages') &&
      !req.url.includes('count_tokens')
    ) {
      res.setHeader('request-id', `req_${answer}`);
      if (answer === 'json') {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            type: 'message',
            id: 'msg_json',
            model: 'claude-haiku-4-5',
            usage: { input_tokens: 12, output_tokens: 5, cache_read_input_tokens: 100 },
          }),
        );
        return;
      }
      res.setHeader('content-type', 'text/event-stream');
      const ev = (type: string, data: object) =>
        res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
      ev('message_start', {
        message: {
          id: `msg_${answer}`,
          model: 'claude-sonnet-4-6',
          usage: { input_tokens: 30, output_tokens: 1 },
        },
      });
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'hi' } });
      if (answer === 'reset') {
        // Reset before the final usage: 35 more characters of text, then the connection breaks.
        ev('content_block_delta', {
          index: 0,
          delta: { type: 'text_delta', text: ' there, this is thirty-five chars!' },
        });
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      ev('message_delta', { delta: { stop_reason: null }, usage: { output_tokens: 9 } });
      if (answer === 'cut') {
        // Cut off mid-stream: the proxy closes while the response is still open.
        return;
      }
      ev('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 17 } });
      ev('message_stop', {});
      res.end();
      return;
    }
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await startProviderProxy({
    socketPath: path.join(os.tmpdir(), `baton-proxy-test-${process.pid}.sock`),
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/prefix`,
    apiKey: 'sk-real',
    token: 'tok-sandbox',
    onResponse: (r) => responses.push(r),
  });
});
afterAll(async () => {
  await proxy?.close();
  await new Promise((r) => upstream?.close(r));
});

function send(method: string, p: string, token = 'tok-sandbox') {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request(
      { socketPath: proxy.socketPath, method, path: p, headers: { 'x-api-key': token } },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', () => undefined);
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('the sandbox provider proxy', () => {
  it('knows the requests a Claude Code session makes, and nothing else', () => {
    expect(providerRequestAllowed('POST', '/v1/messages')).toBe(true);
    expect(providerRequestAllowed('POST', '/v1/messages?beta=true')).toBe(true);
    expect(providerRequestAllowed('POST', '/v1/messages/count_tokens?beta=true')).toBe(true);
    expect(providerRequestAllowed('GET', '/v1/models')).toBe(true);
    expect(providerRequestAllowed('GET', '/v1/models/claude-haiku-4-5')).toBe(true);
    expect(providerRequestAllowed('GET', '/v1/messages')).toBe(false);
    expect(providerRequestAllowed('POST', '/v1/messages/batches')).toBe(false);
    expect(providerRequestAllowed('POST', '/v1/files')).toBe(false);
    expect(providerRequestAllowed('POST', '/_sim/config')).toBe(false);
    expect(providerRequestAllowed('DELETE', '/v1/models/x')).toBe(false);
  });

  it('forwards the Messages API with the real key; refuses other routes (403) and a wrong token (401)', async () => {
    const ok = await send('POST', '/v1/messages?beta=true');
    expect(ok.status).toBe(200);
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/prefix/v1/messages?beta=true',
      key: 'sk-real',
    });
    const n = seen.length;
    const admin = await send('POST', '/_sim/reset');
    expect(admin.status).toBe(403);
    expect(JSON.parse(admin.body).error).toMatchObject({ type: 'permission_error' });
    const batches = await send('POST', '/v1/messages/batches');
    expect(batches.status).toBe(403);
    const wrong = await send('POST', '/v1/messages', 'tok-guess');
    expect(wrong.status).toBe(401);
    expect(seen.length).toBe(n);
    expect(proxy.stats()).toEqual({ forwarded: 1, refused: 3 });
  });

  it('reports each Messages API response once with its usage: JSON, streamed, and cut off', async () => {
    responses.length = 0;
    answer = 'json';
    await send('POST', '/v1/messages');
    answer = 'sse';
    await send('POST', '/v1/messages?beta=true');
    await send('POST', '/v1/messages/count_tokens');
    await new Promise((r) => setTimeout(r, 50));
    expect(responses).toEqual([
      {
        requestId: 'req_json',
        messageId: 'msg_json',
        model: 'claude-haiku-4-5',
        usage: { input_tokens: 12, output_tokens: 5, cache_read_input_tokens: 100 },
        complete: true,
      },
      {
        requestId: 'req_sse',
        messageId: 'msg_sse',
        model: 'claude-sonnet-4-6',
        usage: { input_tokens: 30, output_tokens: 17 },
        complete: true,
      },
    ]);
    // A response reset before its final usage: message_start's usage, and the output streamed so
    // far estimated from the deltas (2 + 34 characters at 3.5 per token).
    answer = 'reset';
    await send('POST', '/v1/messages').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(responses.at(-1)).toEqual({
      requestId: 'req_reset',
      messageId: 'msg_reset',
      model: 'claude-sonnet-4-6',
      usage: { input_tokens: 30, output_tokens: 1 },
      complete: false,
      outputEstimate: 11,
    });
    // A response still streaming when the proxy closes is reported with what streamed so far.
    answer = 'cut';
    const pending = send('POST', '/v1/messages').catch(() => undefined);
    await new Promise((r) => setTimeout(r, 200));
    await proxy.close();
    await pending;
    expect(responses.at(-1)).toEqual({
      requestId: 'req_cut',
      messageId: 'msg_cut',
      model: 'claude-sonnet-4-6',
      usage: { input_tokens: 30, output_tokens: 9 },
      complete: false,
    });
    expect(responses).toHaveLength(4);
  });
});

describe("the sandbox proxy's /mcp route (Baton's MCP server)", () => {
  let mcpServer: http.Server;
  let provider: http.Server;
  let px: ProviderProxy;
  let plain: ProviderProxy;
  const got: Array<{
    method: string;
    url: string;
    headers: http.IncomingHttpHeaders;
    body: string;
  }> = [];
  const providerHits: string[] = [];
  /** Lets the server's SSE answer finish (the test checks the first event arrived before). */
  let finish: (() => void) | undefined;

  beforeAll(async () => {
    mcpServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        got.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.method === 'DELETE') {
          res.writeHead(200).end();
          return;
        }
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'mcp-session-id': 'sess-1',
        });
        res.write(`event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"first":true}}\n\n`);
        finish = () => {
          res.end(`event: message\ndata: {"jsonrpc":"2.0","id":2,"result":{"last":true}}\n\n`);
        };
      });
    });
    provider = http.createServer((req, res) => {
      providerHits.push(`${req.method} ${req.url}`);
      req.resume();
      res.end('{}');
    });
    await new Promise<void>((r) => mcpServer.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    const providerURL = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`;
    px = await startProviderProxy({
      socketPath: path.join(os.tmpdir(), `baton-proxy-mcp-${process.pid}.sock`),
      upstream: providerURL,
      apiKey: 'sk-real',
      token: 'tok-sandbox',
      mcp: {
        url: `http://127.0.0.1:${(mcpServer.address() as AddressInfo).port}/mcp`,
        token: 'baton_mcp_task-token',
      },
    });
    plain = await startProviderProxy({
      socketPath: path.join(os.tmpdir(), `baton-proxy-nomcp-${process.pid}.sock`),
      upstream: providerURL,
      token: 'tok-sandbox',
    });
  });
  afterAll(async () => {
    await px?.close();
    await plain?.close();
    await new Promise((r) => mcpServer?.close(r));
    await new Promise((r) => provider?.close(r));
  });

  /** A request to a proxy; resolves at the first body chunk (`early`) and at the end. */
  function call(
    proxyOf: ProviderProxy,
    method: string,
    p: string,
    headers: http.OutgoingHttpHeaders,
    body?: string,
  ) {
    let firstChunk!: (s: string) => void;
    const early = new Promise<string>((r) => {
      firstChunk = r;
    });
    const done = new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>(
      (resolve, reject) => {
        const req = http.request(
          { socketPath: proxyOf.socketPath, method, path: p, headers },
          (res) => {
            let b = '';
            res.on('data', (c) => {
              if (b === '') firstChunk(String(c));
              b += c;
            });
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );
    return { early, done };
  }

  it('forwards /mcp with the task token (never the sandbox token), streaming the answer', async () => {
    const body = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
    const r = call(
      px,
      'POST',
      '/mcp',
      {
        authorization: 'Bearer tok-sandbox',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': 'sess-1',
        'mcp-protocol-version': '2025-06-18',
        cookie: 'a=b',
        'x-api-key': 'tok-sandbox',
        'x-other': 'no',
      },
      body,
    );
    // The first event arrives while the server's answer is still open.
    expect(await r.early).toContain('"first":true');
    finish?.();
    const res = await r.done;
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['mcp-session-id']).toBe('sess-1');
    expect(res.body).toContain('"last":true');
    const seenReq = got.at(-1)!;
    expect(seenReq.method).toBe('POST');
    expect(seenReq.url).toBe('/mcp');
    expect(seenReq.body).toBe(body);
    expect(seenReq.headers.authorization).toBe('Bearer baton_mcp_task-token');
    expect(seenReq.headers['content-type']).toBe('application/json');
    expect(seenReq.headers.accept).toBe('application/json, text/event-stream');
    expect(seenReq.headers['mcp-session-id']).toBe('sess-1');
    expect(seenReq.headers['mcp-protocol-version']).toBe('2025-06-18');
    expect(seenReq.headers['x-api-key']).toBeUndefined();
    expect(seenReq.headers.cookie).toBeUndefined();
    expect(seenReq.headers['x-other']).toBeUndefined();
    expect(JSON.stringify(seenReq.headers)).not.toContain('tok-sandbox');
    expect(providerHits).toEqual([]);
  });

  it('forwards the GET stream (with last-event-id) and DELETE of the session', async () => {
    const r = call(px, 'GET', '/mcp', {
      authorization: 'Bearer tok-sandbox',
      accept: 'text/event-stream',
      'last-event-id': 'ev-7',
    });
    expect(await r.early).toContain('"first":true');
    finish?.();
    expect((await r.done).status).toBe(200);
    expect(got.at(-1)).toMatchObject({ method: 'GET', url: '/mcp' });
    expect(got.at(-1)!.headers['last-event-id']).toBe('ev-7');
    const del = call(px, 'DELETE', '/mcp', {
      authorization: 'Bearer tok-sandbox',
      'mcp-session-id': 'sess-1',
    });
    expect((await del.done).status).toBe(200);
    expect(got.at(-1)).toMatchObject({ method: 'DELETE', url: '/mcp' });
    expect(got.at(-1)!.headers.authorization).toBe('Bearer baton_mcp_task-token');
  });

  it('refuses /mcp without the sandbox token (401) and other paths and methods (403)', async () => {
    const before = got.length;
    const none = call(px, 'POST', '/mcp', { 'content-type': 'application/json' }, '{}');
    expect((await none.done).status).toBe(401);
    const wrong = call(px, 'POST', '/mcp', { authorization: 'Bearer baton_mcp_task-token' }, '{}');
    expect((await wrong.done).status).toBe(401);
    for (const [method, p] of [
      ['POST', '/mcp/other'],
      ['POST', '/mcpx'],
      ['PUT', '/mcp'],
      ['POST', '/v1/files'],
    ] as const) {
      const res = await call(px, method, p, { authorization: 'Bearer tok-sandbox' }, '{}').done;
      expect(res.status, `${method} ${p}`).toBe(403);
    }
    expect(got.length).toBe(before);
    expect(providerHits).toEqual([]);
    // A proxy without an MCP upstream refuses /mcp like any other path.
    const off = await call(plain, 'POST', '/mcp', { authorization: 'Bearer tok-sandbox' }, '{}')
      .done;
    expect(off.status).toBe(403);
    expect(providerHits).toEqual([]);
  });
});
