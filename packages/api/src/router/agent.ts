/**
 * Agents: tasks spawned into trees and driven through core's `TaskQueue` (`createPgTaskQueue`),
 * the procedures behind Baton's MCP tools and the console's tree view. Each is open to a signed-in
 * member of the team (`teamId` in the input) or to an MCP principal (`ctx.mcp`, a team's bearer
 * token: the team is the token's, and a `teamId` given must be that one). A token minted for a
 * task acts only inside that task's tree: the queue is built for that scope and refuses anything
 * outside it as not found. Inputs take the MCP tools' shapes (`agent_id`, `timeout_ms`, …), so
 * the MCP adapter passes its arguments through unchanged.
 */
import {
  type AgentRecord,
  isCoordinationError,
  type TaskQueue,
  treeLimitsFromConfig,
  WAIT_MAX_MS,
} from '@baton/core';
import { BACKENDS, taskEvents } from '@baton/db/schema';
import { and, asc, eq, gt } from 'drizzle-orm';
import { z } from 'zod';
import { startCoordination } from '../agents/coordinate';
import { coordinationAsAppError } from '../agents/errors';
import { type AgentScope, createPgTaskQueue } from '../agents/pg-task-queue';
import { AppError } from '../errors';
import { createTRPCRouter, publicProcedure, requireTeamRole } from '../trpc';

const agentId = z.uuid('Not a valid agent id.');
const rootId = z.uuid('Not a valid tree (root agent) id.');

/** The team: required of a signed-in user, optional for an MCP principal (it must be the token's). */
const agentTeamInput = z.object({ teamId: z.uuid('Not a valid team id.').optional() });

export const spawnAgentInput = z.object({
  task: z
    .string('Give the agent a task.')
    .trim()
    .min(1, 'Give the agent a task.')
    .max(100_000, 'Keep the task to 100,000 characters.'),
  role: z
    .string()
    .trim()
    .min(1, 'A role is a word or two.')
    .max(100, 'Keep the role to 100 characters.')
    .optional(),
  title: z.string().trim().min(1).max(200, 'Keep the title to 200 characters.').optional(),
  backend: z.enum(BACKENDS, `The backend is one of ${BACKENDS.join(', ')}.`).optional(),
  model: z.string().trim().min(1, 'Enter a model id.').max(200, 'Not a model id.').optional(),
  budget_usd: z
    .number('A budget is an amount of USD.')
    .positive('A budget is a positive amount of USD.')
    .min(0.000001, 'A budget is at least $0.000001.')
    .max(1_000_000, 'A budget is at most 1,000,000 USD.')
    .optional(),
  parent_id: agentId.optional(),
});

export const sendInputInput = z.object({
  agent_id: agentId,
  message: z
    .string('Write a message.')
    .min(1, 'Write a message.')
    .max(100_000, 'Keep the message to 100,000 characters.'),
});

export const waitAgentsInput = z.object({
  agent_ids: z
    .array(agentId, 'List the agents to wait for.')
    .min(1, 'List at least one agent.')
    .max(50, 'Wait for at most 50 agents at once.'),
  timeout_ms: z
    .number('A timeout is a number of milliseconds.')
    .int('A timeout is a whole number of milliseconds.')
    .min(0, 'A timeout cannot be negative.')
    .max(WAIT_MAX_MS, `A timeout is at most ${WAIT_MAX_MS} ms (10 minutes).`)
    .optional(),
});

const agentIdInput = z.object({ agent_id: agentId });

export const coordinateAgentsInput = z.object({
  goal: z
    .string('Say what the run is for.')
    .trim()
    .min(1, 'Say what the run is for.')
    .max(20_000, 'Keep the goal to 20,000 characters.'),
  strategy: z.enum(['hierarchical', 'mesh'], 'The strategy is hierarchical or mesh.'),
  agents: z
    .array(
      z.object({
        role: z
          .string('Give each agent a role.')
          .trim()
          .min(1, 'Give each agent a role.')
          .max(100, 'Keep a role to 100 characters.'),
        instructions: z
          .string('Give each agent instructions.')
          .trim()
          .min(1, 'Give each agent instructions.')
          .max(50_000, 'Keep instructions to 50,000 characters.'),
      }),
      'List the agents.',
    )
    .min(1, 'List at least one agent.')
    .max(50, 'At most 50 agents.'),
  budget_usd: z
    .number('A run needs a budget in USD.')
    .positive('A budget is a positive amount of USD.')
    // Stored with 6 decimals: less would be $0, which the tree refuses.
    .min(0.000001, 'A budget is at least $0.000001.')
    .max(1_000_000, 'A budget is at most 1,000,000 USD.'),
  max_rounds: z
    .number('Rounds are a whole number.')
    .int('Rounds are a whole number.')
    .min(1, 'At least one round.')
    .max(50, 'At most 50 rounds.')
    .optional(),
  model: z.string().trim().min(1, 'Enter a model id.').max(200, 'Not a model id.').optional(),
});

/** A wait's news: the agents as they are now, then (last) the outcome. */
export type AgentWaitEvent =
  | { kind: 'progress'; agents: AgentRecord[] }
  | { kind: 'done'; agents: AgentRecord[]; timedOut: boolean };

/**
 * A CoordinationError as the AppError it stands for (anything else unchanged) — for errors met
 * while a subscription is iterated, which the procedures' error middleware never sees.
 */
function domain(err: unknown): unknown {
  return isCoordinationError(err) ? coordinationAsAppError(err) : err;
}

/**
 * Who acts, and in which team: an MCP principal (acting as a member) or a signed-in user of at
 * least `minimum`. Puts `ctx.agents` (the queue for that scope) and `ctx.scope` in the context.
 */
function agentProcedure(minimum: 'viewer' | 'member') {
  return publicProcedure.input(agentTeamInput).use(async ({ ctx, input, next }) => {
    let scope: AgentScope;
    if (ctx.mcp) {
      if (input.teamId !== undefined && input.teamId !== ctx.mcp.teamId) {
        throw new AppError('FORBIDDEN', 'This token acts for another team.', {
          field: 'teamId',
        });
      }
      scope = {
        teamId: ctx.mcp.teamId,
        userId: ctx.mcp.userId,
        rootTaskId: ctx.mcp.rootTaskId,
        taskId: ctx.mcp.taskId,
      };
    } else {
      if (!ctx.session) throw new AppError('UNAUTHORIZED', 'Sign in to continue.');
      if (input.teamId === undefined) {
        throw new AppError('BAD_REQUEST', 'Say which team.', { field: 'teamId' });
      }
      await requireTeamRole(ctx.db, ctx.session.user.id, input.teamId, minimum);
      scope = { teamId: input.teamId, userId: ctx.session.user.id };
    }
    // A new tree's limits: the configuration's multi_agent section over core's defaults.
    const agents: TaskQueue = createPgTaskQueue(
      { db: ctx.db, pool: ctx.pool, boss: ctx.boss },
      scope,
      { limits: treeLimitsFromConfig(ctx.config.multi_agent), config: ctx.config },
    );
    return next({ ctx: { agents, scope } });
  });
}

/** Who cancelled, for the agent's status reason. */
function cancelledBy(ctx: {
  mcp: { tokenId: string } | null;
  session: { user: { name: string } } | null;
}) {
  return ctx.mcp
    ? 'cancelled through Baton’s MCP server'
    : `cancelled by ${ctx.session?.user.name ?? 'a member'}`;
}

export const agentRouter = createTRPCRouter({
  /** Queues an agent (a task), under `parent_id` when given; a durable handle: `agentId`. */
  spawn: agentProcedure('member')
    .input(spawnAgentInput)
    .mutation(({ ctx, input, signal }) => {
      if (!ctx.config.multi_agent.enabled)
        throw new AppError(
          'FORBIDDEN',
          'Multi-agent runs are turned off on this instance (multi_agent.enabled in its configuration).',
        );
      return ctx.agents.spawn(
        {
          task: input.task,
          ...(input.role !== undefined ? { role: input.role } : {}),
          ...(input.title !== undefined ? { title: input.title } : {}),
          ...(input.backend !== undefined ? { backend: input.backend } : {}),
          ...(input.model !== undefined ? { model: input.model } : {}),
          ...(input.budget_usd !== undefined ? { budgetUsd: input.budget_usd } : {}),
          ...(input.parent_id !== undefined ? { parentId: input.parent_id } : {}),
        },
        signal,
      );
    }),

  /** Gives an agent a message (its next turn takes it; a finished agent continues). */
  sendInput: agentProcedure('member')
    .input(sendInputInput)
    .mutation(({ ctx, input, signal }) =>
      ctx.agents.sendInput(input.agent_id, input.message, signal),
    ),

  /**
   * Waits for agents — until all are done or `timeout_ms` passes (at most 10 minutes), never
   * longer: yields `progress` while waiting (the queue's `onProgress`: MCP progress
   * notifications), then one `done` and ends.
   */
  wait: agentProcedure('viewer')
    .input(waitAgentsInput)
    .subscription(async function* ({ ctx, input, signal }): AsyncGenerator<AgentWaitEvent> {
      const stop = new AbortController();
      const onAbort = () => stop.abort(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const pending: AgentRecord[][] = [];
      const state: {
        outcome?: { agents: AgentRecord[]; timedOut: boolean };
        error?: unknown;
        settled: boolean;
        wake: (() => void) | null;
      } = { settled: false, wake: null };
      ctx.agents
        .wait(input.agent_ids, {
          ...(input.timeout_ms !== undefined ? { timeoutMs: input.timeout_ms } : {}),
          signal: stop.signal,
          onProgress: (agents) => {
            pending.push(agents);
            state.wake?.();
          },
        })
        .then(
          (outcome) => {
            state.outcome = outcome;
          },
          (err: unknown) => {
            state.error = err;
          },
        )
        .finally(() => {
          state.settled = true;
          state.wake?.();
        });
      try {
        for (;;) {
          while (pending.length > 0) yield { kind: 'progress', agents: pending.shift()! };
          if (state.settled) break;
          await new Promise<void>((resolve) => {
            state.wake = resolve;
          });
          state.wake = null;
        }
        if (state.error !== undefined || !state.outcome) throw domain(state.error);
        yield { kind: 'done', agents: state.outcome.agents, timedOut: state.outcome.timedOut };
      } finally {
        signal?.removeEventListener('abort', onAbort);
        stop.abort();
      }
    }),

  /** The agents of one tree (`root_id`), or of every tree the caller may see, newest first. */
  list: agentProcedure('viewer')
    .input(z.object({ root_id: rootId.optional() }))
    .query(({ ctx, input, signal }) =>
      ctx.agents.list({ ...(input.root_id ? { rootId: input.root_id } : {}), signal }),
    ),

  /** One agent: status, role, usage, cost, proof that it ran. */
  status: agentProcedure('viewer')
    .input(agentIdInput)
    .query(({ ctx, input, signal }) => ctx.agents.get(input.agent_id, signal)),

  /** An agent's outcome: its status, final answer (once succeeded), usage and cost. */
  result: agentProcedure('viewer')
    .input(agentIdInput)
    .query(async ({ ctx, input, signal }) => {
      const agent = await ctx.agents.get(input.agent_id, signal);
      return {
        status: agent.status,
        statusReason: agent.statusReason,
        result: agent.result,
        usage: agent.usage,
        costUsd: agent.costUsd,
      };
    }),

  /** Cancels an agent and its descendants. */
  cancel: agentProcedure('member')
    .input(
      agentIdInput.extend({
        reason: z.string().trim().min(1).max(500, 'Keep the reason to 500 characters.').optional(),
      }),
    )
    .mutation(({ ctx, input, signal }) =>
      ctx.agents.cancel(input.agent_id, input.reason ?? cancelledBy(ctx), signal),
    ),

  /** A tree: strategy, limits, budget and spend so far, status. */
  tree: agentProcedure('viewer')
    .input(z.object({ root_id: rootId }))
    .query(({ ctx, input, signal }) => ctx.agents.tree(input.root_id, signal)),

  /**
   * Starts a whole run from one call: a root task that the worker runs as core's coordinator
   * (hierarchical: the agents, then a synthesiser; mesh: peers over the board, round by round),
   * its tree's budget `budget_usd`. A task's own token runs agents inside its tree (spawn_agent),
   * never a new tree beside it.
   */
  coordinate: agentProcedure('member')
    .input(coordinateAgentsInput)
    .mutation(({ ctx, input, signal }) => {
      if (!ctx.config.multi_agent.enabled)
        throw new AppError(
          'FORBIDDEN',
          'Multi-agent runs are turned off on this instance (multi_agent.enabled in its configuration).',
        );
      if (ctx.scope.rootTaskId)
        throw new AppError(
          'FORBIDDEN',
          'A task’s token acts inside its own tree: spawn its agents with spawn_agent.',
        );
      return startCoordination(
        { db: ctx.db, pool: ctx.pool, boss: ctx.boss },
        ctx.scope,
        {
          goal: input.goal,
          strategy: input.strategy,
          agents: input.agents,
          budgetUsd: input.budget_usd,
          ...(input.max_rounds !== undefined ? { maxRounds: input.max_rounds } : {}),
          ...(input.model !== undefined ? { model: input.model } : {}),
        },
        { limits: treeLimitsFromConfig(ctx.config.multi_agent), config: ctx.config, signal },
      );
    }),

  /** A mesh tree's board, oldest first (after `after_id`). */
  board: agentProcedure('viewer')
    .input(
      z.object({
        root_id: rootId,
        after_id: z.number().int().min(0, 'Not a valid post id.').optional(),
      }),
    )
    .query(({ ctx, input, signal }) =>
      ctx.agents.board(input.root_id, {
        ...(input.after_id !== undefined ? { afterId: input.after_id } : {}),
        signal,
      }),
    ),

  /**
   * An agent's transcript: its task's events in order (after `after_seq`), read once the queue
   * has shown the agent is the caller's to see (the team's, and inside a task token's tree).
   */
  transcript: agentProcedure('viewer')
    .input(
      agentIdInput.extend({
        after_seq: z
          .number()
          .int()
          .min(0, 'Not a valid event number.')
          .max(2_147_483_647)
          .optional(),
        limit: z.number().int().min(1).max(1000).default(500),
      }),
    )
    .query(async ({ ctx, input, signal }) => {
      const agent = await ctx.agents.get(input.agent_id, signal);
      const events = await ctx.db
        .select({
          seq: taskEvents.seq,
          attempt: taskEvents.attempt,
          type: taskEvents.type,
          data: taskEvents.data,
          createdAt: taskEvents.createdAt,
        })
        .from(taskEvents)
        .where(and(eq(taskEvents.taskId, agent.agentId), gt(taskEvents.seq, input.after_seq ?? 0)))
        .orderBy(asc(taskEvents.seq))
        .limit(input.limit);
      return { agent, events };
    }),
});
