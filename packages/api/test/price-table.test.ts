import { createPriceTable, DEFAULT_PRICES, priceTableOf } from '@baton/core';
import { readPrices } from '@baton/db/prices';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, setupHarness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await setupHarness();
});
afterAll(async () => {
  await h?.close();
});

/** A row as a comparable key: pattern, date and the five prices as numbers. */
const key = (r: {
  model: string;
  validFrom: string;
  input: string | number;
  cacheWrite5m: string | number;
  cacheWrite1h: string | number;
  cacheRead: string | number;
  output: string | number;
}) =>
  [
    r.model,
    new Date(r.validFrom).toISOString(),
    ...[r.input, r.cacheWrite5m, r.cacheWrite1h, r.cacheRead, r.output].map(Number),
  ].join('|');

describe('one price table', () => {
  it("the database's seeded prices are @baton/core's defaults, row for row", async () => {
    const rows = await readPrices(h.client.pool);
    expect(rows.map(key).sort()).toEqual(DEFAULT_PRICES.map(key).sort());
  });

  it('the table in force is the rows, or the defaults while there are none', async () => {
    const rows = await readPrices(h.client.pool);
    const fromDb = priceTableOf(rows);
    for (const model of [
      'claude-opus-4-7',
      'claude-opus-4-8-20260101',
      'claude-opus-4-1',
      'claude-sonnet-5',
    ]) {
      expect(fromDb.lookup(model), model).toBeDefined();
      const { validFrom: _a, ...db } = fromDb.lookup(model)!;
      const { validFrom: _b, ...core } = createPriceTable(DEFAULT_PRICES).lookup(model)!;
      expect(db).toEqual(core);
    }
    expect(priceTableOf([]).rows).toEqual(DEFAULT_PRICES);
  });
});
