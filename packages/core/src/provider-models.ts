/**
 * The provider's own list of models (`GET /v1/models`, every page), through the official SDK's
 * `models.list`. Failures are core's typed errors (`classifyError`: AuthenticationFailure,
 * NetworkTimeout, ServiceUnavailable…); the key is never part of a message.
 */
import Anthropic from '@anthropic-ai/sdk';
import { classifyError } from './errors.js';

export interface ProviderModel {
  id: string;
  displayName: string;
  /** ISO timestamp the provider gives as the model's release. */
  createdAt: string;
}

export interface ListProviderModelsOptions {
  /** The Messages API's base URL (default https://api.anthropic.com). */
  baseURL?: string;
  apiKey: string;
  /** Default 10 s per page. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Models per page (default 100, the API's most is 1000). */
  pageSize?: number;
}

/** Every model the provider serves, in its order (newest first), all pages followed. */
export async function listProviderModels(o: ListProviderModelsOptions): Promise<ProviderModel[]> {
  const client = new Anthropic({
    apiKey: o.apiKey,
    baseURL: o.baseURL,
    timeout: o.timeoutMs ?? 10_000,
    maxRetries: 1,
  });
  const out: ProviderModel[] = [];
  try {
    for await (const m of client.models.list({ limit: o.pageSize ?? 100 }, { signal: o.signal })) {
      out.push({ id: m.id, displayName: m.display_name, createdAt: m.created_at });
    }
  } catch (err) {
    throw classifyError(err);
  }
  return out;
}
