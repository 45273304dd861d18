/**
 * Input hardening (issue 14): every procedure of `appRouter`, enumerated from the router
 * itself, is called through a caller on a real database with inputs generated from its zod
 * schema (arbitrary and adversarial: wrong types, huge strings, unicode and NUL bytes,
 * negative/NaN/huge numbers, invalid dates, extra keys, deep nesting). Each call either succeeds
 * or is refused with a typed error — never INTERNAL_SERVER_ERROR. A BAD_REQUEST carries a
 * message for a field (or the whole form) as the one errorFormatter shapes it, and a refused
 * mutation writes nothing (every table's content is the same before and after).
 */
import { randomUUID } from 'node:crypto';
import { createBoss, type PgBoss } from '@baton/db/queue';
import { type RunningSimulator, startSimulator } from '@baton/simulator';
import { TRPCError } from '@trpc/server';
import { getErrorShape } from '@trpc/server/unstable-core-do-not-import';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AppError, isAppError, TRPC_CODE_OF } from '../src/errors';
import { appRouter, createCaller, createTRPCContext } from '../src/index';
import { setOperator } from '../src/operator';
import { addRepository } from '../src/repositories';
import type { AuthSession } from '../src/trpc';
import { procedureInput } from './arbitrary-input';
import { makeRepoFixture, type RepoFixture } from './git-fixture';
import { callerFor, type Harness, makeTeam, makeUser, SECRET, setupHarness } from './harness';

/** Runs per procedure: ~60 procedures, the whole file well under a minute. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 25);
const KEY = 'sk-ant-api03-property-test-key-0123456789';

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  inputs: z.ZodType[];
}
const procedures = Object.entries(
  (appRouter as unknown as { _def: { procedures: Record<string, { _def: ProcedureDef }> } })._def
    .procedures,
).map(([path, p]) => ({ path, type: p._def.type, inputs: p._def.inputs }));

let h: Harness;
let boss: PgBoss;
let sim: RunningSimulator;
let fx: RepoFixture;
let owner: AuthSession;
let ids: string[];
let strings: string[];
let tableQuery: string;
let byKey: Record<string, unknown[]>;

beforeAll(async () => {
  h = await setupHarness();
  boss = await createBoss(h.database.url, { supervise: false, max: 2 });
  sim = await startSimulator({ port: 0, apiKeys: [KEY] });
  fx = makeRepoFixture();
  owner = await makeUser(h, 'Olive Owner');
  const member = await makeUser(h, 'Max Member');
  await setOperator(h.client.db, owner.user.email, true);
  const teamId = await makeTeam(h, 'props', [
    [owner, 'owner'],
    [member, 'member'],
  ]);
  const repo = await addRepository(
    h.client.db,
    teamId,
    { name: 'app', source: fx.app.path, defaultRef: 'main' },
    { repoRoots: [fx.root] },
  );
  const api = await as(owner);
  const task = await api.task.submit({
    teamId,
    prompt: 'Say hi',
    backend: 'api',
    model: 'claude-sonnet-5',
  });
  const invitation = await api.invitation.create({ teamId, role: 'member', expiresInHours: 24 });
  const rule = await api.settings.createAlertRule({
    teamId,
    name: 'Spend',
    metric: 'cost_per_day_usd',
    threshold: 10,
    windowMinutes: 60,
  });
  const credential = await api.settings.saveCredential({ teamId, label: 'main', apiKey: KEY });
  byKey = {
    teamId: [teamId],
    taskId: [task.id],
    repositoryId: [repo.id],
    repository: ['app'],
    invitationId: [invitation.id],
    token: [invitation.token],
    ruleId: [rule.id],
    credentialId: [credential.id],
    userId: [member.user.id],
    model: ['claude-sonnet-5'],
    apiKey: [KEY],
    label: ['main', 'second'],
  };
  ids = [teamId, task.id, repo.id, invitation.id, rule.id, credential.id, randomUUID()];
  strings = [
    member.user.id,
    'app',
    'main',
    'v1',
    fx.app.path,
    fx.link,
    'claude-sonnet-5',
    invitation.token,
    KEY,
    'Read',
    'Bash',
    'claude-code',
    '2026-01-01T00:00:00.000Z',
  ];
  const tables = await h.client.pool.query<{ name: string }>(
    `select format('%I.%I', schemaname, tablename) as name from pg_tables
      where schemaname in ('public', 'pgboss')
        -- pg-boss's own bookkeeping (maintenance times), written on its schedule, not by a call
        and (schemaname, tablename) <> ('pgboss', 'version')
      order by 1`,
  );
  tableQuery = tables.rows
    .map(
      (t) =>
        `select ${`'${t.name}'`} as t, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${t.name} x`,
    )
    .join(' union all ');
});

afterAll(async () => {
  await boss?.stop({ graceful: false });
  await sim?.close();
  fx?.cleanup();
  await h?.close();
});

function as(session: AuthSession) {
  return callerFor(h, session, {
    boss: async () => boss,
    repoRoots: [fx.root],
    secret: SECRET,
    anthropicBaseUrl: sim.url,
  });
}

/** Every table's content, as one hash per table. */
async function snapshot(): Promise<Record<string, string>> {
  const res = await h.client.db.execute(sql.raw(tableQuery));
  return Object.fromEntries((res.rows as { t: string; h: string }[]).map((r) => [r.t, r.h]));
}

async function invoke(path: string, type: ProcedureDef['type'], input: unknown): Promise<void> {
  // The signal ends a started subscription (its loop waits on it between polls).
  const abort = new AbortController();
  const ctx = await createTRPCContext({
    headers: new Headers(),
    client: h.client,
    databaseUrl: h.database.url,
    session: owner,
    boss: async () => boss,
    repoRoots: [fx.root],
    secret: SECRET,
    anthropicBaseUrl: sim.url,
    anthropicApiKey: KEY,
  });
  const caller = createCaller(ctx, { signal: abort.signal }) as unknown as Record<string, unknown>;
  const fn = path
    .split('.')
    .reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], caller) as (
    i: unknown,
  ) => Promise<unknown>;
  const result = await fn(input);
  if (type !== 'subscription') return;
  // A subscription that started: its first item (or its refusal), then it is stopped.
  const iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  try {
    await iterator.next();
  } catch (err) {
    // Thrown while streaming, past the middleware: the formatter reports an AppError's code and
    // meta (`data.appError`); anything else is an internal error.
    if (isAppError(err))
      throw new TRPCError({ code: TRPC_CODE_OF[err.code], message: err.message, cause: err });
    throw err;
  } finally {
    abort.abort();
    await iterator.return?.();
  }
}

/** How a call ended: `ok`, `input` (refused by its zod schema) or the error's code. */
type Outcome = string;

/** Checks one call: success or a clear typed refusal, and a refused mutation wrote nothing. */
async function check(path: string, type: ProcedureDef['type'], input: unknown): Promise<Outcome> {
  if (process.env.PROPERTY_TRACE)
    process.stderr.write(`${path} ${String(JSON.stringify(input) ?? input).slice(0, 300)}\n`);
  const before = type === 'mutation' ? await snapshot() : null;
  let error: unknown;
  try {
    await invoke(path, type, input);
    return 'ok';
  } catch (err) {
    error = err;
  }
  expect(error, `not a TRPCError: ${String(error)}`).toBeInstanceOf(TRPCError);
  const trpcError = error as TRPCError;
  expect(
    trpcError.code,
    `${path} failed internally: ${trpcError.message}\n${String((trpcError.cause as Error | undefined)?.stack ?? '')}`,
  ).not.toBe('INTERNAL_SERVER_ERROR');
  const shape = getErrorShape({
    config: (appRouter as unknown as { _def: { _config: never } })._def._config,
    error: trpcError,
    type,
    path,
    input,
    ctx: undefined,
  }) as {
    message: string;
    data: {
      zodError: { formErrors: string[]; fieldErrors: Record<string, string[]> } | null;
      appError: { code: string; meta: { field?: string } | null } | null;
    };
  };
  expect(shape.message.length).toBeGreaterThan(0);
  if (trpcError.code === 'BAD_REQUEST') {
    const messages = shape.data.zodError
      ? [
          ...shape.data.zodError.formErrors,
          ...Object.values(shape.data.zodError.fieldErrors).flat(),
        ]
      : shape.data.appError
        ? [shape.message]
        : [];
    expect(messages.length, `${path}: a BAD_REQUEST without a field message`).toBeGreaterThan(0);
    for (const m of messages) expect(m.trim().length).toBeGreaterThan(0);
  }
  if (before) expect(await snapshot(), `${path} was refused but wrote`).toEqual(before);
  return shape.data.zodError ? 'input' : trpcError.code;
}

describe('every procedure: arbitrary input → success or a clear refusal, never a 500 or a partial write', () => {
  it('enumerates the routers of root.ts', () => {
    expect(procedures.length).toBeGreaterThan(50);
    for (const router of [
      'system',
      'team',
      'invitation',
      'task',
      'price',
      'analytics',
      'live',
      'settings',
      'repository',
      'budget',
    ])
      expect(
        procedures.some((p) => p.path.startsWith(`${router}.`)),
        router,
      ).toBe(true);
  });

  for (const { path, type, inputs } of procedures) {
    it(`${type} ${path}`, async () => {
      const pools = { ids, strings, byKey };
      const outcomes = new Map<Outcome, number>();
      // Inputs whose fields depend on each other (a cap's scope decides which ids it names)
      // rarely come out valid at random: one valid example each is always run first.
      const teamId = byKey.teamId![0];
      const examples: Record<string, unknown> = {
        'budget.set': { scope: 'team', teamId, period: 'monthly', usd: '25.50' },
        'budget.remove': { scope: 'team', teamId, period: 'monthly' },
      };
      await fc.assert(
        fc.asyncProperty(procedureInput(inputs, pools), async (input) => {
          const outcome = await check(path, type, input);
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        }),
        {
          numRuns: RUNS,
          examples: path in examples ? [[examples[path]]] : [],
          endOnFailure: Boolean(process.env.PROPERTY_NO_SHRINK),
          // Shrinking a huge input can take long: report what it got to by then.
          interruptAfterTimeLimit: 20_000,
        },
      );
      if (process.env.PROPERTY_STATS) console.log(path, Object.fromEntries(outcomes));
      // Not vacuous: some inputs got past validation into the handler.
      const reached = [...outcomes].filter(([o]) => o !== 'input').reduce((n, [, k]) => n + k, 0);
      expect(reached, `${path}: no input got past validation`).toBeGreaterThan(0);
    });
  }
});

/** The shrunk counterexamples the properties found, kept as plain tests. */
describe('inputs the properties found', () => {
  async function refusal(path: string, type: ProcedureDef['type'], input: unknown) {
    const before = await snapshot();
    const err = await invoke(path, type, input).then(
      () => {
        throw new Error(`${path} accepted the input`);
      },
      (e: unknown) => e as TRPCError,
    );
    expect(await snapshot()).toEqual(before);
    expect(err).toBeInstanceOf(TRPCError);
    const zodIssue = (err.cause as { issues?: { path: PropertyKey[] }[] } | undefined)?.issues?.[0];
    const field =
      err.cause instanceof AppError ? err.cause.meta?.field : zodIssue?.path.map(String).join('.');
    return { code: err.code, field, message: err.message };
  }

  it('a NUL character in a member id (team.removeMember) is a field error, not a failed query', async () => {
    const teamId = byKey.teamId![0];
    expect(
      await refusal('team.removeMember', 'mutation', { teamId, userId: '\ud801\u0000ꄲ' }),
    ).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'userId',
      message: expect.stringMatching(/NUL/),
    });
    expect(await refusal('team.create', 'mutation', { name: 'a\u0000b' })).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'name',
    });
    expect(
      await refusal('task.submit', 'mutation', {
        teamId,
        prompt: 'ok',
        backend: 'api',
        model: 'claude-sonnet-5',
        title: 'x\u0000',
      }),
    ).toMatchObject({ code: 'BAD_REQUEST', field: 'title' });
  });

  it('a date past the year 9999 (task.list) is a field error, not a failed query', async () => {
    const input = {
      teamId: byKey.teamId![0],
      from: new Date('+275760-09-13T00:00:00.000Z'),
      to: new Date('1978-06-20T04:40:37.824Z'),
    };
    expect(await refusal('task.list', 'query', input)).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'from',
      message: 'Use a date between the years 1 and 9999.',
    });
  });

  it('an event id past PostgreSQL integer (task.watch) is a field error, not a failed query', async () => {
    const input = { teamId: byKey.teamId![0], taskId: byKey.taskId![0], lastEventId: '3401533183' };
    expect(await refusal('task.watch', 'subscription', input)).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'lastEventId',
    });
    expect(
      await refusal('task.watch', 'subscription', {
        ...input,
        lastEventId: undefined,
        afterSeq: 2 ** 31,
      }),
    ).toMatchObject({ code: 'BAD_REQUEST', field: 'afterSeq' });
  });

  it('a task budget that rounds to $0 at 6 decimals (task.submit) is a field error, not a check violation', async () => {
    const input = {
      teamId: byKey.teamId![0],
      prompt: 'app',
      backend: 'api',
      model: 'claude-sonnet-5',
      budgetUsd: 2.6925962293435148e-74,
    };
    expect(await refusal('task.submit', 'mutation', input)).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'budgetUsd',
    });
  });

  it('a price of 1,000,000 per Mtok (price.add) is a field error, not a numeric overflow', async () => {
    const input = {
      modelPattern: 'claude-x-*',
      validFrom: new Date('2026-01-01T00:00:00Z'),
      inputPerMtok: 0,
      cacheWrite5mPerMtok: 0,
      cacheWrite1hPerMtok: 0,
      cacheReadPerMtok: 1_000_000,
      outputPerMtok: 0,
    };
    expect(await refusal('price.add', 'mutation', input)).toMatchObject({
      code: 'BAD_REQUEST',
      field: 'cacheReadPerMtok',
    });
    expect(
      await refusal('price.add', 'mutation', {
        ...input,
        cacheReadPerMtok: 1,
        validFrom: new Date(-8.64e15),
      }),
    ).toMatchObject({ code: 'BAD_REQUEST', field: 'validFrom' });
  });
});
