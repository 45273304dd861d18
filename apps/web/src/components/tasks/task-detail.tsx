'use client';

import type { TaskStatus } from '@baton/db/schema';
import { skipToken, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge, StatusBadge } from '../ui/badges';
import { Card, CardHeader, PageHeader } from '../ui/card';
import { cn } from '../ui/cn';
import { Button, FormAlert } from '../ui/form';
import { formatInt, formatUsd, shortId } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';
import { roleAtLeast } from '../ui/roles';
import { Skeleton } from '../ui/skeleton';
import { EmptyState, ErrorState, errorMessage } from '../ui/states';
import { TaskWorkspace } from '../workspace/task-workspace';
import { AgentTree } from './agent-tree';

interface TaskEvent {
  seq: number;
  attempt: number;
  type: string;
  data: Record<string, unknown>;
  createdAt: Date;
}

interface Usage {
  requests: number;
  errors: number;
  estimated: number;
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costUsd: string;
}

const TERMINAL: TaskStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out', 'budget_exceeded'];
const RECOVERY = new Set(['retry', 'fallback', 'compaction', 'breaker', 'requeued']);

type Block =
  | { kind: 'text' | 'thinking'; key: string; text: string }
  | {
      kind: 'tool';
      key: string;
      name: string;
      input: unknown;
      result?: { content: string; isError: boolean };
    }
  | { kind: 'marker'; key: string; event: TaskEvent };

function str(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v, null, 2);
}

/** Consecutive text (or thinking) deltas become one block; tool results join their call. */
function toBlocks(events: TaskEvent[]): Block[] {
  const blocks: Block[] = [];
  const tools = new Map<string, Extract<Block, { kind: 'tool' }>>();
  for (const e of events) {
    const last = blocks.at(-1);
    if (e.type === 'text' || e.type === 'thinking') {
      const text = str(e.data.text ?? e.data.thinking);
      if (last && last.kind === e.type) last.text += text;
      else blocks.push({ kind: e.type, key: `e${e.seq}`, text });
    } else if (e.type === 'tool_call') {
      const block = {
        kind: 'tool' as const,
        key: `e${e.seq}`,
        name: str(e.data.name),
        input: e.data.input,
      };
      tools.set(str(e.data.id), block);
      blocks.push(block);
    } else if (e.type === 'tool_result') {
      const call = tools.get(str(e.data.id));
      const result = { content: str(e.data.content), isError: e.data.isError === true };
      if (call) call.result = result;
      else
        blocks.push({
          kind: 'tool',
          key: `e${e.seq}`,
          name: str(e.data.name),
          input: undefined,
          result,
        });
    } else if (e.type !== 'usage') {
      blocks.push({ kind: 'marker', key: `e${e.seq}`, event: e });
    }
  }
  return blocks;
}

function markerText(e: TaskEvent): string {
  const d = e.data;
  const err = (d.error ?? {}) as { code?: string; message?: string };
  switch (e.type) {
    case 'attempt_started':
      return `Attempt ${e.attempt} started`;
    case 'retry':
      return `Retry ${str(d.attempt)} of ${str(d.model)} in ${Math.round(Number(d.delayMs ?? 0))} ms — ${err.code ?? ''} ${err.message ?? ''}`;
    case 'fallback':
      return `Fell back from ${str(d.from)} to ${str(d.to)} (${str(d.reason)})`;
    case 'compaction':
      return `Context compacted: ${formatInt(Number(d.beforeTokens ?? 0))} → ${formatInt(Number(d.afterTokens ?? 0))} tokens (saved ${formatInt(Number(d.savedTokens ?? 0))})`;
    case 'breaker':
      return `Circuit breaker for ${str(d.model)} is ${str(d.state)}`;
    case 'error':
      return `${err.code ?? 'error'}: ${err.message ?? str(d.message)}`;
    case 'result': {
      const r = (d.result ?? d) as { stopReason?: string; turns?: number; costUsd?: string };
      return `Finished (${r.stopReason ?? 'done'}${r.turns ? `, ${r.turns} turns` : ''}${r.costUsd ? `, ${formatUsd(r.costUsd)}` : ''})`;
    }
    case 'cancelled':
      return `Cancelled${d.reason ? `: ${str(d.reason)}` : ''}`;
    case 'requeued':
      return `Requeued${d.reason ? `: ${str(d.reason)}` : ''}`;
    case 'session':
      return `Session ${d.resumed ? 'resumed' : 'started'}${d.warm ? ' (warm)' : ''}`;
    case 'workspace': {
      const where = d.repository
        ? `a clone of ${str(d.repository)} at ${str(d.ref)}${d.commit ? ` (${str(d.commit).slice(0, 12)})` : ''}`
        : 'an empty folder';
      return `${d.created === false ? 'Workspace reused' : 'Workspace ready'}: ${where} on ${str(d.worker)}`;
    }
    case 'sandbox': {
      if (d.mode === 'off') return str(d.warning) || 'Ran without a sandbox (BATON_SANDBOX=off)';
      const box = (d.sandbox ?? d) as {
        version?: string;
        resources?: string;
        unenforced?: string[];
      };
      const unenforced = box.unenforced?.length
        ? ` · not enforced: ${box.unenforced.join(', ')}`
        : '';
      return `Confined by bubblewrap ${(box.version ?? '').replace(/^bubblewrap\s*/i, '')} (limits through ${box.resources ?? 'rlimits'})${unenforced}`;
    }
    case 'run_result':
      return `Run ended (${str(d.stopReason) || 'done'}${d.turns ? `, ${str(d.turns)} turns` : ''})`;
    default:
      return e.type;
  }
}

function Marker({ event }: { event: TaskEvent }) {
  const unconfined = event.type === 'sandbox' && event.data.mode === 'off';
  const tone =
    event.type === 'error'
      ? 'border-red-200 bg-red-50 text-red-800 dark:border-red-900 dark:bg-red-950/40 dark:text-red-300'
      : RECOVERY.has(event.type) || unconfined
        ? 'border-amber-200 bg-amber-50 text-amber-900 dark:border-amber-900 dark:bg-amber-950/30 dark:text-amber-200'
        : 'border-zinc-200 bg-zinc-50 text-zinc-600 dark:border-zinc-800 dark:bg-zinc-900 dark:text-zinc-400';
  return (
    <div
      data-event={event.type}
      className={cn('flex items-start gap-2 rounded-md border px-3 py-1.5 text-xs', tone)}
    >
      <span className="font-semibold tracking-wide uppercase">{event.type.replace('_', ' ')}</span>
      <span className="min-w-0 break-words">{markerText(event)}</span>
    </div>
  );
}

function Transcript({ events, live }: { events: TaskEvent[]; live: boolean }) {
  const blocks = useMemo(() => toBlocks(events), [events]);
  if (blocks.length === 0) {
    return (
      <EmptyState
        title={live ? 'Waiting for the first event…' : 'No events'}
        description={live ? 'The transcript appears here as the worker streams it.' : undefined}
      />
    );
  }
  return (
    <ol className="space-y-3 p-5" aria-live="polite" aria-relevant="additions text">
      {blocks.map((b) => (
        <li key={b.key}>
          {b.kind === 'text' ? (
            <p data-block="text" className="text-sm leading-relaxed whitespace-pre-wrap">
              {b.text}
            </p>
          ) : b.kind === 'thinking' ? (
            <details className="rounded-md border border-dashed border-zinc-200 px-3 py-2 text-sm text-zinc-500 dark:border-zinc-700 dark:text-zinc-400">
              <summary className="cursor-pointer text-xs font-medium">Thinking</summary>
              <p className="mt-2 whitespace-pre-wrap italic">{b.text}</p>
            </details>
          ) : b.kind === 'tool' ? (
            <details
              data-block="tool"
              className={cn(
                'rounded-md border px-3 py-2 text-sm',
                b.result?.isError
                  ? 'border-red-200 dark:border-red-900'
                  : 'border-zinc-200 dark:border-zinc-700',
              )}
            >
              <summary className="cursor-pointer">
                <span className="font-mono text-xs font-semibold">{b.name || 'tool'}</span>
                <span className="ml-2 text-xs text-zinc-500">
                  {b.result ? (b.result.isError ? 'failed' : 'done') : 'running…'}
                </span>
              </summary>
              {b.input !== undefined ? (
                <pre className="mt-2 max-h-64 overflow-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-950">
                  {str(b.input)}
                </pre>
              ) : null}
              {b.result ? (
                <pre className="mt-2 max-h-64 overflow-auto rounded bg-zinc-50 p-2 font-mono text-xs dark:bg-zinc-950">
                  {b.result.content}
                </pre>
              ) : null}
            </details>
          ) : b.kind === 'marker' ? (
            <Marker event={b.event} />
          ) : null}
        </li>
      ))}
    </ol>
  );
}

function Stat({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-zinc-500 dark:text-zinc-400">{label}</dt>
      <dd className="mt-0.5 text-sm font-medium tabular">{value}</dd>
    </div>
  );
}

/** A task's timeout as the submit form takes it: minutes, or seconds under one. */
function formatTimeout(ms: number): string {
  return ms < 60_000
    ? `${Math.round(ms / 1000)} s`
    : `${Math.round((ms / 60_000) * 100) / 100} min`;
}

/** What a claude-code task asked for at submit (`options`): its ref, tools and turn limit. */
function ClaudeCodeStats({ options }: { options: unknown }) {
  const o = (options ?? {}) as { ref?: unknown; tools?: unknown; maxTurns?: unknown };
  const tools = Array.isArray(o.tools) ? o.tools.filter((t) => typeof t === 'string') : null;
  return (
    <>
      <Stat
        label="Ref"
        value={
          <span className="font-mono text-xs">{typeof o.ref === 'string' ? o.ref : 'none'}</span>
        }
      />
      <Stat label="Max turns" value={typeof o.maxTurns === 'number' ? o.maxTurns : '—'} />
      <div className="col-span-2">
        <Stat
          label="Tools asked for"
          value={
            <span className="font-mono text-xs">{tools ? tools.join(', ') : "the team's"}</span>
          }
        />
      </div>
    </>
  );
}

function ChildTree({ teamId, taskId }: { teamId: string; taskId: string }) {
  const trpc = useTRPC();
  const children = useQuery(trpc.task.children.queryOptions({ teamId, taskId }));
  if (children.isPending) return <Skeleton className="m-5 h-4 w-1/2" />;
  if (children.isError)
    return <ErrorState error={children.error} onRetry={() => children.refetch()} />;
  if (children.data.length === 0) return null;
  return (
    <Card>
      <CardHeader title="Child tasks" description="Agents this task started, as a tree." />
      <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
        {children.data.map((c) => (
          <li
            key={c.id}
            className="flex items-center gap-2 py-2 pr-5 text-sm"
            style={{ paddingLeft: `${c.depth * 1.25}rem` }}
          >
            <span aria-hidden="true" className="text-zinc-300 dark:text-zinc-600">
              └
            </span>
            <Link
              href={`/teams/${teamId}/tasks/${c.id}`}
              className="min-w-0 flex-1 truncate hover:underline"
            >
              {c.title || c.promptPreview}
            </Link>
            <StatusBadge status={c.status} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function TaskDetail({ teamId, taskId }: { teamId: string; taskId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  const initial = useQuery(trpc.task.byId.queryOptions({ teamId, taskId }));
  const [live, setLive] = useState<{
    events: TaskEvent[];
    task: Partial<{
      status: TaskStatus;
      statusReason: string | null;
      attempts: number;
      result: string | null;
      finishedAt: Date | null;
      cancelRequestedAt: Date | null;
    }>;
    usage: Usage | null;
  }>({ events: [], task: {}, usage: null });

  const afterSeq = initial.data?.events.at(-1)?.seq ?? 0;
  const sub = useSubscription(
    trpc.task.watch.subscriptionOptions(initial.data ? { teamId, taskId, afterSeq } : skipToken, {
      // The stream stays open after the task finishes, so a retry's events arrive too.
      onData: ({ data }) => {
        setLive((prev) =>
          data.kind === 'event'
            ? prev.events.some((e) => e.seq === data.event.seq)
              ? prev
              : { ...prev, events: [...prev.events, data.event as TaskEvent] }
            : { ...prev, task: data.task, usage: data.usage },
        );
      },
    }),
  );

  const cancel = useMutation(
    trpc.task.cancel.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.task.pathKey() }),
    }),
  );
  const retry = useMutation(
    trpc.task.retry.mutationOptions({
      onSuccess: () => {
        setLive((prev) => ({ ...prev, task: { ...prev.task, status: 'queued' } }));
      },
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.task.pathKey() }),
    }),
  );

  if (initial.isPending) return <TaskDetailSkeleton />;
  if (initial.isError) {
    return (
      <Card>
        <ErrorState
          title="Task unavailable"
          error={initial.error}
          onRetry={() => initial.refetch()}
          retrying={initial.isFetching}
        />
      </Card>
    );
  }
  const base = initial.data.task;
  const task = { ...base, ...live.task };
  const events = [...initial.data.events, ...live.events.filter((e) => e.seq > afterSeq)];
  const usage = live.usage;
  const terminal = TERMINAL.includes(task.status);
  const canAct = team.data ? roleAtLeast(team.data.role, 'member') : false;
  const actionError = cancel.error ?? retry.error;

  return (
    <div className="space-y-4">
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-2">
            <span className="min-w-0 break-words">{task.title || base.prompt.slice(0, 80)}</span>
            <StatusBadge status={task.status} />
          </span>
        }
        description={
          <>
            <Link href={`/teams/${teamId}/tasks`} className="hover:underline">
              {team.data?.name ?? 'Tasks'}
            </Link>{' '}
            · <span className="font-mono">{shortId(base.id)}</span> · submitted{' '}
            <RelativeTime date={base.createdAt} />
            {task.statusReason ? <> · {task.statusReason}</> : null}
          </>
        }
        actions={
          canAct ? (
            <>
              {!terminal ? (
                <Button
                  variant="danger"
                  onClick={() => cancel.mutate({ teamId, taskId })}
                  disabled={cancel.isPending || Boolean(task.cancelRequestedAt)}
                >
                  {task.cancelRequestedAt ? 'Cancelling…' : 'Cancel task'}
                </Button>
              ) : null}
              {terminal && task.status !== 'succeeded' ? (
                <Button onClick={() => retry.mutate({ teamId, taskId })} disabled={retry.isPending}>
                  {retry.isPending ? 'Retrying…' : 'Retry'}
                </Button>
              ) : null}
            </>
          ) : null
        }
      />
      {actionError ? <FormAlert>{errorMessage(actionError)}</FormAlert> : null}
      <div className="grid gap-4 lg:grid-cols-[1fr_18rem]">
        <div className="min-w-0 space-y-4">
          {base.rootTaskId ? (
            <AgentTree teamId={teamId} rootId={base.rootTaskId} taskId={taskId} canAct={canAct} />
          ) : null}
          <Card>
            <CardHeader
              title="Transcript"
              description={
                sub.status === 'error'
                  ? 'Live updates interrupted — reconnecting…'
                  : terminal
                    ? 'Finished.'
                    : sub.status === 'pending'
                      ? 'Live'
                      : 'Connecting…'
              }
              action={
                !terminal && sub.status === 'pending' ? (
                  <span className="flex items-center gap-1.5 text-xs text-brand-600 dark:text-brand-100">
                    <span
                      className="size-1.5 animate-pulse rounded-full bg-brand-500"
                      aria-hidden="true"
                    />
                    Streaming
                  </span>
                ) : null
              }
            />
            <Transcript events={events} live={!terminal} />
          </Card>
          {base.backend === 'claude-code' ? (
            <TaskWorkspace
              teamId={teamId}
              taskId={taskId}
              status={task.status}
              terminal={terminal}
            />
          ) : null}
          {base.rootTaskId ? null : <ChildTree teamId={teamId} taskId={taskId} />}
        </div>
        <div className="space-y-4">
          <Card>
            <CardHeader title="Usage" description="Updates as responses arrive." />
            <dl className="grid grid-cols-2 gap-4 p-5" data-testid="usage">
              <Stat label="Cost" value={usage ? formatUsd(usage.costUsd) : '—'} />
              <Stat label="Requests" value={usage ? formatInt(usage.requests) : '—'} />
              <Stat label="Input" value={usage ? formatInt(usage.inputTokens) : '—'} />
              <Stat
                label="Output"
                value={
                  usage ? (
                    usage.estimated > 0 ? (
                      <span
                        data-testid="output-estimated"
                        title={`${usage.estimated} response${usage.estimated === 1 ? ' was' : 's were'} cut off before the provider's final count: the output streamed so far is estimated.`}
                      >
                        ≈ {formatInt(usage.outputTokens)}
                        <span className="ml-1 text-xs font-normal text-zinc-500 dark:text-zinc-400">
                          ({usage.estimated} estimated)
                        </span>
                      </span>
                    ) : (
                      formatInt(usage.outputTokens)
                    )
                  ) : (
                    '—'
                  )
                }
              />
              <Stat label="Cache write" value={usage ? formatInt(usage.cacheWriteTokens) : '—'} />
              <Stat label="Cache read" value={usage ? formatInt(usage.cacheReadTokens) : '—'} />
            </dl>
          </Card>
          <Card>
            <CardHeader title="Details" />
            <dl className="grid grid-cols-2 gap-4 p-5">
              <Stat label="Backend" value={<Badge>{base.backend}</Badge>} />
              <Stat label="Attempts" value={`${task.attempts}/${base.maxAttempts}`} />
              <Stat label="Model" value={<span className="font-mono text-xs">{base.model}</span>} />
              <Stat label="Priority" value={base.priority} />
              <Stat
                label="Fallbacks"
                value={
                  <span className="font-mono text-xs">
                    {base.fallbackModels.length ? base.fallbackModels.join(', ') : '—'}
                  </span>
                }
              />
              <Stat label="Budget" value={base.budgetUsd ? formatUsd(base.budgetUsd) : '—'} />
              <Stat
                label="Timeout"
                value={base.timeoutMs ? formatTimeout(base.timeoutMs) : "the worker's (30 min)"}
              />
              {base.backend === 'claude-code' ? <ClaudeCodeStats options={base.options} /> : null}
            </dl>
          </Card>
          <Card>
            <CardHeader title="Prompt" />
            <p className="max-h-64 overflow-auto p-5 font-mono text-xs whitespace-pre-wrap">
              {base.prompt}
            </p>
          </Card>
        </div>
      </div>
    </div>
  );
}

export function TaskDetailSkeleton() {
  return (
    <div className="space-y-4">
      <div className="mb-6 space-y-2">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-4 w-96 max-w-full" />
      </div>
      <div className="grid gap-4 lg:grid-cols-[1fr_18rem]">
        <Card>
          <div className="space-y-3 p-5">
            <Skeleton className="h-4 w-full" />
            <Skeleton className="h-4 w-5/6" />
            <Skeleton className="h-4 w-2/3" />
          </div>
        </Card>
        <Card>
          <div className="space-y-3 p-5">
            <Skeleton className="h-4 w-full" />
            <Skeleton className="h-4 w-1/2" />
          </div>
        </Card>
      </div>
    </div>
  );
}
