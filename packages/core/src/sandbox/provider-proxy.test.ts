import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ProviderProxy,
  providerRequestAllowed,
  startProviderProxy,
} from './provider-proxy.js';

let upstream: http.Server;
let proxy: ProviderProxy;
const seen: Array<{ method: string; url: string; key: string | undefined }> = [];

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      key: req.headers['x-api-key'] as string,
    });
    req.resume();
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  proxy = await startProviderProxy({
    socketPath: path.join(os.tmpdir(), `baton-proxy-test-${process.pid}.sock`),
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/prefix`,
    apiKey: 'sk-real',
    token: 'tok-sandbox',
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
});
