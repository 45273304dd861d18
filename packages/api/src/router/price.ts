import { prices } from '@baton/db/schema';
import { asc, desc } from 'drizzle-orm';
import { createTRPCRouter, protectedProcedure } from '../trpc';

export const priceRouter = createTRPCRouter({
  /**
   * The price table (USD per million tokens, exact decimal strings). `current`
   * marks, per pattern, the row in force now (latest `validFrom` not in the future).
   */
  list: protectedProcedure.query(async ({ ctx }) => {
    const rows = await ctx.db
      .select()
      .from(prices)
      .orderBy(asc(prices.modelPattern), desc(prices.validFrom));
    const now = Date.now();
    const seen = new Set<string>();
    return rows.map((row) => {
      const inForce = row.validFrom.getTime() <= now && !seen.has(row.modelPattern);
      if (inForce) seen.add(row.modelPattern);
      return { ...row, current: inForce };
    });
  }),
});
