/**
 * Checks a provider key before it is stored: Anthropic's free model list
 * (`GET <base>/v1/models?limit=1`, no tokens spent) with the key. A key the provider refuses
 * (401/403) is a field error naming the provider's answer; a provider that cannot be reached,
 * or answers with anything but success, leaves the key unchecked — also a field error, since
 * an unchecked key is not stored. The key is never logged, returned or put in a message.
 */
import { fieldError } from './validate';

export const PROVIDER_CHECK_TIMEOUT_MS = 5_000;
export const ANTHROPIC_VERSION = '2023-06-01';

export interface ProviderKeyCheck {
  /** The Messages API's base URL (ANTHROPIC_BASE_URL; default https://api.anthropic.com). */
  baseUrl: string;
  apiKey: string;
  /** Default 5 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The field a refusal names (default `apiKey`). */
  field?: string;
}

/** The provider's own words, from its JSON error body (`{ error: { type, message } }`), key removed. */
function providerAnswer(status: number, body: string, apiKey: string): string {
  let detail = '';
  try {
    const json = JSON.parse(body) as { error?: { type?: unknown; message?: unknown } };
    const type = typeof json.error?.type === 'string' ? json.error.type : '';
    const message = typeof json.error?.message === 'string' ? json.error.message : '';
    detail = [type, message].filter(Boolean).join(': ');
  } catch {
    // not JSON: the status says enough
  }
  detail = detail.split(apiKey).join('…').replace(/\s+/g, ' ').trim().slice(0, 200);
  return detail ? `${status} ${detail}` : String(status);
}

/**
 * Resolves when the provider accepts `apiKey`; otherwise throws `AppError('BAD_REQUEST')` on
 * `field`: "Anthropic refused this key (401 authentication_error: invalid x-api-key)…", or
 * "The key could not be checked: …" when the provider is unreachable, too slow or failing.
 */
export async function checkProviderKey(o: ProviderKeyCheck): Promise<void> {
  const field = o.field ?? 'apiKey';
  const base = o.baseUrl.replace(/\/+$/, '');
  const timeoutMs = o.timeoutMs ?? PROVIDER_CHECK_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await fetch(`${base}/v1/models?limit=1`, {
      headers: { 'x-api-key': o.apiKey, 'anthropic-version': ANTHROPIC_VERSION },
      signal,
      redirect: 'error',
    });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    const e = err as Error & { cause?: { code?: unknown; errors?: { code?: unknown }[] } };
    // undici's cause: a system error, or an AggregateError of one per address tried.
    const code = [e.cause?.code, ...(e.cause?.errors ?? []).map((x) => x?.code)].find(
      (c): c is string => typeof c === 'string',
    );
    const why =
      e.name === 'TimeoutError' || timeout.aborted
        ? `no answer within ${Math.round(timeoutMs / 100) / 10} s`
        : (code ?? 'the connection failed');
    throw fieldError(
      field,
      `The key could not be checked: the provider at ${base} cannot be reached (${why}). It was not saved; try again when the provider answers.`,
    );
  }
  const body = await res.text().catch(() => '');
  if (res.ok) return;
  if (res.status === 401 || res.status === 403) {
    throw fieldError(
      field,
      `The provider refused this key (${providerAnswer(res.status, body, o.apiKey)}). It was not saved.`,
    );
  }
  throw fieldError(
    field,
    `The key could not be checked: the provider answered ${providerAnswer(res.status, body, o.apiKey)}. It was not saved; try again later.`,
  );
}
