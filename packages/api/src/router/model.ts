/**
 * Models as the console offers them: the provider's own list (`GET /v1/models` with the
 * instance's base URL and key, through @baton/core's `listProviderModels`), cached for ten
 * minutes per base URL, each model joined with its price from the one price table (the
 * operator's `prices` rows, or @baton/core's defaults while there are none — as the worker
 * costs usage) and with its lifecycle from @baton/core's `MODEL_LIFECYCLE` (the API's model
 * objects carry no deprecation fields). Retired models are left out of the offer.
 */
import {
  BatonError,
  listProviderModels,
  MODEL_LIFECYCLE,
  microsToUsd,
  modelStatus,
  type Price,
  type PriceTable,
  type ProviderModel,
  priceTableOf,
} from '@baton/core';
import type { Database } from '@baton/db/client';
import { readPrices } from '@baton/db/prices';
import { sqlClientOf } from '../budget';
import { AppError } from '../errors';
import { createTRPCRouter, protectedProcedure, publicProcedure } from '../trpc';

export const MODEL_LIST_TTL_MS = 10 * 60_000;

const cache = new Map<string, { at: number; models: Promise<ProviderModel[]> }>();

/** The provider's models, fetched at most once per TTL per base URL (failures are not kept). */
function providerModels(baseURL: string, apiKey: string, now: number): Promise<ProviderModel[]> {
  const hit = cache.get(baseURL);
  if (hit && now - hit.at < MODEL_LIST_TTL_MS) return hit.models;
  const models = listProviderModels({ baseURL, apiKey });
  cache.set(baseURL, { at: now, models });
  models.catch(() => {
    if (cache.get(baseURL)?.models === models) cache.delete(baseURL);
  });
  return models;
}

/** The price table in force: the operator's rows, or core's defaults while there are none. */
async function priceTable(db: Database): Promise<PriceTable> {
  return priceTableOf(await readPrices(sqlClientOf(db)));
}

/** USD per million tokens, exact decimal strings. */
function perMtok(p: Price) {
  return {
    input: microsToUsd(p.input),
    output: microsToUsd(p.output),
    cacheWrite5m: microsToUsd(p.cacheWrite5m),
    cacheWrite1h: microsToUsd(p.cacheWrite1h),
    cacheRead: microsToUsd(p.cacheRead),
  };
}

export const modelRouter = createTRPCRouter({
  /** Whether the provider is Baton's simulator (from configuration); public: the sign-in page shows it. */
  provider: publicProcedure.query(({ ctx }) => ({ simulated: ctx.providerSimulated })),

  /**
   * Baton's default model and fallbacks (no provider call): the configuration's `models`
   * (without a file, @baton/core's DEFAULT_MODEL and DEFAULT_FALLBACK_MODELS).
   */
  defaults: protectedProcedure.query(({ ctx }) => ({
    model: ctx.config.models.default,
    fallbackModels: [...ctx.config.models.fallback],
  })),

  /**
   * The models to offer: the provider's current ones (deprecated ones marked, with their
   * retirement date and replacement), each with its price per MTok (null when the table has
   * none), and the retired models Baton knows of, so a model typed by hand can be warned about.
   */
  list: protectedProcedure.query(async ({ ctx }) => {
    if (!ctx.anthropicApiKey)
      throw new AppError(
        'UNAVAILABLE',
        'No provider key is configured on this server (ANTHROPIC_API_KEY), so the provider’s model list cannot be read. Type a model id.',
        { providerCode: 'AuthenticationFailure' },
      );
    const now = Date.now();
    let listed: ProviderModel[];
    try {
      listed = await providerModels(ctx.anthropicBaseUrl, ctx.anthropicApiKey, now);
    } catch (err) {
      const e = err instanceof BatonError ? err : undefined;
      throw new AppError(
        'UNAVAILABLE',
        `The provider’s model list could not be read${e ? ` (${e.code}: ${e.message})` : ''}. Type a model id.`,
        { providerCode: e?.code ?? 'Unknown' },
      );
    }
    const table = await priceTable(ctx.db);
    const models = [];
    for (const m of listed) {
      const state = modelStatus(m.id, now);
      if (state.status === 'retired') continue;
      const price = table.lookup(m.id, now);
      models.push({
        id: m.id,
        displayName: m.displayName,
        createdAt: m.createdAt,
        status: state.status,
        ids: [m.id, ...(state.lifecycle?.aliases ?? [])],
        retiresOn: state.lifecycle?.retiresOn ?? null,
        replacement: state.lifecycle?.replacement ?? null,
        price: price ? perMtok(price) : null,
      });
    }
    const retired = MODEL_LIFECYCLE.filter((e) => modelStatus(e.id, now).status === 'retired').map(
      (e) => ({
        id: e.id,
        ids: [e.id, ...e.aliases],
        retiresOn: e.retiresOn,
        replacement: e.replacement,
      }),
    );
    return { defaultModel: ctx.config.models.default, models, retired };
  }),
});
