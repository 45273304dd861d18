import { prices } from '@baton/db/schema';
import { asc, desc } from 'drizzle-orm';
import { z } from 'zod';
import { AppError, isUniqueViolation } from '../errors';
import { createTRPCRouter, protectedProcedure, requireOperator } from '../trpc';

const decimal = (field: string) =>
  z
    .number({ error: `Enter a number for ${field}.` })
    .nonnegative('Use 0 or more.')
    // numeric(12, 6): 999999.999999 is the most a price column holds.
    .max(999_999.999999, 'At most 999999.999999.');

export const addPriceInput = z.object({
  modelPattern: z
    .string()
    .trim()
    .min(1, 'Enter a model or pattern (e.g. claude-sonnet-4-5*).')
    .max(100)
    .regex(/^[a-z0-9.*-]+$/, 'Lowercase letters, digits, dots, dashes and *.'),
  // Within what PostgreSQL's timestamptz holds (a Date may reach far past it either way).
  validFrom: z.coerce
    .date({ error: 'Enter a date.' })
    .min(new Date('1970-01-01T00:00:00Z'), 'Use a date from 1970 on.')
    .max(new Date('9999-12-31T23:59:59Z'), 'Use a date before the year 10000.'),
  inputPerMtok: decimal('input'),
  cacheWrite5mPerMtok: decimal('cache write 5m'),
  cacheWrite1hPerMtok: decimal('cache write 1h'),
  cacheReadPerMtok: decimal('cache read'),
  outputPerMtok: decimal('output'),
  note: z.string().trim().max(200).optional(),
});

const money = (n: number) => n.toFixed(6);

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

  /**
   * Adds a price row. The table is shared by every team, so only an instance
   * operator may change it (FORBIDDEN for everyone else, team owners
   * included). Rows are append-only: a later `validFrom` supersedes, and
   * history keeps costing old usage correctly.
   */
  add: protectedProcedure
    .input(addPriceInput)
    .use(requireOperator)
    .mutation(async ({ ctx, input }) => {
      try {
        const [row] = await ctx.db
          .insert(prices)
          .values({
            modelPattern: input.modelPattern,
            validFrom: input.validFrom,
            inputPerMtok: money(input.inputPerMtok),
            cacheWrite5mPerMtok: money(input.cacheWrite5mPerMtok),
            cacheWrite1hPerMtok: money(input.cacheWrite1hPerMtok),
            cacheReadPerMtok: money(input.cacheReadPerMtok),
            outputPerMtok: money(input.outputPerMtok),
            note: input.note,
          })
          .returning();
        return row!;
      } catch (err) {
        if (isUniqueViolation(err))
          throw new AppError('CONFLICT', 'A price for this pattern already starts at that time.', {
            field: 'validFrom',
          });
        throw err;
      }
    }),
});
