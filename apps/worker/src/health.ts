import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CheckResult {
  ok: boolean;
  latencyMs?: number;
  error?: string;
  [key: string]: unknown;
}

export type Check = () => Promise<CheckResult>;

export interface HealthServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

async function runChecks(checks: Record<string, Check>, timeoutMs: number) {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const result = await Promise.race([
          check(),
          new Promise<CheckResult>((resolve) => {
            timer = setTimeout(
              () => resolve({ ok: false, error: `timed out after ${timeoutMs} ms` }),
              timeoutMs,
            );
          }),
        ]);
        return [name, result] as const;
      } catch (err) {
        return [name, { ok: false, error: (err as Error).message }] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const results = Object.fromEntries(entries);
  return { ok: entries.every(([, r]) => r.ok), checks: results };
}

/**
 * `/healthz`: is this process alive and can it reach what it needs to keep
 * going (the database). `/readyz`: every dependency needed to take work.
 * Both answer JSON with one entry per check and 200 or 503.
 */
export async function startHealthServer(options: {
  port: number;
  host: string;
  liveness: Record<string, Check>;
  readiness: Record<string, Check>;
  extraRoutes?: Record<
    string,
    (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>
  >;
  info?: () => Record<string, unknown>;
  timeoutMs?: number;
}): Promise<HealthServer> {
  const timeoutMs = options.timeoutMs ?? 3000;
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    try {
      if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
        const checks = path === '/healthz' ? options.liveness : options.readiness;
        const result = await runChecks(checks, timeoutMs);
        const body = JSON.stringify({
          status: result.ok ? 'ok' : 'unavailable',
          ...options.info?.(),
          checks: result.checks,
        });
        res.writeHead(result.ok ? 200 : 503, {
          'content-type': 'application/json',
          'cache-control': 'no-store',
        });
        res.end(body);
        return;
      }
      const extra = options.extraRoutes?.[path];
      if (extra) {
        await extra(req, res);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: 'not found',
          routes: ['/healthz', '/readyz', ...Object.keys(options.extraRoutes ?? {})],
        }),
      );
    } catch (err) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: (err as Error).message }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
