/**
 * Team settings: provider credentials (encrypted at rest, shown as a
 * fingerprint), alert rules, and what claude-code tasks may do (tools and
 * permission mode; repositories are `repository.*`). The shared price table is `price.add`
 * (operators only).
 * Quotas and the monthly budget are `team.update`.
 */
import {
  CLAUDE_CODE_PERMISSION_MODES,
  CLAUDE_CODE_TOOL_LABELS,
  CLAUDE_CODE_TOOLS,
  DEFAULT_CLAUDE_CODE_TOOLS,
  DEFAULT_PERMISSION_MODE,
  isClaudeCodeTool,
  PERMISSION_MODE_LABELS,
  permissionModeOf,
  teamTools,
} from '@baton/core';
import { alertRules, providerCredentials, teams } from '@baton/db/schema';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { encryptSecret, fingerprintOf } from '../crypto';
import { AppError } from '../errors';
import { evaluateAlertRules, METRIC_LABELS } from '../live/alerts';
import { checkProviderKey } from '../provider-key';
import { createTRPCRouter, teamProcedure } from '../trpc';

const uuid = z.uuid('Not a valid id.');

export const ALERT_METRICS = [
  'cost_per_day_usd',
  'error_rate',
  'projected_block_tokens',
  'queue_depth',
  'rate_limit_remaining_ratio',
] as const;

export const saveCredentialInput = z.object({
  label: z.string().trim().min(1, 'Name this credential.').max(60, 'At most 60 characters.'),
  apiKey: z
    .string()
    .trim()
    .min(20, 'That does not look like an API key (too short).')
    .max(400, 'That does not look like an API key (too long).')
    .regex(/^\S+$/, 'An API key has no spaces.'),
});

export const createAlertRuleInput = z.object({
  name: z.string().trim().min(1, 'Name the rule.').max(80, 'At most 80 characters.'),
  metric: z.enum(ALERT_METRICS, 'Choose a metric.'),
  comparator: z.enum(['gt', 'lt'], 'Choose over or under.').default('gt'),
  threshold: z.number({ error: 'Enter a threshold.' }).finite().min(0, 'Use 0 or more.'),
  windowMinutes: z
    .number({ error: 'Enter a window in minutes.' })
    .int('Use whole minutes.')
    .min(5, 'At least 5 minutes.')
    .max(7 * 1440, 'At most 7 days.')
    .default(60),
});

export const setClaudeCodeInput = z.object({
  /** The tools claude-code tasks of the team may use (a task may narrow them). */
  tools: z
    .array(z.string({ error: 'Name a tool.' }).trim(), { error: 'Choose the tools.' })
    .min(1, 'Allow at least one tool.')
    .max(CLAUDE_CODE_TOOLS.length * 2, 'Too many tools.')
    .superRefine((list, c) => {
      const unknown = [...new Set(list.filter((t) => !isClaudeCodeTool(t)))];
      if (unknown.length)
        c.addIssue({
          code: 'custom',
          message: `Unknown tool${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (choose from ${CLAUDE_CODE_TOOLS.join(', ')}).`,
        });
    }),
  permissionMode: z.enum(CLAUDE_CODE_PERMISSION_MODES, 'Choose a permission mode.'),
});

/** A team's Claude Code policy and the choices the console offers. */
function claudeCodeSettings(team: {
  claudeCodeTools: string[] | null;
  claudeCodePermissionMode: string | null;
}) {
  return {
    tools: teamTools(team.claudeCodeTools) as string[],
    /** The team has not chosen its tools: Baton's default applies (and follows it). */
    isDefault: team.claudeCodeTools === null,
    permissionMode: permissionModeOf(team.claudeCodePermissionMode),
    choices: {
      tools: CLAUDE_CODE_TOOLS.map((id) => ({ id, label: CLAUDE_CODE_TOOL_LABELS[id] })),
      permissionModes: CLAUDE_CODE_PERMISSION_MODES.map((id) => ({
        id,
        label: PERMISSION_MODE_LABELS[id],
      })),
    },
    defaults: {
      tools: [...DEFAULT_CLAUDE_CODE_TOOLS] as string[],
      permissionMode: DEFAULT_PERMISSION_MODE,
    },
  };
}

export const settingsRouter = createTRPCRouter({
  /** What the team's claude-code tasks may use: tools, permission mode, and the choices. */
  claudeCode: teamProcedure('viewer').query(({ ctx }) => claudeCodeSettings(ctx.team)),

  /** Sets the team's tools and permission mode (admin or higher); tasks started afterwards use them. */
  setClaudeCode: teamProcedure('admin')
    .input(setClaudeCodeInput)
    .mutation(async ({ ctx, input }) => {
      const tools = teamTools(input.tools);
      const [row] = await ctx.db
        .update(teams)
        .set({
          claudeCodeTools: tools,
          claudeCodePermissionMode: input.permissionMode,
          updatedAt: sql`now()`,
        })
        .where(eq(teams.id, ctx.team.id))
        .returning({
          claudeCodeTools: teams.claudeCodeTools,
          claudeCodePermissionMode: teams.claudeCodePermissionMode,
        });
      return claudeCodeSettings(row!);
    }),

  credentials: teamProcedure('viewer').query(({ ctx }) =>
    ctx.db
      .select({
        id: providerCredentials.id,
        provider: providerCredentials.provider,
        label: providerCredentials.label,
        fingerprint: providerCredentials.fingerprint,
        createdAt: providerCredentials.createdAt,
        rotatedAt: providerCredentials.rotatedAt,
      })
      .from(providerCredentials)
      .where(eq(providerCredentials.teamId, ctx.team.id))
      .orderBy(asc(providerCredentials.label)),
  ),

  /**
   * Saves (or rotates, same label) an Anthropic API key once the provider accepted it (its free
   * model list, `checkProviderKey`): a refused key, or one that could not be checked, is a field
   * error on `apiKey` and nothing is stored. Returns only the fingerprint. Running tasks finish
   * on the key they started with; tasks started afterwards take the newest.
   */
  saveCredential: teamProcedure('admin')
    .input(saveCredentialInput)
    .mutation(async ({ ctx, input, signal }) => {
      if (!ctx.secret)
        throw new AppError('INTERNAL', 'BATON_SECRET is not configured on this server.');
      await checkProviderKey({ baseUrl: ctx.anthropicBaseUrl, apiKey: input.apiKey, signal });
      const fingerprint = fingerprintOf(input.apiKey);
      const aad = `${ctx.team.id}:anthropic:${input.label}`;
      const ciphertext = encryptSecret(ctx.secret, input.apiKey, aad);
      const [row] = await ctx.db
        .insert(providerCredentials)
        .values({
          teamId: ctx.team.id,
          provider: 'anthropic',
          label: input.label,
          ciphertext,
          fingerprint,
          createdBy: ctx.session.user.id,
        })
        .onConflictDoUpdate({
          target: [
            providerCredentials.teamId,
            providerCredentials.provider,
            providerCredentials.label,
          ],
          set: { ciphertext, fingerprint, rotatedAt: sql`now()` },
        })
        .returning({
          id: providerCredentials.id,
          label: providerCredentials.label,
          fingerprint: providerCredentials.fingerprint,
          rotatedAt: providerCredentials.rotatedAt,
        });
      return row!;
    }),

  deleteCredential: teamProcedure('admin')
    .input(z.object({ credentialId: uuid }))
    .mutation(async ({ ctx, input }) => {
      const gone = await ctx.db
        .delete(providerCredentials)
        .where(
          and(
            eq(providerCredentials.id, input.credentialId),
            eq(providerCredentials.teamId, ctx.team.id),
          ),
        )
        .returning({ id: providerCredentials.id });
      if (!gone.length)
        throw new AppError('NOT_FOUND', 'Credential not found.', { field: 'credentialId' });
      return { deleted: gone[0]!.id };
    }),

  alertRules: teamProcedure('viewer').query(async ({ ctx }) => {
    const rows = await ctx.db
      .select()
      .from(alertRules)
      .where(eq(alertRules.teamId, ctx.team.id))
      .orderBy(desc(alertRules.createdAt));
    return rows.map((r) => ({ ...r, metricLabel: METRIC_LABELS[r.metric] }));
  }),

  createAlertRule: teamProcedure('admin')
    .input(createAlertRuleInput)
    .mutation(async ({ ctx, input }) => {
      const [row] = await ctx.db
        .insert(alertRules)
        .values({
          teamId: ctx.team.id,
          name: input.name,
          metric: input.metric,
          comparator: input.comparator,
          threshold: String(input.threshold),
          windowMinutes: input.windowMinutes,
          createdBy: ctx.session.user.id,
        })
        .returning();
      // Evaluate at once so a rule that already fires shows without waiting for the background sweep.
      await evaluateAlertRules(ctx.db, ctx.team.id).catch(() => undefined);
      return row!;
    }),

  deleteAlertRule: teamProcedure('admin')
    .input(z.object({ ruleId: uuid }))
    .mutation(async ({ ctx, input }) => {
      const gone = await ctx.db
        .delete(alertRules)
        .where(and(eq(alertRules.id, input.ruleId), eq(alertRules.teamId, ctx.team.id)))
        .returning({ id: alertRules.id });
      if (!gone.length)
        throw new AppError('NOT_FOUND', 'Alert rule not found.', { field: 'ruleId' });
      return { deleted: gone[0]!.id };
    }),
});
