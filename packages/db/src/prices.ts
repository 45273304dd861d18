import type pg from 'pg';

/** One row of the operator's price table (`prices`), USD per million tokens as exact decimals. */
export interface PriceRowData {
  /** Model id or glob pattern (`claude-opus-5*`). */
  model: string;
  /** ISO timestamp from which the row applies. */
  validFrom: string;
  input: string;
  cacheWrite5m: string;
  cacheWrite1h: string;
  cacheRead: string;
  output: string;
}

const trim = (v: string) => v.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');

/**
 * The operator's price rows, in @baton/core's `PriceRow` shape (`priceTableOf` turns them into
 * the table every cost is computed with: the worker's and the console's are the same one).
 */
export async function readPrices(pool: Pick<pg.Pool, 'query'>): Promise<PriceRowData[]> {
  const { rows } = await pool.query<{
    model_pattern: string;
    valid_from: Date;
    input: string;
    cw5: string;
    cw1h: string;
    cr: string;
    output: string;
  }>(
    `select model_pattern, valid_from, input_per_mtok::text as input, cache_write_5m_per_mtok::text as cw5,
            cache_write_1h_per_mtok::text as cw1h, cache_read_per_mtok::text as cr, output_per_mtok::text as output
       from prices order by id`,
  );
  return rows.map((r) => ({
    model: r.model_pattern,
    validFrom: r.valid_from.toISOString(),
    input: trim(r.input),
    cacheWrite5m: trim(r.cw5),
    cacheWrite1h: trim(r.cw1h),
    cacheRead: trim(r.cr),
    output: trim(r.output),
  }));
}
