'use client';

import type { RouterOutputs } from '@baton/api';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { FormSection, SubmitRow } from '../ui/form-section';
import { shortId } from '../ui/format';
import { RelativeTime } from '../ui/relative-time';
import { Skeleton } from '../ui/skeleton';
import { ErrorState, errorMessage } from '../ui/states';
import { DataTable, Td } from '../ui/table';
import { claudeMcpAddCommand } from './mcp-command';

type McpToken = RouterOutputs['mcpToken']['list'][number];

function CopyBox({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="flex flex-col gap-2 sm:flex-row">
      <input
        readOnly
        aria-label={label}
        value={value}
        onFocus={(e) => e.currentTarget.select()}
        className={`${inputClass()} font-mono text-xs`}
      />
      <Button
        className="shrink-0 whitespace-nowrap"
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? 'Copied' : 'Copy'}
        <span className="sr-only"> {label}</span>
      </Button>
    </div>
  );
}

function RevokeToken({ teamId, token }: { teamId: string; token: McpToken }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation(
    trpc.mcpToken.revoke.mutationOptions({
      onSettled: () => qc.invalidateQueries({ queryKey: trpc.mcpToken.list.queryKey({ teamId }) }),
    }),
  );
  return (
    <div className="flex flex-col items-end gap-1">
      {confirming ? (
        <div className="flex justify-end gap-2">
          <Button
            variant="danger"
            disabled={revoke.isPending}
            onClick={() =>
              revoke.mutate(
                { teamId, tokenId: token.id },
                { onSettled: () => setConfirming(false) },
              )
            }
          >
            {revoke.isPending ? 'Revoking…' : `Yes, revoke ${token.name}`}
          </Button>
          <Button onClick={() => setConfirming(false)}>Keep</Button>
        </div>
      ) : (
        <Button variant="danger" onClick={() => setConfirming(true)}>
          Revoke<span className="sr-only"> {token.name}</span>
        </Button>
      )}
      {revoke.error ? (
        <p role="alert" className="text-xs text-bad">
          {errorMessage(revoke.error)}
        </p>
      ) : null}
    </div>
  );
}

/** The token just created, shown this once, with the line that gives it to Claude Code. */
function NewToken({ token, name }: { token: string; name: string }) {
  const [host, setHost] = useState('127.0.0.1');
  useEffect(() => setHost(window.location.hostname || '127.0.0.1'), []);
  return (
    <output
      data-testid="new-mcp-token"
      className="block space-y-2 rounded-lg border border-emerald-200 bg-emerald-50 p-4 text-sm dark:border-emerald-900 dark:bg-emerald-950/30"
      aria-live="polite"
    >
      <p className="font-medium text-emerald-900 dark:text-emerald-200">
        Token “{name}” — copy it now: it won't be shown again. Only its hash is kept.
      </p>
      <CopyBox label="MCP token" value={token} />
      <p className="text-xs text-emerald-800 dark:text-emerald-300">Give it to Claude Code with:</p>
      <CopyBox label="Claude Code command" value={claudeMcpAddCommand(host, token)} />
    </output>
  );
}

function TokenTable({ teamId, tokens }: { teamId: string; tokens: readonly McpToken[] }) {
  return (
    <DataTable
      head={['Name', 'Prefix', 'Created by', 'Created', 'Last used', 'Status', '']}
      rows={tokens}
      empty={{
        title: 'No MCP tokens',
        description:
          'Create one below to let Claude Code (or any MCP client) drive this team’s agents.',
      }}
    >
      {(t) => (
        <tr key={t.id} data-token={t.id} data-token-name={t.name}>
          <Td className="font-medium">
            {t.name}
            {t.taskId ? (
              <span className="ml-2 text-xs font-normal text-zinc-500 dark:text-zinc-400">
                for task{' '}
                <Link
                  href={`/teams/${teamId}/tasks/${t.taskId}`}
                  className="font-mono hover:underline"
                >
                  {shortId(t.taskId)}
                </Link>
              </span>
            ) : null}
          </Td>
          <Td className="text-right font-mono text-xs">{t.prefix}…</Td>
          <Td className="text-right">{t.createdBy ?? '—'}</Td>
          <Td className="text-right">
            <RelativeTime date={new Date(t.createdAt)} />
          </Td>
          <Td className="text-right">
            <span data-testid="token-last-used">
              {t.lastUsedAt ? <RelativeTime date={new Date(t.lastUsedAt)} /> : 'never'}
            </span>
          </Td>
          <Td className="text-right">
            <span data-testid="token-status">
              {t.revokedAt ? (
                <Badge tone="bad">revoked</Badge>
              ) : t.expiresAt && new Date(t.expiresAt).getTime() <= Date.now() ? (
                <Badge tone="warn">expired</Badge>
              ) : (
                <Badge tone="ok">active</Badge>
              )}
            </span>
          </Td>
          <Td className="text-right">
            {t.revokedAt ? null : <RevokeToken teamId={teamId} token={t} />}
          </Td>
        </tr>
      )}
    </DataTable>
  );
}

/**
 * The team's bearer tokens for Baton's MCP server (admins): listed with their last use, created
 * (the token shown once) and revoked. Others see what the tokens are for, not the tokens.
 */
export function McpTokens({ teamId, isAdmin }: { teamId: string; isAdmin: boolean }) {
  if (!isAdmin)
    return (
      <p className="p-5 text-sm text-zinc-500 dark:text-zinc-400">
        Admins and owners create and revoke this team's MCP tokens.
      </p>
    );
  return <McpTokensAdmin teamId={teamId} />;
}

function McpTokensAdmin({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const list = useQuery(trpc.mcpToken.list.queryOptions({ teamId }));
  const create = useMutation(
    trpc.mcpToken.create.mutationOptions({
      onSettled: () => qc.invalidateQueries({ queryKey: trpc.mcpToken.list.queryKey({ teamId }) }),
    }),
  );
  const errors = fieldErrorsOf(create.error);
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    create.mutate({ teamId, name: String(d.get('name') ?? '') }, { onSuccess: () => form.reset() });
  }
  return (
    <>
      {list.isPending ? (
        <Skeleton className="m-5 h-16" />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <TokenTable teamId={teamId} tokens={list.data} />
      )}
      <FormSection
        onSubmit={onSubmit}
        className="border-t border-zinc-100 p-5 dark:border-zinc-800"
        alerts={
          create.error && !errors.name ? <FormAlert>{errorMessage(create.error)}</FormAlert> : null
        }
        footer={
          <SubmitRow label="Create token" pendingLabel="Creating…" pending={create.isPending} />
        }
      >
        <FormField
          id={`${id}-name`}
          label="Token name"
          error={errors.name}
          hint="Who or what uses it, e.g. “Ada's laptop”."
          className="max-w-md"
        >
          {(aria) => <input {...aria} name="name" className={inputClass(errors.name)} />}
        </FormField>
      </FormSection>
      {create.data ? (
        <div className="px-5 pb-5">
          <NewToken token={create.data.token} name={create.data.name} />
        </div>
      ) : null}
    </>
  );
}
