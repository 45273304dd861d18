/**
 * The task-queue interface multi-agent coordination runs on. A run is a tree of ordinary tasks:
 * an agent is a queued task (with its own limits, retries, usage and confinement), spawned under a
 * parent, inside a tree whose limits and budget are enforced by whoever implements this interface
 * (`@baton/db`'s `createPgTaskQueue` keeps them in PostgreSQL, checked in the same statements that
 * spawn and start the tasks). Core's coordinators (hierarchical, mesh) and Baton's MCP tools both
 * drive agents through it, so they cannot tell a tree run by one from a tree run by the other.
 */

/** What a tree may hold: enforced, never advisory. */
export interface TreeLimits {
  /** Agents in the tree, its root included. */
  maxAgents: number;
  /** Deepest level an agent may be spawned at (the root is 0, its children 1, …). */
  maxDepth: number;
  /** Agents of the tree running at once. */
  maxConcurrent: number;
  /** The whole tree's budget in USD (null: only the caps that apply to the team). */
  budgetUsd: number | null;
  /** The whole tree's budget in tokens, input and output together (null: none). */
  budgetTokens: number | null;
}

export type CoordinationStrategy = 'hierarchical' | 'mesh';

/** An agent's status: a task's status. */
export type AgentStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'timed_out'
  | 'budget_exceeded';

export const TERMINAL_AGENT_STATUSES = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'budget_exceeded',
] as const satisfies readonly AgentStatus[];

export function isTerminalAgentStatus(status: AgentStatus): boolean {
  return (TERMINAL_AGENT_STATUSES as readonly AgentStatus[]).includes(status);
}

/** What to spawn: a task, as `task.submit` takes one, plus its place in a tree. */
export interface SpawnRequest {
  /** The agent's instructions (the task's prompt). */
  task: string;
  role?: string;
  title?: string;
  backend?: 'api' | 'claude-code';
  model?: string;
  /** This agent's own budget; never more than what is left of the tree's. */
  budgetUsd?: number;
  /** The parent agent; the new agent joins the parent's tree (one is created if it has none). */
  parentId?: string;
  /** Backend options, as a task's (`maxTurns`, `system`, …). */
  options?: Record<string, unknown>;
}

export interface SpawnResult {
  agentId: string;
  rootId: string;
  depth: number;
  status: AgentStatus;
}

/** Proof that an agent ran: what the provider saw of it. */
export interface AgentProof {
  /** The session (API conversation or Claude Code session) the agent ran in. */
  sessionId: string | null;
  /** Provider request ids of the agent's model calls, oldest first. */
  requestIds: string[];
  /**
   * True when the agent ended without one model call: a "spawned" agent that never ran (never
   * for a coordinated run's root, whose work is its agents').
   */
  noModelCall: boolean;
}

export interface AgentUsage {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
}

export interface AgentRecord {
  agentId: string;
  parentId: string | null;
  rootId: string;
  depth: number;
  role: string | null;
  title: string | null;
  status: AgentStatus;
  /** Why it is in that status (the cap that stopped it, who cancelled it, …). */
  statusReason: string | null;
  /** The agent's final answer, once it succeeded. */
  result: string | null;
  usage: AgentUsage;
  costUsd: number;
  proof: AgentProof;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface TreeState {
  rootId: string;
  strategy: CoordinationStrategy;
  goal: string | null;
  limits: TreeLimits;
  maxRounds: number | null;
  agents: number;
  spentUsd: number;
  spentTokens: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'budget_exceeded';
  stopReason: string | null;
}

export type BoardPostKind = 'finding' | 'vote' | 'goal_met' | 'note';

export interface BoardPost {
  id: number;
  agentId: string | null;
  round: number;
  kind: BoardPostKind;
  body: string;
  createdAt: Date;
}

export interface WaitOptions {
  /** At most this long (bounded by the implementation's own maximum); never hangs. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called while waiting, e.g. for MCP progress notifications. */
  onProgress?: (agents: AgentRecord[]) => void;
}

/**
 * One caller's view of the queue: an implementation is created for a team (and, for a task's own
 * token, for that task's tree) and refuses agents outside it as not found.
 */
export interface TaskQueue {
  /** Queues an agent. Refused (a `CoordinationError`) past a tree limit or the tree's budget. */
  spawn(request: SpawnRequest, signal?: AbortSignal): Promise<SpawnResult>;
  /** Creates a tree around an existing task (its root), with its limits and strategy. */
  createTree(
    rootId: string,
    options: {
      strategy: CoordinationStrategy;
      goal?: string;
      limits: TreeLimits;
      maxRounds?: number;
    },
    signal?: AbortSignal,
  ): Promise<TreeState>;
  /** Gives an agent a message: its next turn takes it; a finished agent is queued to continue. */
  sendInput(agentId: string, message: string, signal?: AbortSignal): Promise<AgentRecord>;
  /** Returns when every agent is done or the timeout passes, whichever is first. */
  wait(
    agentIds: string[],
    options?: WaitOptions,
  ): Promise<{ agents: AgentRecord[]; timedOut: boolean }>;
  get(agentId: string, signal?: AbortSignal): Promise<AgentRecord>;
  /** The agents of a tree (default: every tree this caller may see, newest first). */
  list(options?: { rootId?: string; signal?: AbortSignal }): Promise<AgentRecord[]>;
  /** Cancels an agent and all its descendants; returns how many were asked to stop. */
  cancel(agentId: string, reason: string, signal?: AbortSignal): Promise<{ cancelled: number }>;
  tree(rootId: string, signal?: AbortSignal): Promise<TreeState>;
  /** The mesh board of a tree, oldest first (from `afterId`, exclusive). */
  board(rootId: string, options?: { afterId?: number; signal?: AbortSignal }): Promise<BoardPost[]>;
  post(
    rootId: string,
    post: { agentId?: string; round?: number; kind: BoardPostKind; body: string },
    signal?: AbortSignal,
  ): Promise<BoardPost>;
}
