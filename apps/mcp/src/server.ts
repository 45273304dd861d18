/**
 * Baton's MCP server: the tools and resources one principal (a team's bearer token) sees. Every
 * tool is an adapter over a procedure of @baton/api, called with `createCaller` and `ctx.mcp` set
 * to the principal — the api authorizes each call (the team, a task token's tree), exactly as it
 * does the console's; nothing here reads the database.
 */
import {
  type AgentWaitEvent,
  coordinateAgentsInput,
  createCaller,
  createTRPCContext,
  isAppError,
  type McpPrincipal,
  sendInputInput,
  spawnAgentInput,
  waitAgentsInput,
} from '@baton/api';
import { type AgentRecord, isCoordinationError, WAIT_DEFAULT_MS, WAIT_MAX_MS } from '@baton/core';
import type { DbClient } from '@baton/db/client';
import type { PgBoss } from '@baton/db/queue';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import pkg from '../package.json' with { type: 'json' };

/** What every server of this process shares: the database client and the job queue. */
export interface McpServerDeps {
  client: Pick<DbClient, 'db' | 'pool'>;
  databaseUrl: string;
  /** The job queue (lazily started): spawning an agent queues a job. */
  boss: () => Promise<PgBoss>;
  /** An error no tool could explain (default: one line on stderr); never given a token. */
  onError?: (err: unknown, where: string) => void;
  /**
   * While `wait_agent` waits with nothing changing, a progress notification this often (default
   * 15 s), so a client that resets its request timeout on progress keeps waiting.
   */
  progressIntervalMs?: number;
}

export const WAIT_PROGRESS_INTERVAL_MS = 15_000;

export const TRANSCRIPT_URI_TEMPLATE = 'baton://tasks/{id}/transcript';

/** MCP's "resource not found" (the specification's -32002). */
const RESOURCE_NOT_FOUND = -32002;

const defaultOnError = (err: unknown, where: string) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`baton-mcp: ${where} failed: ${message}\n`);
};

// ─── Shapes of the tools' structured results ────────────────────────────────────────────────

const status = z
  .string()
  .describe(
    'The agent’s status, a task’s: queued, running, succeeded, failed, cancelled, timed_out, budget_exceeded',
  );
const usageShape = z.object({
  requests: z.number(),
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_write_tokens: z.number(),
  cache_read_tokens: z.number(),
});
const agentShape = z.object({
  agent_id: z.string(),
  parent_id: z.string().nullable(),
  root_id: z.string(),
  depth: z.number(),
  role: z.string().nullable(),
  title: z.string().nullable(),
  status,
  status_reason: z.string().nullable(),
  cost_usd: z.number(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
});
const waitedShape = z.object({
  agent_id: z.string(),
  status,
  status_reason: z.string().nullable(),
  result: z.string().optional().describe('The final answer, once the agent succeeded'),
});

type Usage = z.infer<typeof usageShape>;

function usageOf(a: AgentRecord['usage']): Usage {
  return {
    requests: a.requests,
    input_tokens: a.inputTokens,
    output_tokens: a.outputTokens,
    cache_write_tokens: a.cacheWriteTokens,
    cache_read_tokens: a.cacheReadTokens,
  };
}

function agentOf(a: AgentRecord): z.infer<typeof agentShape> {
  return {
    agent_id: a.agentId,
    parent_id: a.parentId,
    root_id: a.rootId,
    depth: a.depth,
    role: a.role,
    title: a.title,
    status: a.status,
    status_reason: a.statusReason,
    cost_usd: a.costUsd,
    created_at: a.createdAt.toISOString(),
    finished_at: a.finishedAt ? a.finishedAt.toISOString() : null,
  };
}

function waitedOf(a: AgentRecord): z.infer<typeof waitedShape> {
  return {
    agent_id: a.agentId,
    status: a.status,
    status_reason: a.statusReason,
    ...(a.result !== null ? { result: a.result } : {}),
  };
}

function ok<T extends Record<string, unknown>>(structured: T): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(structured) }],
    structuredContent: structured,
  };
}

// ─── Errors: what a caller is told ──────────────────────────────────────────────────────────

interface IssueLike {
  path: PropertyKey[];
  message: string;
}

function issuesOf(err: unknown): IssueLike[] | null {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const candidate = e as { name?: unknown; issues?: unknown; cause?: unknown };
    if (candidate.name === 'ZodError' && Array.isArray(candidate.issues))
      return candidate.issues as IssueLike[];
    e = candidate.cause;
  }
  return null;
}

/**
 * The message a refused call gives its caller: a field error names the field, a domain error
 * (AppError, CoordinationError) is its own message; anything else is an internal error, reported
 * through `onError` and told as such (its details stay in the server's log).
 */
export function explainError(err: unknown, report: (err: unknown) => void): string {
  const issues = issuesOf(err);
  if (issues && issues.length > 0) {
    return issues
      .map((i) => (i.path.length > 0 ? `${i.path.map(String).join('.')}: ${i.message}` : i.message))
      .join('\n');
  }
  const e = err as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const cause = e?.name === 'TRPCError' ? e.cause : err;
  if (isAppError(cause) || isCoordinationError(cause)) {
    const field = (cause as { meta?: { field?: unknown } }).meta?.field;
    return typeof field === 'string' && !cause.message.includes(field)
      ? `${field}: ${cause.message}`
      : cause.message;
  }
  if (
    e?.name === 'TRPCError' &&
    e.code !== 'INTERNAL_SERVER_ERROR' &&
    typeof e.message === 'string'
  )
    return e.message;
  report(err);
  return 'Baton could not do that: an internal error (the server’s log has the details).';
}

// ─── The server ─────────────────────────────────────────────────────────────────────────────

/**
 * An MCP server acting as `principal`. One per connection (stdio) or per request (stateless
 * Streamable HTTP): it holds no state of its own.
 */
export function createMcpServer(principal: McpPrincipal, deps: McpServerDeps): McpServer {
  const onError = deps.onError ?? defaultOnError;
  const server = new McpServer(
    { name: 'baton', title: 'Baton', version: pkg.version },
    {
      capabilities: { tools: {}, resources: {} },
      instructions:
        'Baton runs agents as real tasks on its queue, inside the budget and limits of their tree. ' +
        'spawn_agent returns an agent_id at once (the agent is queued); wait_agent blocks until the ' +
        `agents finish or its timeout passes (default ${WAIT_DEFAULT_MS} ms, at most ${WAIT_MAX_MS} ms); ` +
        'get_result gives the answer, usage and cost. Transcripts are resources: baton://tasks/{id}/transcript.',
    },
  );

  const api = async (signal?: AbortSignal) =>
    createCaller(
      await createTRPCContext({
        headers: new Headers(),
        client: deps.client,
        databaseUrl: deps.databaseUrl,
        session: null,
        mcp: principal,
        boss: deps.boss,
      }),
      signal ? { signal } : {},
    );

  /** Runs a tool body; a refusal becomes a tool error (isError) with a message, never a crash. */
  const tool =
    <A>(name: string, body: (args: A, extra: ToolExtra) => Promise<CallToolResult>) =>
    async (args: A, extra: ToolExtra): Promise<CallToolResult> => {
      try {
        return await body(args, extra);
      } catch (err) {
        return {
          content: [{ type: 'text', text: explainError(err, (e) => onError(e, name)) }],
          isError: true,
        };
      }
    };

  const agentIdArg = sendInputInput.shape.agent_id.describe('The agent’s id (from spawn_agent)');

  server.registerTool(
    'spawn_agent',
    {
      title: 'Spawn an agent',
      description:
        'Queues an agent: a Baton task with these instructions, under parent_id (or the calling ' +
        'task, for a task’s own token) and inside its tree’s limits and budget. Returns at once ' +
        'with its agent_id; use wait_agent for its result.',
      inputSchema: {
        task: spawnAgentInput.shape.task.describe('The agent’s instructions (its prompt)'),
        role: spawnAgentInput.shape.role.describe('A short role, e.g. "researcher"'),
        backend: spawnAgentInput.shape.backend.describe(
          'api or claude-code (default: the parent’s, else api)',
        ),
        model: spawnAgentInput.shape.model.describe('A model id (default: the team’s)'),
        budget_usd: spawnAgentInput.shape.budget_usd.describe(
          'This agent’s own budget in USD (never more than what is left of its tree’s)',
        ),
        parent_id: spawnAgentInput.shape.parent_id.describe('The parent agent’s id'),
      },
      outputSchema: {
        agent_id: z.string(),
        status,
        root_id: z.string(),
        depth: z.number(),
      },
    },
    tool('spawn_agent', async (args, extra) => {
      const spawned = await (await api(extra.signal)).agent.spawn(args);
      return ok({
        agent_id: spawned.agentId,
        status: spawned.status,
        root_id: spawned.rootId,
        depth: spawned.depth,
      });
    }),
  );

  server.registerTool(
    'send_input',
    {
      title: 'Send input to an agent',
      description:
        'Gives an agent a message: its next turn takes it; an agent that has finished is queued again to continue its conversation.',
      inputSchema: {
        agent_id: agentIdArg,
        message: sendInputInput.shape.message.describe('The message'),
      },
      outputSchema: { agent_id: z.string(), status },
    },
    tool('send_input', async (args, extra) => {
      const agent = await (await api(extra.signal)).agent.sendInput(args);
      return ok({ agent_id: agent.agentId, status: agent.status });
    }),
  );

  server.registerTool(
    'wait_agent',
    {
      title: 'Wait for agents',
      description:
        'Returns when every listed agent is done or timeout_ms passes, whichever is first — never ' +
        `hangs (default ${WAIT_DEFAULT_MS} ms, at most ${WAIT_MAX_MS} ms). Sends progress ` +
        'notifications as agents change status, and every 15 s while nothing does, when the ' +
        'request carries a progressToken.',
      inputSchema: {
        agent_ids: waitAgentsInput.shape.agent_ids.describe('The agents to wait for (1 to 50)'),
        timeout_ms: waitAgentsInput.shape.timeout_ms.describe(
          `How long to wait at most, in ms (≤ ${WAIT_MAX_MS})`,
        ),
      },
      outputSchema: {
        agents: z.array(waitedShape),
        timed_out: z.boolean().describe('True when the timeout passed before all were done'),
      },
    },
    tool('wait_agent', async (args, extra) => {
      const progressToken = extra._meta?.progressToken;
      const started = Date.now();
      let progress = 0;
      let latest = `0 of ${args.agent_ids.length} done`;
      const notify = (message: string) => {
        if (progressToken === undefined) return;
        progress += 1;
        extra
          .sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, message },
          })
          .catch((err: unknown) => onError(err, 'wait_agent progress'));
      };
      const heartbeat =
        progressToken === undefined
          ? undefined
          : setInterval(
              () => notify(`${latest}; waiting (${Math.round((Date.now() - started) / 1000)} s)`),
              deps.progressIntervalMs ?? WAIT_PROGRESS_INTERVAL_MS,
            );
      try {
        const events: AsyncIterable<AgentWaitEvent> = await (await api(extra.signal)).agent.wait(
          args,
        );
        for await (const event of events) {
          if (event.kind === 'done') {
            return ok({ agents: event.agents.map(waitedOf), timed_out: event.timedOut });
          }
          const done = event.agents.filter((a) => a.finishedAt !== null).length;
          latest = `${done} of ${event.agents.length} done: ${event.agents
            .map((a) => `${a.agentId} ${a.status}`)
            .join(', ')}`;
          notify(latest);
        }
        throw new Error('The wait ended without an outcome.');
      } finally {
        clearInterval(heartbeat);
      }
    }),
  );

  server.registerTool(
    'list_agents',
    {
      title: 'List agents',
      description:
        'The agents this token may see (a task’s token: its tree), newest first; root_id narrows to one tree.',
      inputSchema: {
        root_id: z
          .uuid('Not a valid tree (root agent) id.')
          .optional()
          .describe('A tree’s root agent id'),
      },
      outputSchema: { agents: z.array(agentShape) },
    },
    tool('list_agents', async (args, extra) => {
      const agents = await (await api(extra.signal)).agent.list(args);
      return ok({ agents: agents.map(agentOf) });
    }),
  );

  server.registerTool(
    'agent_status',
    {
      title: 'An agent’s status',
      description:
        'One agent: status and why, role, depth, usage, cost, and proof that it ran (its session, its provider request ids).',
      inputSchema: { agent_id: agentIdArg },
      outputSchema: {
        ...agentShape.shape,
        usage: usageShape,
        proof: z.object({
          session_id: z.string().nullable(),
          request_ids: z.array(z.string()),
          no_model_call: z.boolean().describe('True when the agent ended without one model call'),
        }),
      },
    },
    tool('agent_status', async (args, extra) => {
      const agent = await (await api(extra.signal)).agent.status(args);
      return ok({
        ...agentOf(agent),
        usage: usageOf(agent.usage),
        proof: {
          session_id: agent.proof.sessionId,
          request_ids: agent.proof.requestIds,
          no_model_call: agent.proof.noModelCall,
        },
      });
    }),
  );

  server.registerTool(
    'get_result',
    {
      title: 'An agent’s result',
      description: 'An agent’s status, its final answer (null until it succeeded), usage and cost.',
      inputSchema: { agent_id: agentIdArg },
      outputSchema: {
        status,
        status_reason: z.string().nullable(),
        result: z.string().nullable(),
        usage: usageShape,
        cost_usd: z.number(),
      },
    },
    tool('get_result', async (args, extra) => {
      const r = await (await api(extra.signal)).agent.result(args);
      return ok({
        status: r.status,
        status_reason: r.statusReason,
        result: r.result,
        usage: usageOf(r.usage),
        cost_usd: r.costUsd,
      });
    }),
  );

  server.registerTool(
    'cancel_agent',
    {
      title: 'Cancel an agent',
      description: 'Cancels an agent and all its descendants.',
      inputSchema: { agent_id: agentIdArg },
      outputSchema: {
        agent_id: z.string(),
        cancelled: z.number().describe('How many agents were asked to stop'),
      },
    },
    tool('cancel_agent', async (args, extra) => {
      const r = await (await api(extra.signal)).agent.cancel(args);
      return ok({ agent_id: args.agent_id, cancelled: r.cancelled });
    }),
  );

  server.registerTool(
    'coordinate_agents',
    {
      title: 'Run a team of agents',
      description:
        'Starts a whole multi-agent run from one call: hierarchical (the agents work, then a ' +
        'synthesiser combines their results) or mesh (peers exchange findings on a shared board, ' +
        'round by round, until the goal is met, they vote done or max_rounds is reached). Every ' +
        'agent is a Baton task of one tree whose budget is budget_usd. Returns the root agent at ' +
        'once; wait_agent on it gives the run’s result.',
      inputSchema: {
        goal: coordinateAgentsInput.shape.goal.describe('What the run is for'),
        strategy: coordinateAgentsInput.shape.strategy.describe('hierarchical or mesh'),
        agents: coordinateAgentsInput.shape.agents.describe('The agents: [{role, instructions}]'),
        budget_usd: coordinateAgentsInput.shape.budget_usd.describe(
          'The whole run’s budget in USD (a hard limit)',
        ),
        max_rounds: coordinateAgentsInput.shape.max_rounds.describe(
          'Mesh: at most this many rounds',
        ),
        model: coordinateAgentsInput.shape.model.describe(
          'The agents’ model (default: the team’s)',
        ),
      },
      outputSchema: {
        root_id: z.string(),
        status: z.string(),
        strategy: z.string(),
        max_agents: z.number(),
        max_rounds: z.number().nullable(),
      },
    },
    tool('coordinate_agents', async (args, extra) => {
      const r = await (await api(extra.signal)).agent.coordinate(args);
      return ok({
        root_id: r.root_id,
        status: r.status,
        strategy: r.strategy,
        max_agents: r.limits.maxAgents,
        max_rounds: r.max_rounds,
      });
    }),
  );

  server.registerResource(
    'task-transcript',
    new ResourceTemplate(TRANSCRIPT_URI_TEMPLATE, {
      list: async (extra) => {
        const agents = await (await api(extra.signal)).agent.list({});
        return {
          resources: agents.map((a) => ({
            uri: `baton://tasks/${a.agentId}/transcript`,
            name: `${a.title ?? a.role ?? 'agent'} ${a.agentId}`,
            mimeType: 'application/json',
          })),
        };
      },
    }),
    {
      title: 'Task transcript',
      description: 'A task’s (an agent’s) events in order, with the agent’s status.',
      mimeType: 'application/json',
    },
    async (uri, variables, extra) => {
      const id = String(variables.id);
      try {
        const { agent, events } = await (await api(extra.signal)).agent.transcript({
          agent_id: id,
        });
        return {
          contents: [
            {
              uri: uri.href,
              mimeType: 'application/json',
              text: JSON.stringify({
                agent: agentOf(agent),
                events: events.map((e) => ({
                  seq: e.seq,
                  attempt: e.attempt,
                  type: e.type,
                  data: e.data,
                  created_at: e.createdAt.toISOString(),
                })),
              }),
            },
          ],
        };
      } catch (err) {
        const message = explainError(err, (e) => onError(e, 'task transcript'));
        const code = (err as { code?: unknown }).code;
        throw new McpError(
          code === 'NOT_FOUND' || code === 'BAD_REQUEST'
            ? RESOURCE_NOT_FOUND
            : ErrorCode.InternalError,
          message,
          { uri: uri.href },
        );
      }
    },
  );

  return server;
}

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;
