/**
 * A `TaskQueue` kept in memory, for repositories without PostgreSQL: agents are run in this
 * process by a `run(agent)` function of the caller's (a model call, a script, anything), under
 * the same rules as Baton's PostgreSQL queue — tree limits checked at spawn, agents past the
 * tree's `maxConcurrent` wait for a slot, a tree's budget (USD and tokens) charged with what
 * each run reports and, once spent, stopping the tree (`budget_exceeded`) and aborting its running
 * agents; cancelling an agent cancels its descendants; the root's end ends its tree.
 *
 * Nothing is persisted: the queue lives as long as the object.
 */
import { CoordinationError, resolveTreeLimits, WAIT_DEFAULT_MS, WAIT_MAX_MS } from './limits.js';
import {
  type AgentRecord,
  type AgentStatus,
  type BoardPost,
  type BoardPostKind,
  type CoordinationStrategy,
  isTerminalAgentStatus,
  type SpawnRequest,
  type SpawnResult,
  type TaskQueue,
  type TreeLimits,
  type TreeState,
  type WaitOptions,
} from './task-queue.js';

/** One run of an agent, as `run` is given it. */
export interface MemoryAgentRun {
  agentId: string;
  rootId: string;
  parentId: string | null;
  depth: number;
  role: string | null;
  /** The agent's instructions. */
  task: string;
  /** Messages given with `sendInput` so far, oldest first (a continued run sees them all). */
  inputs: string[];
  /** Which run of this agent this is (1, then one more per continuation). */
  turn: number;
  /** Aborted when the agent is cancelled or its tree's budget is spent. */
  signal: AbortSignal;
  /** Charges usage to the agent and its tree as it happens (a run may also return it at the end). */
  charge(usage: MemoryRunUsage): void;
}

export interface MemoryRunUsage {
  costUsd?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** The provider's id of the request, kept as the agent's proof of running. */
  requestId?: string;
}

/** What `run` returns: the agent's answer, or the answer with the usage of its last requests. */
export type MemoryRunOutcome = string | ({ result: string } & MemoryRunUsage);

export interface MemoryTaskQueueOptions {
  run(agent: MemoryAgentRun): Promise<MemoryRunOutcome>;
  /** Limits of a tree created by a spawn without a tree (over DEFAULT_TREE_LIMITS). */
  limits?: Partial<TreeLimits>;
  /** Ids of new agents (default: crypto.randomUUID). */
  newId?: () => string;
}

interface Agent {
  id: string;
  parentId: string | null;
  rootId: string;
  depth: number;
  role: string | null;
  title: string | null;
  task: string;
  inputs: string[];
  turns: number;
  status: AgentStatus;
  statusReason: string | null;
  result: string | null;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  requestIds: string[];
  createdAt: Date;
  finishedAt: Date | null;
  controller: AbortController | null;
}

interface Tree {
  rootId: string;
  strategy: CoordinationStrategy;
  goal: string | null;
  limits: TreeLimits;
  maxRounds: number | null;
  agents: number;
  spentUsd: number;
  spentTokens: number;
  status: TreeState['status'];
  stopReason: string | null;
  board: BoardPost[];
}

class Stop extends Error {
  constructor(
    readonly status: AgentStatus,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const notFound = (field: string, what = 'Agent') =>
  new CoordinationError('NOT_FOUND', `${what} not found.`, { field });

export function createMemoryTaskQueue(options: MemoryTaskQueueOptions): TaskQueue {
  const agents = new Map<string, Agent>();
  const trees = new Map<string, Tree>();
  const watchers = new Set<() => void>();
  const newId = options.newId ?? (() => globalThis.crypto.randomUUID());
  let nextPost = 1;

  const changed = () => {
    for (const w of [...watchers]) w();
  };
  const agentOf = (id: string, field = 'agentId') => {
    const a = typeof id === 'string' ? agents.get(id) : undefined;
    if (!a) throw notFound(field);
    return a;
  };
  const treeOf = (rootId: string) => {
    const t = typeof rootId === 'string' ? trees.get(rootId) : undefined;
    if (!t) throw notFound('rootId', 'Tree');
    return t;
  };
  const record = (a: Agent): AgentRecord => ({
    agentId: a.id,
    parentId: a.parentId,
    rootId: a.rootId,
    depth: a.depth,
    role: a.role,
    title: a.title,
    status: a.status,
    statusReason: a.statusReason,
    result: a.status === 'succeeded' ? a.result : null,
    usage: {
      requests: a.requests,
      inputTokens: a.inputTokens,
      outputTokens: a.outputTokens,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
    },
    costUsd: a.costUsd,
    proof: {
      sessionId: a.requests > 0 ? `memory:${a.id}` : null,
      requestIds: [...a.requestIds],
      noModelCall: isTerminalAgentStatus(a.status) && a.requests === 0,
    },
    createdAt: a.createdAt,
    finishedAt: a.finishedAt,
  });
  const treeState = (t: Tree): TreeState => ({
    rootId: t.rootId,
    strategy: t.strategy,
    goal: t.goal,
    limits: { ...t.limits },
    maxRounds: t.maxRounds,
    agents: t.agents,
    spentUsd: t.spentUsd,
    spentTokens: t.spentTokens,
    status: t.status,
    stopReason: t.stopReason,
  });
  const stoppedRefusal = (t: Tree) =>
    t.status === 'running'
      ? null
      : new CoordinationError(
          'TREE_STOPPED',
          `The tree is ${t.status.replace('_', ' ')}${t.stopReason ? ` (${t.stopReason})` : ''}: it takes no new work.`,
          { rootId: t.rootId, status: t.status, stopReason: t.stopReason },
        );
  const budgetSpent = (t: Tree) =>
    (t.limits.budgetUsd !== null && t.spentUsd >= t.limits.budgetUsd) ||
    (t.limits.budgetTokens !== null && t.spentTokens >= t.limits.budgetTokens);
  const treeAgents = (rootId: string) => [...agents.values()].filter((a) => a.rootId === rootId);

  function finish(a: Agent, status: AgentStatus, reason: string | null, result: string | null) {
    if (isTerminalAgentStatus(a.status)) return;
    a.status = status;
    a.statusReason = reason;
    a.result = result;
    a.finishedAt = new Date();
    a.controller = null;
    const t = trees.get(a.rootId);
    if (t && a.id === t.rootId && t.status === 'running') {
      // The root's end ends its tree, and whatever still runs in it.
      t.status =
        status === 'succeeded' || status === 'cancelled' || status === 'budget_exceeded'
          ? status
          : 'failed';
      t.stopReason = reason ?? `the root ${status.replace('_', ' ')}`;
      for (const other of treeAgents(t.rootId)) stopAgent(other, 'cancelled', 'the root ended');
    }
    changed();
    pump();
  }

  function stopAgent(a: Agent, status: AgentStatus, reason: string) {
    if (isTerminalAgentStatus(a.status)) return;
    // The run is told to stop; the agent ends now (what its run still returns is dropped).
    a.controller?.abort(new Stop(status, reason));
    finish(a, status, reason, null);
  }

  function charge(a: Agent, u: MemoryRunUsage) {
    const cost = u.costUsd ?? 0;
    const tokens = (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
    if (!(cost >= 0) || !(tokens >= 0)) throw new RangeError('Usage is never negative.');
    a.requests++;
    a.costUsd += cost;
    a.inputTokens += u.inputTokens ?? 0;
    a.outputTokens += u.outputTokens ?? 0;
    if (u.requestId) a.requestIds.push(u.requestId);
    const t = trees.get(a.rootId);
    if (!t) return;
    t.spentUsd += cost;
    t.spentTokens += tokens;
    if (t.status === 'running' && budgetSpent(t)) {
      t.status = 'budget_exceeded';
      t.stopReason = "the tree's budget is spent";
      for (const other of treeAgents(t.rootId))
        stopAgent(other, 'budget_exceeded', "stopped: the agent tree's budget is spent");
    }
  }

  /** Starts queued agents while their trees have room, oldest first. */
  function pump() {
    for (const a of agents.values()) {
      if (a.status !== 'queued') continue;
      const t = trees.get(a.rootId);
      if (t) {
        const refusal = stoppedRefusal(t);
        if (refusal) {
          finish(
            a,
            t.status === 'budget_exceeded' ? 'budget_exceeded' : 'cancelled',
            refusal.message,
            null,
          );
          continue;
        }
        const running = treeAgents(t.rootId).filter((x) => x.status === 'running').length;
        if (running >= t.limits.maxConcurrent) continue;
      }
      start(a);
    }
  }

  function start(a: Agent) {
    const controller = new AbortController();
    a.controller = controller;
    a.status = 'running';
    a.statusReason = null;
    a.turns++;
    const turn = a.turns;
    changed();
    const run: MemoryAgentRun = {
      agentId: a.id,
      rootId: a.rootId,
      parentId: a.parentId,
      depth: a.depth,
      role: a.role,
      task: a.task,
      inputs: [...a.inputs],
      turn: a.turns,
      signal: controller.signal,
      // A request that completes after the agent stopped was still billed: it counts.
      charge: (u) => {
        if (a.turns === turn) charge(a, u);
      },
    };
    const settle = (status: AgentStatus, reason: string | null, result: string | null) => {
      if (a.controller !== controller) return;
      finish(a, status, reason, result);
    };
    Promise.resolve()
      .then(() => options.run(run))
      .then((out) => {
        if (controller.signal.aborted) throw controller.signal.reason;
        const { result, ...usage } = typeof out === 'string' ? { result: out } : out;
        if (usage.costUsd !== undefined || usage.inputTokens !== undefined || usage.requestId)
          charge(a, usage);
        // Its last request may have spent the tree's budget: it stopped with the tree.
        if (!controller.signal.aborted) settle('succeeded', null, String(result));
        else throw controller.signal.reason;
      })
      .catch((err: unknown) => {
        const why = controller.signal.aborted ? controller.signal.reason : err;
        if (why instanceof Stop) settle(why.status, why.reason, null);
        else settle('failed', why instanceof Error ? why.message : String(why), null);
      });
  }

  const queue: TaskQueue = {
    async spawn(request: SpawnRequest, signal?: AbortSignal): Promise<SpawnResult> {
      signal?.throwIfAborted();
      if (typeof request?.task !== 'string' || request.task.trim() === '')
        throw new CoordinationError(
          'INVALID',
          'The task is empty: give the agent its instructions.',
          {
            field: 'task',
          },
        );
      if (
        request.budgetUsd !== undefined &&
        !(Number.isFinite(request.budgetUsd) && request.budgetUsd > 0)
      )
        throw new CoordinationError('INVALID', 'budgetUsd is a positive amount of USD.', {
          field: 'budgetUsd',
        });
      const parent = request.parentId != null ? agentOf(request.parentId, 'parentId') : null;
      const id = newId();
      const base = {
        id,
        role: request.role?.trim() || null,
        title: request.title ?? null,
        task: request.task,
        inputs: [],
        turns: 0,
        status: 'queued' as AgentStatus,
        statusReason: null,
        result: null,
        requests: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        requestIds: [],
        createdAt: new Date(),
        finishedAt: null,
        controller: null,
      };
      let rootId: string;
      let depth: number;
      if (parent === null) {
        const limits = resolveTreeLimits(options.limits, { budgetUsd: request.budgetUsd });
        rootId = id;
        depth = 0;
        trees.set(id, newTree(id, 'hierarchical', null, limits, null));
        trees.get(id)!.agents = 1;
      } else {
        if (!trees.has(parent.rootId)) {
          trees.set(
            parent.rootId,
            newTree(parent.rootId, 'hierarchical', null, resolveTreeLimits(options.limits), null),
          );
          trees.get(parent.rootId)!.agents = 1;
        }
        const t = treeOf(parent.rootId);
        rootId = t.rootId;
        depth = parent.depth + 1;
        const refusal =
          stoppedRefusal(t) ??
          (depth > t.limits.maxDepth
            ? new CoordinationError(
                'TREE_LIMIT',
                `An agent at depth ${depth} would sit deeper than the tree's maximum depth of ${t.limits.maxDepth}.`,
                { rootId, limit: 'maxDepth', maxDepth: t.limits.maxDepth, depth },
              )
            : t.agents >= t.limits.maxAgents
              ? new CoordinationError(
                  'TREE_LIMIT',
                  `The tree holds its maximum of ${t.limits.maxAgents} agents.`,
                  {
                    rootId,
                    limit: 'maxAgents',
                    maxAgents: t.limits.maxAgents,
                  },
                )
              : budgetSpent(t)
                ? new CoordinationError('TREE_BUDGET', "The tree's budget is spent.", {
                    rootId,
                    budgetUsd: t.limits.budgetUsd,
                    spentUsd: t.spentUsd,
                  })
                : null);
        if (refusal) throw refusal;
        t.agents++;
      }
      const a: Agent = { ...base, parentId: parent?.id ?? null, rootId, depth };
      agents.set(id, a);
      changed();
      pump();
      return { agentId: id, rootId, depth, status: 'queued' };
    },

    async createTree(rootId, o, signal) {
      signal?.throwIfAborted();
      const a = agentOf(rootId, 'rootId');
      if (o?.strategy !== 'hierarchical' && o?.strategy !== 'mesh')
        throw new CoordinationError('INVALID', 'strategy is one of hierarchical, mesh.', {
          field: 'strategy',
        });
      if (o.maxRounds !== undefined && !(Number.isInteger(o.maxRounds) && o.maxRounds >= 1))
        throw new CoordinationError('INVALID', 'maxRounds is a whole number, 1 or more.', {
          field: 'maxRounds',
        });
      const limits = resolveTreeLimits(options.limits, o.limits);
      if (trees.has(a.rootId) || a.parentId !== null)
        throw new CoordinationError(
          'INVALID',
          `Task ${a.id} is already in a tree (its root is ${a.rootId}).`,
          {
            field: 'rootId',
            rootId: a.rootId,
          },
        );
      const t = newTree(a.id, o.strategy, o.goal?.trim() || null, limits, o.maxRounds ?? null);
      t.agents = 1;
      trees.set(a.id, t);
      return treeState(t);
    },

    async sendInput(agentId, message, signal) {
      signal?.throwIfAborted();
      const a = agentOf(agentId);
      if (typeof message !== 'string' || message.trim() === '')
        throw new CoordinationError('INVALID', 'The message is a text of 1 or more characters.', {
          field: 'message',
        });
      const t = trees.get(a.rootId);
      if (t) {
        const refusal = stoppedRefusal(t);
        if (refusal) throw refusal;
      }
      a.inputs.push(message);
      if (isTerminalAgentStatus(a.status)) {
        a.status = 'queued';
        a.statusReason = 'continued with new input';
        a.result = null;
        a.finishedAt = null;
        changed();
        pump();
      }
      return record(a);
    },

    async wait(agentIds, o: WaitOptions = {}) {
      if (!Array.isArray(agentIds))
        throw new CoordinationError('INVALID', 'agentIds is a list of agent ids.', {
          field: 'agentIds',
        });
      const ids = [...new Set(agentIds)];
      for (const id of ids) agentOf(id, 'agentIds');
      const timeoutMs = Math.min(o.timeoutMs ?? WAIT_DEFAULT_MS, WAIT_MAX_MS);
      const deadline = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        o.signal?.throwIfAborted();
        const now = ids.map((id) => record(agentOf(id)));
        const key = JSON.stringify(now.map((a) => [a.status, a.statusReason]));
        if (last !== '' && key !== last) o.onProgress?.(now);
        last = key;
        if (now.every((a) => isTerminalAgentStatus(a.status)))
          return { agents: now, timedOut: false };
        const left = deadline - Date.now();
        if (left <= 0) return { agents: now, timedOut: true };
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            watchers.delete(done);
            o.signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, left);
          watchers.add(done);
          o.signal?.addEventListener('abort', done, { once: true });
        });
      }
    },

    async get(agentId, signal) {
      signal?.throwIfAborted();
      return record(agentOf(agentId));
    },

    async list(o = {}) {
      o.signal?.throwIfAborted();
      if (o.rootId !== undefined) {
        treeOf(o.rootId);
        return treeAgents(o.rootId)
          .sort((x, y) => x.depth - y.depth || x.createdAt.getTime() - y.createdAt.getTime())
          .map(record);
      }
      return [...agents.values()]
        .filter((a) => trees.has(a.rootId))
        .reverse()
        .map(record);
    },

    async cancel(agentId, reason, signal) {
      signal?.throwIfAborted();
      const a = agentOf(agentId);
      if (typeof reason !== 'string' || reason.trim() === '')
        throw new CoordinationError('INVALID', 'Say why, in 1 or more characters.', {
          field: 'reason',
        });
      const why = reason.trim();
      const t = trees.get(a.id);
      if (t && t.status === 'running') {
        t.status = 'cancelled';
        t.stopReason = why;
      }
      const targets: Agent[] = [];
      const walk = (x: Agent) => {
        targets.push(x);
        for (const c of agents.values()) if (c.parentId === x.id) walk(c);
      };
      walk(a);
      let cancelled = 0;
      for (const x of targets) {
        if (isTerminalAgentStatus(x.status)) continue;
        cancelled++;
        stopAgent(x, 'cancelled', why);
      }
      return { cancelled };
    },

    async tree(rootId, signal) {
      signal?.throwIfAborted();
      return treeState(treeOf(rootId));
    },

    async board(rootId, o = {}) {
      o.signal?.throwIfAborted();
      const afterId = o.afterId ?? 0;
      return treeOf(rootId)
        .board.filter((p) => p.id > afterId)
        .map((p) => ({ ...p }));
    },

    async post(rootId, p, signal) {
      signal?.throwIfAborted();
      const t = treeOf(rootId);
      const kinds: BoardPostKind[] = ['finding', 'vote', 'goal_met', 'note'];
      if (!kinds.includes(p?.kind))
        throw new CoordinationError('INVALID', `kind is one of ${kinds.join(', ')}.`, {
          field: 'kind',
        });
      if (typeof p.body !== 'string' || p.body.trim() === '')
        throw new CoordinationError('INVALID', "A post's body is a text of 1 or more characters.", {
          field: 'body',
        });
      const round = p.round ?? 1;
      if (!Number.isInteger(round) || round < 1)
        throw new CoordinationError('INVALID', 'round is a whole number, 1 or more.', {
          field: 'round',
        });
      const stopped = stoppedRefusal(t);
      if (stopped) throw stopped;
      if (t.maxRounds !== null && round > t.maxRounds)
        throw new CoordinationError(
          'TREE_LIMIT',
          `The board runs at most ${t.maxRounds} rounds; round ${round} is past it.`,
          { rootId, limit: 'maxRounds', maxRounds: t.maxRounds, round },
        );
      if (p.agentId != null && agents.get(p.agentId)?.rootId !== t.rootId)
        throw new CoordinationError(
          'NOT_FOUND',
          `Agent ${p.agentId} is not an agent of this tree.`,
          {
            field: 'agentId',
          },
        );
      const made: BoardPost = {
        id: nextPost++,
        agentId: p.agentId ?? null,
        round,
        kind: p.kind,
        body: p.body,
        createdAt: new Date(),
      };
      t.board.push(made);
      return { ...made };
    },
  };

  function newTree(
    rootId: string,
    strategy: CoordinationStrategy,
    goal: string | null,
    limits: TreeLimits,
    maxRounds: number | null,
  ): Tree {
    return {
      rootId,
      strategy,
      goal,
      limits,
      maxRounds,
      agents: 0,
      spentUsd: 0,
      spentTokens: 0,
      status: 'running',
      stopReason: null,
      board: [],
    };
  }

  return queue;
}
