'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { formatPct } from '../budget/cap-meter';
import { Badge, StatusBadge } from '../ui/badges';
import { Card, CardHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { Button, FormAlert } from '../ui/form';
import { formatInt, shortId } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';
import { Skeleton } from '../ui/skeleton';
import { EmptyState, ErrorState, errorMessage } from '../ui/states';
import {
  type Agent,
  agentTokens,
  type BoardPost,
  isTerminal,
  TREE_POLL_MS,
  type Tree,
  treeOrder,
  usd4,
} from './agent-tree-model';

const TREE_STATUS: Record<
  Tree['status'],
  { label: string; tone: 'brand' | 'ok' | 'warn' | 'bad' | 'neutral' }
> = {
  running: { label: 'Running', tone: 'brand' },
  succeeded: { label: 'Succeeded', tone: 'ok' },
  failed: { label: 'Failed', tone: 'bad' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
  budget_exceeded: { label: 'Budget spent', tone: 'warn' },
};

function Meter({
  label,
  spent,
  budget,
  format,
}: {
  label: string;
  spent: number;
  budget: number;
  format: (n: number) => string;
}) {
  const pct = budget > 0 ? Math.min(100, Math.max(0, (spent / budget) * 100)) : 100;
  const level = pct >= 100 ? 'reached' : pct >= 75 ? 'near' : 'ok';
  return (
    <div>
      <div className="flex items-baseline justify-between gap-2 text-xs">
        <span className="text-zinc-500 dark:text-zinc-400">{label}</span>
        <span className="tabular">
          <span
            className={cn(
              'font-medium',
              level === 'reached' ? 'text-bad' : 'text-zinc-900 dark:text-zinc-100',
            )}
          >
            {format(spent)}
          </span>{' '}
          <span className="text-zinc-500 dark:text-zinc-400">
            of {format(budget)} · {formatPct(budget > 0 ? (spent / budget) * 100 : 100)}
          </span>
        </span>
      </div>
      <div
        role="progressbar"
        aria-label={`${label}: ${format(spent)} of ${format(budget)}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(pct)}
        className="mt-1.5 h-2 overflow-hidden rounded-full bg-zinc-100 dark:bg-zinc-800"
      >
        <div
          className={cn(
            'h-full rounded-full transition-[width]',
            level === 'reached' ? 'bg-bad' : level === 'near' ? 'bg-warn' : 'bg-brand-500',
          )}
          style={{ width: `${pct > 0 && pct < 1 ? 1 : pct}%` }}
        />
      </div>
    </div>
  );
}

/** The tree's strategy, status and budget (spent / budget as bars; just the spend without one). */
function TreeSummary({ tree }: { tree: Tree }) {
  const status = TREE_STATUS[tree.status];
  return (
    <div className="space-y-3 border-b border-zinc-100 px-5 py-4 dark:border-zinc-800">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <Badge>{tree.strategy}</Badge>
        <span data-testid="tree-status" data-status={tree.status}>
          <Badge tone={status.tone}>{status.label}</Badge>
        </span>
        <span className="text-xs text-zinc-500 dark:text-zinc-400">
          {tree.agents} agent{tree.agents === 1 ? '' : 's'} of at most {tree.limits.maxAgents} ·
          depth ≤ {tree.limits.maxDepth} · {tree.limits.maxConcurrent} at once
          {tree.maxRounds !== null ? ` · ${tree.maxRounds} rounds` : ''}
        </span>
      </div>
      {tree.stopReason && tree.status !== 'running' && tree.status !== 'succeeded' ? (
        <p data-testid="tree-stop-reason" className="text-xs text-zinc-600 dark:text-zinc-300">
          Stopped: {tree.stopReason}
        </p>
      ) : null}
      {tree.goal ? (
        <p className="text-xs text-zinc-600 dark:text-zinc-300">
          <span className="font-medium">Goal:</span> {tree.goal}
        </p>
      ) : null}
      <div
        className="space-y-2"
        data-testid="tree-spend"
        data-spent-usd={tree.spentUsd}
        data-spent-tokens={tree.spentTokens}
      >
        {tree.limits.budgetUsd !== null ? (
          <Meter
            label="Budget"
            spent={tree.spentUsd}
            budget={tree.limits.budgetUsd}
            format={usd4}
          />
        ) : (
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            Spent{' '}
            <span className="font-medium text-zinc-900 tabular dark:text-zinc-100">
              {usd4(tree.spentUsd)}
            </span>{' '}
            · no budget for this tree (the team's caps apply)
          </p>
        )}
        {tree.limits.budgetTokens !== null ? (
          <Meter
            label="Tokens"
            spent={tree.spentTokens}
            budget={tree.limits.budgetTokens}
            format={formatInt}
          />
        ) : (
          <p className="text-xs text-zinc-500 dark:text-zinc-400">
            {formatInt(tree.spentTokens)} tokens
          </p>
        )}
      </div>
    </div>
  );
}

function CancelAgent({ teamId, agent }: { teamId: string; agent: Agent }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation(
    trpc.agent.cancel.mutationOptions({
      onSettled: () =>
        Promise.all([
          qc.invalidateQueries({ queryKey: trpc.agent.pathKey() }),
          qc.invalidateQueries({ queryKey: trpc.task.pathKey() }),
        ]),
    }),
  );
  const name = agent.role ?? shortId(agent.agentId);
  return (
    <div className="flex flex-col items-end gap-1">
      {confirming ? (
        <div className="flex items-center gap-2">
          <Button
            variant="danger"
            disabled={cancel.isPending}
            onClick={() =>
              cancel.mutate(
                { teamId, agent_id: agent.agentId },
                { onSettled: () => setConfirming(false) },
              )
            }
          >
            {cancel.isPending ? 'Cancelling…' : `Cancel ${name} and its agents`}
          </Button>
          <Button onClick={() => setConfirming(false)}>Keep</Button>
        </div>
      ) : (
        <Button
          variant="danger"
          onClick={() => {
            cancel.reset();
            setConfirming(true);
          }}
        >
          Cancel<span className="sr-only"> {name}</span>
        </Button>
      )}
      {cancel.error ? (
        <p role="alert" className="text-xs text-bad">
          {errorMessage(cancel.error)}
        </p>
      ) : null}
    </div>
  );
}

function AgentRow({
  teamId,
  agent,
  current,
  canAct,
}: {
  teamId: string;
  agent: Agent;
  current: boolean;
  canAct: boolean;
}) {
  const tokens = agentTokens(agent);
  const requests = agent.proof.requestIds.length;
  return (
    <li
      data-agent={agent.agentId}
      data-role={agent.role ?? ''}
      data-status={agent.status}
      data-depth={agent.depth}
      data-cost-usd={agent.costUsd}
      className={cn('py-3 pr-5 text-sm', current && 'bg-brand-50/50 dark:bg-brand-700/10')}
      style={{ paddingLeft: `${1.25 + agent.depth * 1.5}rem` }}
    >
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1 space-y-1">
          <div className="flex flex-wrap items-center gap-2">
            {agent.depth > 0 ? (
              <span aria-hidden="true" className="text-zinc-300 dark:text-zinc-600">
                └
              </span>
            ) : null}
            <span className="font-medium" data-testid="agent-role">
              {agent.role ?? (agent.depth === 0 ? 'root' : 'agent')}
            </span>
            <StatusBadge status={agent.status} />
            {agent.proof.noModelCall ? (
              <span data-testid="no-model-call">
                <Badge tone="bad">never called the model</Badge>
              </span>
            ) : null}
            {current ? <Badge tone="brand">this task</Badge> : null}
          </div>
          <p className="truncate text-xs text-zinc-500 dark:text-zinc-400">
            <Link
              href={`/teams/${teamId}/tasks/${agent.agentId}`}
              className="font-mono hover:underline"
            >
              {shortId(agent.agentId)}
            </Link>
            {agent.title ? <> · {agent.title}</> : null} · spawned{' '}
            <RelativeTime date={new Date(agent.createdAt)} />
            {agent.statusReason ? <> · {agent.statusReason}</> : null}
          </p>
          <p className="text-xs text-zinc-500 tabular dark:text-zinc-400">
            <span data-testid="agent-cost" className="font-medium text-zinc-900 dark:text-zinc-100">
              {usd4(agent.costUsd)}
            </span>{' '}
            ·{' '}
            <span
              data-testid="agent-tokens"
              title={`${formatInt(agent.usage.inputTokens)} in, ${formatInt(agent.usage.outputTokens)} out, ${formatInt(agent.usage.cacheReadTokens)} cache read, ${formatInt(agent.usage.cacheWriteTokens)} cache write`}
            >
              {formatInt(tokens)} tokens
            </span>{' '}
            ·{' '}
            <span data-testid="agent-proof" data-requests={requests}>
              {agent.proof.sessionId ? (
                <>
                  session{' '}
                  <span className="font-mono" title={agent.proof.sessionId}>
                    {shortId(agent.proof.sessionId)}
                  </span>
                </>
              ) : (
                'no session yet'
              )}
              , {requests} provider request{requests === 1 ? '' : 's'}
            </span>
          </p>
          {agent.status === 'succeeded' && agent.result ? (
            <p
              data-testid="agent-result"
              className="line-clamp-3 rounded-md bg-zinc-50 px-2.5 py-1.5 text-xs whitespace-pre-wrap text-zinc-700 dark:bg-zinc-950 dark:text-zinc-300"
            >
              {agent.result.slice(0, 400)}
            </p>
          ) : null}
        </div>
        {canAct && !isTerminal(agent.status) ? <CancelAgent teamId={teamId} agent={agent} /> : null}
      </div>
    </li>
  );
}

function Board({
  teamId,
  rootId,
  agents,
  live,
}: {
  teamId: string;
  rootId: string;
  agents: readonly Agent[];
  live: boolean;
}) {
  const trpc = useTRPC();
  const board = useQuery({
    ...trpc.agent.board.queryOptions({ teamId, root_id: rootId }),
    refetchInterval: live ? TREE_POLL_MS : false,
  });
  // Posts made just before the tree stopped come after the last poll: read it once more then.
  const { refetch } = board;
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) void refetch();
    wasLive.current = live;
  }, [live, refetch]);
  const roleOf = new Map(agents.map((a) => [a.agentId, a.role ?? shortId(a.agentId)]));
  return (
    <div className="border-t border-zinc-100 dark:border-zinc-800">
      <h3 className="px-5 pt-4 text-sm font-semibold text-zinc-900 dark:text-zinc-100">Board</h3>
      {board.isPending ? (
        <Skeleton className="m-5 h-10" />
      ) : board.isError ? (
        <ErrorState error={board.error} onRetry={() => void board.refetch()} />
      ) : board.data.length === 0 ? (
        <EmptyState
          title="No posts yet"
          description="The agents' findings, votes and notes appear here as they post them."
        />
      ) : (
        <ol className="space-y-2 p-5" aria-label="Board posts">
          {board.data.map((p: BoardPost) => (
            <li
              key={p.id}
              data-post={p.id}
              data-kind={p.kind}
              data-round={p.round}
              data-author={
                p.agentId ? (roleOf.get(p.agentId) ?? shortId(p.agentId)) : 'coordinator'
              }
              className="rounded-md border border-zinc-200 px-3 py-2 text-sm dark:border-zinc-700"
            >
              <p className="flex flex-wrap items-center gap-2 text-xs text-zinc-500 dark:text-zinc-400">
                <Badge>round {p.round}</Badge>
                <Badge
                  tone={p.kind === 'goal_met' ? 'ok' : p.kind === 'vote' ? 'brand' : 'neutral'}
                >
                  {p.kind.replace('_', ' ')}
                </Badge>
                <span className="font-medium text-zinc-700 dark:text-zinc-300">
                  {p.agentId ? (roleOf.get(p.agentId) ?? shortId(p.agentId)) : 'coordinator'}
                </span>
                <RelativeTime date={new Date(p.createdAt)} />
              </p>
              <p className="mt-1 whitespace-pre-wrap">{p.body}</p>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

/**
 * The task's multi-agent tree, live: the tree's strategy, status and budget, then every agent
 * under its parent with its status, cost, tokens, proof that it ran and a Cancel for its branch;
 * a mesh tree's board below. Read again every 1.5 s while any of it is still running.
 */
export function AgentTree({
  teamId,
  rootId,
  taskId,
  canAct,
}: {
  teamId: string;
  rootId: string;
  taskId: string;
  canAct: boolean;
}) {
  const trpc = useTRPC();
  const tree = useQuery({
    ...trpc.agent.tree.queryOptions({ teamId, root_id: rootId }),
    refetchInterval: (q) =>
      q.state.data && q.state.data.status !== 'running' ? false : TREE_POLL_MS,
  });
  const agents = useQuery({
    ...trpc.agent.list.queryOptions({ teamId, root_id: rootId }),
    refetchInterval: (q) =>
      q.state.data?.every((a) => isTerminal(a.status)) &&
      tree.data &&
      tree.data.status !== 'running'
        ? false
        : TREE_POLL_MS,
  });
  const live =
    tree.data?.status === 'running' || Boolean(agents.data?.some((a) => !isTerminal(a.status)));

  return (
    <Card>
      <CardHeader
        title="Agents"
        description="This task's multi-agent tree: each agent under the one that spawned it."
        action={
          live && !agents.isError && !tree.isError ? (
            <span className="flex items-center gap-1.5 text-xs text-brand-600 dark:text-brand-100">
              <span
                className="size-1.5 animate-pulse rounded-full bg-brand-500"
                aria-hidden="true"
              />
              Live
            </span>
          ) : null
        }
      />
      <div data-testid="agent-tree">
        {tree.isPending ? (
          <div className="space-y-2 border-b border-zinc-100 p-5 dark:border-zinc-800">
            <Skeleton className="h-4 w-1/3" />
            <Skeleton className="h-2 w-full" />
          </div>
        ) : tree.isError ? (
          <ErrorState
            title="Could not load the tree"
            error={tree.error}
            onRetry={() => void tree.refetch()}
            retrying={tree.isFetching}
          />
        ) : (
          <TreeSummary tree={tree.data} />
        )}
        {agents.isPending ? (
          <div className="space-y-3 p-5">
            <Skeleton className="h-4 w-2/3" />
            <Skeleton className="h-4 w-1/2" />
          </div>
        ) : agents.isError ? (
          <ErrorState
            title="Could not load the agents"
            error={agents.error}
            onRetry={() => void agents.refetch()}
            retrying={agents.isFetching}
          />
        ) : agents.data.length === 0 ? (
          <EmptyState title="No agents" description="This tree has no agents you may see." />
        ) : (
          <>
            {agents.isRefetchError ? (
              <div className="px-5 pt-3">
                <FormAlert>Live updates interrupted — retrying…</FormAlert>
              </div>
            ) : null}
            <ul className="divide-y divide-zinc-100 dark:divide-zinc-800" aria-label="Agents">
              {treeOrder(agents.data).map((a) => (
                <AgentRow
                  key={a.agentId}
                  teamId={teamId}
                  agent={a}
                  current={a.agentId === taskId}
                  canAct={canAct}
                />
              ))}
            </ul>
          </>
        )}
        {tree.data?.strategy === 'mesh' ? (
          <Board teamId={teamId} rootId={rootId} agents={agents.data ?? []} live={live} />
        ) : null}
      </div>
    </Card>
  );
}
