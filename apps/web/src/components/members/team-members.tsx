'use client';

import type { RouterOutputs } from '@baton/api';
import type { Role } from '@baton/db/schema';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/trpc/react';
import { Badge } from '../ui/badges';
import { Card, CardSection, PageHeader } from '../ui/card';
import { Button, FormAlert, FormField, fieldErrorsOf, inputClass } from '../ui/form';
import { FormSection, SubmitRow } from '../ui/form-section';
import { ListRow, QueryList } from '../ui/list';
import { RelativeTime } from '../ui/relative-time';
import { roleAtLeast } from '../ui/roles';
import { Skeleton } from '../ui/skeleton';
import { ErrorState, errorMessage } from '../ui/states';
import { assignableRoles, canManageMember, EXPIRY_OPTIONS, ROLE_HINT } from './rules';

type Member = RouterOutputs['team']['members'][number];
type Invitation = RouterOutputs['invitation']['list'][number];

const ROLE_TONE = { owner: 'brand', admin: 'ok', member: 'neutral', viewer: 'neutral' } as const;
const STATUS_TONE = {
  pending: 'brand',
  accepted: 'ok',
  revoked: 'neutral',
  expired: 'warn',
} as const;

function MemberRow({
  teamId,
  member,
  actorRole,
  isSelf,
  onError,
}: {
  teamId: string;
  member: Member;
  actorRole: Role;
  isSelf: boolean;
  onError: (error: unknown) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: trpc.team.members.queryKey({ teamId }) }),
      qc.invalidateQueries({ queryKey: trpc.team.pathKey() }),
    ]);
  const setRole = useMutation(
    trpc.team.setRole.mutationOptions({ onSuccess: refresh, onError: (e) => onError(e) }),
  );
  const remove = useMutation(
    trpc.team.removeMember.mutationOptions({ onSuccess: refresh, onError: (e) => onError(e) }),
  );
  const manageable = canManageMember(actorRole, member.role);
  const label = member.name || member.email;
  return (
    <ListRow
      actions={
        <div className="flex shrink-0 flex-wrap items-center gap-2">
          {manageable ? (
            <select
              aria-label={`Role of ${label}`}
              value={member.role}
              disabled={setRole.isPending}
              onChange={(e) => {
                onError(null);
                setRole.mutate({ teamId, userId: member.userId, role: e.target.value as Role });
              }}
              className="rounded-md border border-zinc-300 bg-white px-2.5 py-1.5 text-sm text-zinc-900 shadow-xs outline-none focus:border-brand-500 focus:ring-2 focus:ring-brand-500/25 disabled:opacity-60 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
            >
              {assignableRoles(actorRole).map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          ) : (
            <Badge tone={ROLE_TONE[member.role]}>{member.role}</Badge>
          )}
          {manageable ? (
            confirming ? (
              <>
                <Button
                  variant="danger"
                  disabled={remove.isPending}
                  onClick={() => {
                    onError(null);
                    remove.mutate(
                      { teamId, userId: member.userId },
                      { onSettled: () => setConfirming(false) },
                    );
                  }}
                >
                  {remove.isPending ? 'Removing…' : `Remove ${isSelf ? 'me' : label}`}
                </Button>
                <Button onClick={() => setConfirming(false)}>Cancel</Button>
              </>
            ) : (
              <Button variant="danger" onClick={() => setConfirming(true)}>
                Remove<span className="sr-only"> {label}</span>
              </Button>
            )
          ) : null}
        </div>
      }
    >
      <p className="truncate font-medium">
        {label}
        {isSelf ? <span className="ml-1.5 text-xs font-normal text-zinc-500">(you)</span> : null}
      </p>
      <p className="truncate text-xs text-zinc-500 dark:text-zinc-400">
        {member.email} · joined <RelativeTime date={member.joinedAt} />
      </p>
    </ListRow>
  );
}

function Members({ teamId, actorRole }: { teamId: string; actorRole: Role }) {
  const trpc = useTRPC();
  const members = useQuery(trpc.team.members.queryOptions({ teamId }));
  const me = useQuery(trpc.system.me.queryOptions());
  const [error, setError] = useState<unknown>(null);
  return (
    <QueryList
      query={members}
      skeletonClassName="h-24"
      label="Members"
      alert={error}
      footer={
        roleAtLeast(actorRole, 'admin') ? null : (
          <p className="border-t border-zinc-100 px-5 py-3 text-xs text-zinc-500 dark:border-zinc-800">
            Admins and owners manage members; you are {actorRole}.
          </p>
        )
      }
    >
      {(m) => (
        <MemberRow
          key={m.userId}
          teamId={teamId}
          member={m}
          actorRole={actorRole}
          isSelf={me.data?.id === m.userId}
          onError={setError}
        />
      )}
    </QueryList>
  );
}

function InviteForm({ teamId, actorRole }: { teamId: string; actorRole: Role }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const [copied, setCopied] = useState(false);
  const create = useMutation(
    trpc.invitation.create.mutationOptions({
      onSuccess: () =>
        qc.invalidateQueries({ queryKey: trpc.invitation.list.queryKey({ teamId }) }),
    }),
  );
  const errors = fieldErrorsOf(create.error);
  const link =
    create.data && typeof window !== 'undefined'
      ? `${window.location.origin}${create.data.path}`
      : null;
  function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const d = new FormData(form);
    const email = String(d.get('email') ?? '').trim();
    setCopied(false);
    create.mutate(
      {
        teamId,
        role: String(d.get('role')) as Role,
        ...(email ? { email } : {}),
        expiresInHours: Number(d.get('expiresInHours')),
      },
      { onSuccess: () => form.reset() },
    );
  }
  return (
    <div className="space-y-4 p-5">
      <FormSection
        onSubmit={onSubmit}
        alerts={
          create.error && Object.keys(errors).length === 0 ? (
            <FormAlert>{errorMessage(create.error)}</FormAlert>
          ) : null
        }
        footer={
          <SubmitRow
            label="Create invitation link"
            pendingLabel="Creating…"
            pending={create.isPending}
          />
        }
      >
        <div className="grid gap-4 sm:grid-cols-3">
          <FormField
            id={`${id}-role`}
            label="Role"
            error={errors.role}
            hint={actorRole === 'owner' ? undefined : ROLE_HINT}
          >
            {(aria) => (
              <select
                {...aria}
                name="role"
                defaultValue="member"
                className={inputClass(errors.role)}
              >
                {assignableRoles(actorRole).map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <FormField
            id={`${id}-email`}
            label="Email (optional)"
            error={errors.email}
            hint="Only this person can use the link."
          >
            {(aria) => (
              <input
                {...aria}
                name="email"
                type="email"
                autoComplete="off"
                placeholder="anyone with the link"
                className={inputClass(errors.email)}
              />
            )}
          </FormField>
          <FormField id={`${id}-expiresInHours`} label="Expires in" error={errors.expiresInHours}>
            {(aria) => (
              <select
                {...aria}
                name="expiresInHours"
                defaultValue={String(7 * 24)}
                className={inputClass(errors.expiresInHours)}
              >
                {EXPIRY_OPTIONS.map(([hours, label]) => (
                  <option key={hours} value={hours}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </FormField>
        </div>
      </FormSection>
      {link && create.data ? (
        <output
          className="block rounded-lg border border-emerald-200 bg-emerald-50 p-4 text-sm dark:border-emerald-900 dark:bg-emerald-950/30"
          aria-live="polite"
        >
          <p className="font-medium text-emerald-900 dark:text-emerald-200">
            Invitation link for a {create.data.role}
            {create.data.email ? ` (${create.data.email})` : ''} — copy it now: it is shown only
            once.
          </p>
          <div className="mt-2 flex flex-col gap-2 sm:flex-row">
            <input
              readOnly
              aria-label="Invitation link"
              value={link}
              onFocus={(e) => e.currentTarget.select()}
              className={`${inputClass()} font-mono text-xs`}
            />
            <Button
              className="shrink-0 whitespace-nowrap"
              onClick={() => {
                void navigator.clipboard?.writeText(link).then(
                  () => setCopied(true),
                  () => setCopied(false),
                );
              }}
            >
              {copied ? 'Copied' : 'Copy link'}
            </Button>
          </div>
          <p className="mt-2 text-xs text-emerald-800 dark:text-emerald-300">
            Valid until {create.data.expiresAt.toLocaleString()}; single use.
          </p>
        </output>
      ) : null}
    </div>
  );
}

function InvitationRow({
  teamId,
  invitation,
  canRevoke,
  onError,
}: {
  teamId: string;
  invitation: Invitation;
  canRevoke: boolean;
  onError: (error: unknown) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const revoke = useMutation(
    trpc.invitation.revoke.mutationOptions({
      onSuccess: () =>
        qc.invalidateQueries({ queryKey: trpc.invitation.list.queryKey({ teamId }) }),
      onError: (e) => onError(e),
    }),
  );
  const who = invitation.email ?? 'anyone with the link';
  return (
    <ListRow
      actions={
        <div className="flex shrink-0 items-center gap-2">
          <Badge tone={STATUS_TONE[invitation.status]}>{invitation.status}</Badge>
          {canRevoke && invitation.status === 'pending' ? (
            <Button
              variant="danger"
              disabled={revoke.isPending}
              onClick={() => {
                onError(null);
                revoke.mutate({ teamId, invitationId: invitation.id });
              }}
            >
              Revoke<span className="sr-only"> invitation for {who}</span>
            </Button>
          ) : null}
        </div>
      }
    >
      <p className="truncate">
        <span className="font-medium">{invitation.role}</span> · {who}
      </p>
      <p className="text-xs text-zinc-500 dark:text-zinc-400">
        {invitation.status === 'accepted' && invitation.acceptedAt ? (
          <>
            joined by {invitation.acceptedByName ?? 'a deleted user'}{' '}
            <RelativeTime date={invitation.acceptedAt} />
          </>
        ) : invitation.status === 'revoked' && invitation.revokedAt ? (
          <>
            revoked <RelativeTime date={invitation.revokedAt} />
          </>
        ) : (
          <>
            {invitation.status === 'expired' ? 'expired' : 'expires'}{' '}
            <RelativeTime date={invitation.expiresAt} />
          </>
        )}
        {invitation.createdByName ? ` · by ${invitation.createdByName}` : ''}
      </p>
    </ListRow>
  );
}

function Invitations({ teamId, actorRole }: { teamId: string; actorRole: Role }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.invitation.list.queryOptions({ teamId }));
  const [error, setError] = useState<unknown>(null);
  return (
    <QueryList
      query={list}
      skeletonClassName="h-16"
      empty={{
        title: 'No invitations',
        description: 'Links you create appear here with their status.',
      }}
      label="Invitations"
      alert={error}
    >
      {(inv) => (
        <InvitationRow
          key={inv.id}
          teamId={teamId}
          invitation={inv}
          canRevoke={canManageMember(actorRole, inv.role)}
          onError={setError}
        />
      )}
    </QueryList>
  );
}

export function TeamMembersSkeleton() {
  return (
    <div className="space-y-4" aria-busy="true">
      <span role="status" className="sr-only">
        Loading members…
      </span>
      <Skeleton className="h-7 w-48" />
      <Skeleton className="h-40" />
      <Skeleton className="h-32" />
    </div>
  );
}

export function TeamMembers({ teamId }: { teamId: string }) {
  const trpc = useTRPC();
  const team = useQuery(trpc.team.get.queryOptions({ teamId }));
  if (team.isPending) return <TeamMembersSkeleton />;
  if (team.isError) {
    return (
      <Card>
        <ErrorState
          title="Members unavailable"
          error={team.error}
          onRetry={() => void team.refetch()}
        />
      </Card>
    );
  }
  const role = team.data.role;
  const admin = roleAtLeast(role, 'admin');
  return (
    <div className="space-y-4">
      <PageHeader
        title={`${team.data.name} members`}
        description={`${team.data.memberCount} ${team.data.memberCount === 1 ? 'member' : 'members'} · you are ${role}.`}
      />
      <CardSection
        title="Members"
        description="Owners manage everything, admins manage members below owner, members submit tasks, viewers only look."
      >
        <Members teamId={teamId} actorRole={role} />
      </CardSection>
      {admin ? (
        <CardSection
          title="Invite by link"
          description="Anyone signed in who opens the link joins with the role you choose. Single use; revocable until used."
        >
          <InviteForm teamId={teamId} actorRole={role} />
        </CardSection>
      ) : null}
      <CardSection title="Invitations" description="Links created for this team, newest first.">
        <Invitations teamId={teamId} actorRole={role} />
      </CardSection>
    </div>
  );
}
