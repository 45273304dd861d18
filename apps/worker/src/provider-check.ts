import type { Check, CheckResult } from './health';

export interface ProviderCheckOptions {
  /** The Messages API's base URL (default https://api.anthropic.com). */
  baseURL?: string;
  apiKey?: string;
  /** A result is reused this long, so frequent probes cost one provider request (default 30 s). */
  cacheMs?: number;
  /** Gives up on the provider after this long (default 5 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * `/readyz`'s provider check: `GET /v1/models?limit=1` (free, no tokens) with the worker's key.
 * Ready when the provider answers — a 429 or a 5xx is an answer, and the tasks' own retries and
 * the limiter handle those — but not when it refuses the key (401/403: every task would fail)
 * or cannot be reached. The key never appears in the result.
 */
export function providerCheck(o: ProviderCheckOptions = {}): Check {
  const base = (o.baseURL ?? 'https://api.anthropic.com').replace(/\/+$/, '');
  const cacheMs = o.cacheMs ?? 30_000;
  const timeoutMs = o.timeoutMs ?? 5_000;
  const doFetch = o.fetch ?? fetch;
  let last: { at: number; result: Promise<CheckResult> } | undefined;

  const probe = async (): Promise<CheckResult> => {
    const t0 = performance.now();
    const headers: Record<string, string> = { 'anthropic-version': '2023-06-01' };
    if (o.apiKey) headers['x-api-key'] = o.apiKey;
    let res: Response;
    try {
      res = await doFetch(`${base}/v1/models?limit=1`, {
        headers,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : e.message;
      const cause = e.cause?.code ?? e.cause?.message;
      return {
        ok: false,
        url: base,
        error: `cannot reach the provider: ${why}${cause ? ` (${cause})` : ''}`,
      };
    }
    const latencyMs = Math.round((performance.now() - t0) * 100) / 100;
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401 || res.status === 403) {
      return {
        ok: false,
        url: base,
        status: res.status,
        latencyMs,
        error: o.apiKey
          ? `the provider refused the API key (${res.status})`
          : `no API key is configured (ANTHROPIC_API_KEY); the provider answered ${res.status}`,
      };
    }
    return {
      ok: true,
      url: base,
      status: res.status,
      latencyMs,
      ...(res.ok ? {} : { note: `answering, with ${res.status}` }),
    };
  };

  return () => {
    const now = performance.now();
    if (!last || now - last.at >= cacheMs) last = { at: now, result: probe() };
    return last.result;
  };
}
