import { TERMINAL_TASK_STATUSES } from '@baton/db/schema';
import { describe, expect, it } from 'vitest';
import { claudeMcpAddCommand } from '../settings/mcp-command';
import {
  type Agent,
  agentTokens,
  isTerminal,
  TERMINAL_AGENT_STATUSES,
  treeOrder,
  usd4,
} from './agent-tree-model';

function agent(id: string, parentId: string | null, depth: number, at: number): Agent {
  return {
    agentId: id,
    parentId,
    rootId: 'r',
    depth,
    role: id,
    title: null,
    status: 'queued',
    statusReason: null,
    result: null,
    usage: {
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
    },
    costUsd: 0,
    proof: { sessionId: null, requestIds: [], noModelCall: false },
    createdAt: new Date(at),
    finishedAt: null,
  };
}

describe('the Agents panel model', () => {
  it('orders a tree depth-first, each agent under its parent, siblings oldest first', () => {
    const agents = [
      agent('b2', 'b', 2, 6),
      agent('a', 'r', 1, 2),
      agent('r', null, 0, 1),
      agent('b', 'r', 1, 3),
      agent('a1', 'a', 2, 5),
      agent('b1', 'b', 2, 4),
    ];
    expect(treeOrder(agents).map((a) => a.agentId)).toEqual(['r', 'a', 'a1', 'b', 'b1', 'b2']);
  });

  it('shows an agent whose parent it cannot see at the top, not lost', () => {
    const agents = [agent('x', 'hidden', 2, 2), agent('r', null, 0, 1)];
    expect(treeOrder(agents).map((a) => a.agentId)).toEqual(['r', 'x']);
  });

  it('knows the terminal statuses as the schema does', () => {
    expect([...TERMINAL_AGENT_STATUSES].sort()).toEqual([...TERMINAL_TASK_STATUSES].sort());
    expect(isTerminal('running')).toBe(false);
    expect(isTerminal('queued')).toBe(false);
    expect(isTerminal('budget_exceeded')).toBe(true);
  });

  it('formats spend to 4 decimals and counts input and output tokens', () => {
    expect(usd4(0.00043)).toBe('$0.0004');
    expect(usd4(1.23456)).toBe('$1.2346');
    expect(usd4(0)).toBe('$0.0000');
    const a = agent('r', null, 0, 1);
    a.usage = { ...a.usage, inputTokens: 120, outputTokens: 30, cacheReadTokens: 500 };
    expect(agentTokens(a)).toBe(150);
  });

  it('gives Claude Code the MCP server in one line', () => {
    expect(claudeMcpAddCommand('baton.example', 'baton_mcp_abc')).toBe(
      'claude mcp add --transport http baton http://baton.example:4030/mcp --header "Authorization: Bearer baton_mcp_abc"',
    );
  });
});
