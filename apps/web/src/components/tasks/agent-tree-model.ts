/** What the Agents panel computes from a tree's agents (pure: unit-tested without a browser). */
import type { RouterOutputs } from '@baton/api';

export type Agent = RouterOutputs['agent']['list'][number];
export type Tree = RouterOutputs['agent']['tree'];
export type BoardPost = RouterOutputs['agent']['board'][number];

/** How often the tree is read again while any of it is still running. */
export const TREE_POLL_MS = 1500;

/**
 * The statuses an agent ends in: @baton/db's TERMINAL_TASK_STATUSES (restated so the client bundle
 * stays free of the schema; agent-tree-model.test.ts holds them equal).
 */
export const TERMINAL_AGENT_STATUSES: readonly Agent['status'][] = [
  'succeeded',
  'failed',
  'cancelled',
  'timed_out',
  'budget_exceeded',
];

export function isTerminal(status: Agent['status']): boolean {
  return TERMINAL_AGENT_STATUSES.includes(status);
}

/** USD to 4 decimals, as the console's analytics shows spend: "$0.0123". */
export function usd4(n: number): string {
  return `$${n.toFixed(4)}`;
}

/** Input and output tokens together: what a tree's token budget counts. */
export function agentTokens(agent: Pick<Agent, 'usage'>): number {
  return agent.usage.inputTokens + agent.usage.outputTokens;
}

/** The agents depth-first: each under its parent, siblings oldest first. */
export function treeOrder(agents: readonly Agent[]): Agent[] {
  const byParent = new Map<string | null, Agent[]>();
  const ids = new Set(agents.map((a) => a.agentId));
  for (const a of agents) {
    // An agent whose parent is not in the list (outside what the viewer sees) is shown at top.
    const key = a.parentId !== null && ids.has(a.parentId) ? a.parentId : null;
    const list = byParent.get(key) ?? [];
    list.push(a);
    byParent.set(key, list);
  }
  for (const list of byParent.values())
    list.sort(
      (x, y) =>
        x.depth - y.depth ||
        new Date(x.createdAt).getTime() - new Date(y.createdAt).getTime() ||
        x.agentId.localeCompare(y.agentId),
    );
  const out: Agent[] = [];
  const visit = (parent: string | null) => {
    for (const a of byParent.get(parent) ?? []) {
      out.push(a);
      visit(a.agentId);
    }
  };
  visit(null);
  return out;
}
