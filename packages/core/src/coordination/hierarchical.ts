/**
 * The hierarchical coordinator: a lead (the tree's root) spawns sub-agents with roles and
 * instructions, waits for them, and has a synthesiser agent combine their results. It drives any
 * `TaskQueue` (Baton's PostgreSQL one, the in-memory one, another repository's), so every agent is
 * a real task under the tree's limits and budget, and a refusal of the queue ends the run with a
 * status that says why.
 */
import { isCoordinationError, WAIT_DEFAULT_MS } from './limits.js';
import {
  type AgentRecord,
  isTerminalAgentStatus,
  type TaskQueue,
  type TreeState,
} from './task-queue.js';

export interface AgentSpec {
  role: string;
  instructions: string;
}

/** How a coordinated run ended. */
export type CoordinationRunStatus = 'succeeded' | 'failed' | 'budget_exceeded' | 'cancelled';

export interface CoordinatorOptions {
  /** Aborting it stops the run: it cancels nothing itself (the tree's cancel path does). */
  signal: AbortSignal;
  /** How long one `wait` call waits before the coordinator looks at the tree again (default 30 s). */
  waitMs?: number;
}

export interface HierarchicalInput {
  rootId: string;
  goal: string;
  agents: AgentSpec[];
  synthesis?: { role?: string; instructions?: string };
}

export interface HierarchicalResult {
  status: CoordinationRunStatus;
  /** The synthesis, when the run succeeded. */
  result: string | null;
  /** Why the run ended as it did (null when it succeeded). */
  reason: string | null;
  /** The sub-agents, in the order of `agents` (the ones that were spawned). */
  agents: AgentRecord[];
  synthesisId: string | null;
}

export const DEFAULT_SYNTHESIS_ROLE = 'synthesiser';
export const DEFAULT_SYNTHESIS_INSTRUCTIONS =
  "Combine the agents' results into one answer to the goal: keep what they agree on, resolve or flag what they contradict, and leave nothing out that the goal asks for.";

/** Validates the agents of a run: each has a role and instructions. */
export function checkAgentSpecs(agents: unknown): asserts agents is AgentSpec[] {
  if (!Array.isArray(agents) || agents.length === 0)
    throw new TypeError('agents is a list of at least one {role, instructions}.');
  agents.forEach((a, i) => {
    if (
      typeof a !== 'object' ||
      a === null ||
      typeof (a as AgentSpec).role !== 'string' ||
      (a as AgentSpec).role.trim() === '' ||
      typeof (a as AgentSpec).instructions !== 'string' ||
      (a as AgentSpec).instructions.trim() === ''
    )
      throw new TypeError(`agents[${i}] needs a role and instructions.`);
  });
}

export function agentPrompt(goal: string, spec: AgentSpec): string {
  return [
    `You are the ${spec.role} of a team working on one goal.`,
    `Goal: ${goal}`,
    '',
    'Your instructions:',
    spec.instructions,
  ].join('\n');
}

export function synthesisPrompt(
  goal: string,
  instructions: string,
  parts: Array<{ role: string; status: string; result: string | null }>,
): string {
  const body = parts.map((p, i) =>
    p.status === 'succeeded'
      ? `## Agent ${i + 1}: ${p.role}\n${p.result ?? ''}`
      : `## Agent ${i + 1}: ${p.role}\n(no result: the agent ${p.status.replace('_', ' ')})`,
  );
  return [`Goal: ${goal}`, '', instructions, '', ...body].join('\n');
}

/** A stopped tree as a run's status. */
export function statusOfTree(tree: TreeState): CoordinationRunStatus {
  return tree.status === 'budget_exceeded'
    ? 'budget_exceeded'
    : tree.status === 'cancelled'
      ? 'cancelled'
      : tree.status === 'succeeded'
        ? 'succeeded'
        : 'failed';
}

/**
 * A refusal of the queue (or an abort) as a run's status and reason; anything else is rethrown.
 * An abort asks the tree why: a tree stopped by its budget is `budget_exceeded`, not cancelled.
 */
export async function stopOf(
  err: unknown,
  queue: TaskQueue,
  rootId: string,
  signal: AbortSignal,
): Promise<{ status: CoordinationRunStatus; reason: string }> {
  if (signal.aborted) {
    const tree = await queue.tree(rootId).catch(() => null);
    if (tree && tree.status !== 'running')
      return { status: statusOfTree(tree), reason: tree.stopReason ?? `the tree ${tree.status}` };
    return {
      status: 'cancelled',
      reason: signal.reason instanceof Error ? signal.reason.message : 'the run was aborted',
    };
  }
  if (isCoordinationError(err)) {
    if (err.code === 'TREE_BUDGET') return { status: 'budget_exceeded', reason: err.message };
    if (err.code === 'TREE_STOPPED') {
      const s = err.details.status;
      return {
        status:
          s === 'budget_exceeded' ? 'budget_exceeded' : s === 'failed' ? 'failed' : 'cancelled',
        reason: err.message,
      };
    }
    if (err.code === 'TREE_LIMIT') return { status: 'failed', reason: err.message };
  }
  throw err;
}

export type WaitOutcome =
  | { done: true; agents: AgentRecord[] }
  | { done: false; agents: AgentRecord[]; tree: TreeState };

/**
 * Waits for `ids` in bounded waits until every one is terminal, or their tree stops (then the
 * agents as they were and the stopped tree).
 */
export async function waitForAgents(
  queue: TaskQueue,
  rootId: string,
  ids: string[],
  o: CoordinatorOptions,
): Promise<WaitOutcome> {
  for (;;) {
    const { agents } = await queue.wait(ids, {
      timeoutMs: o.waitMs ?? WAIT_DEFAULT_MS,
      signal: o.signal,
    });
    if (agents.every((a) => isTerminalAgentStatus(a.status))) return { done: true, agents };
    const tree = await queue.tree(rootId, o.signal);
    if (tree.status !== 'running') return { done: false, agents, tree };
  }
}

/** Reads the agents back without the (maybe aborted) signal, for the result record. */
async function settled(queue: TaskQueue, ids: string[]): Promise<AgentRecord[]> {
  try {
    return await Promise.all(ids.map((id) => queue.get(id)));
  } catch {
    return [];
  }
}

export async function runHierarchical(
  queue: TaskQueue,
  input: HierarchicalInput,
  o: CoordinatorOptions,
): Promise<HierarchicalResult> {
  checkAgentSpecs(input.agents);
  if (typeof input.goal !== 'string' || input.goal.trim() === '')
    throw new TypeError('goal is the text of what the run is for.');
  const ids: string[] = [];
  let synthesisId: string | null = null;
  const end = async (
    status: CoordinationRunStatus,
    reason: string | null,
    result: string | null = null,
  ): Promise<HierarchicalResult> => ({
    status,
    result,
    reason,
    agents: await settled(queue, ids),
    synthesisId,
  });
  try {
    for (const spec of input.agents) {
      const spawned = await queue.spawn(
        { task: agentPrompt(input.goal, spec), role: spec.role, parentId: input.rootId },
        o.signal,
      );
      ids.push(spawned.agentId);
    }
    const waited = await waitForAgents(queue, input.rootId, ids, o);
    if (!waited.done)
      return end(
        statusOfTree(waited.tree),
        waited.tree.stopReason ?? `the tree ${waited.tree.status}`,
      );
    const agents = waited.agents;
    const budgetStop = agents.find((a) => a.status === 'budget_exceeded');
    if (budgetStop)
      return end('budget_exceeded', budgetStop.statusReason ?? "the tree's budget is spent");
    if (!agents.some((a) => a.status === 'succeeded'))
      return end(
        'failed',
        `No agent succeeded: ${agents
          .map(
            (a) =>
              `${a.role ?? a.agentId} ${a.status}${a.statusReason ? ` (${a.statusReason})` : ''}`,
          )
          .join('; ')}.`,
      );
    const synth = await queue.spawn(
      {
        task: synthesisPrompt(
          input.goal,
          input.synthesis?.instructions ?? DEFAULT_SYNTHESIS_INSTRUCTIONS,
          agents.map((a, i) => ({
            role: input.agents[i]!.role,
            status: a.status,
            result: a.result,
          })),
        ),
        role: input.synthesis?.role ?? DEFAULT_SYNTHESIS_ROLE,
        parentId: input.rootId,
      },
      o.signal,
    );
    synthesisId = synth.agentId;
    const done = await waitForAgents(queue, input.rootId, [synthesisId], o);
    if (!done.done)
      return end(statusOfTree(done.tree), done.tree.stopReason ?? `the tree ${done.tree.status}`);
    const s = done.agents[0]!;
    if (s.status === 'succeeded') return end('succeeded', null, s.result ?? '');
    return end(
      s.status === 'budget_exceeded'
        ? 'budget_exceeded'
        : s.status === 'cancelled'
          ? 'cancelled'
          : 'failed',
      `The synthesis ${s.status.replace('_', ' ')}${s.statusReason ? `: ${s.statusReason}` : ''}.`,
    );
  } catch (err) {
    const stop = await stopOf(err, queue, input.rootId, o.signal);
    return end(stop.status, stop.reason);
  }
}
