import type { DbClient } from '@baton/db';
import { CHANNELS } from '@baton/db/jobs';
import { redriveTask, requestCancel, submitTask } from '@baton/db/queue';
import { TERMINAL_TASK_STATUSES, tasks } from '@baton/db/schema';
import { Command, InvalidArgumentError, Option } from 'commander';
import { desc, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { cliConfig } from '../config';
import { type Ctx, resolveTeam, withCtx } from '../context';

const TERMINAL: readonly string[] = TERMINAL_TASK_STATUSES;

async function taskSummary(client: DbClient, taskId: string) {
  const { rows } = await client.pool.query(
    `select t.id, tm.slug as team, t.status, t.status_reason as "statusReason", t.backend, t.model, t.prompt,
            t.result, t.error, t.attempts, t.created_at as "createdAt", t.started_at as "startedAt",
            t.finished_at as "finishedAt",
            coalesce(u.requests, 0)::int as requests, coalesce(u.input, 0)::int as "inputTokens",
            coalesce(u.output, 0)::int as "outputTokens", coalesce(u.cw5, 0)::int as "cacheWrite5mTokens",
            coalesce(u.cw1h, 0)::int as "cacheWrite1hTokens", coalesce(u.cr, 0)::int as "cacheReadTokens",
            coalesce(u.cost, 0)::text as "costUsd"
       from tasks t join teams tm on tm.id = t.team_id
       left join lateral (
         select count(*) as requests, sum(input_tokens) as input, sum(output_tokens) as output,
                sum(cache_write_5m_tokens) as cw5, sum(cache_write_1h_tokens) as cw1h,
                sum(cache_read_tokens) as cr, sum(cost_usd) as cost
           from usage_events where task_id = t.id) u on true
      where t.id = $1`,
    [taskId],
  );
  const r = rows[0];
  if (!r) return undefined;
  const {
    requests,
    inputTokens,
    outputTokens,
    cacheWrite5mTokens,
    cacheWrite1hTokens,
    cacheReadTokens,
    costUsd,
    ...task
  } = r;
  return {
    ...task,
    usage: {
      requests,
      inputTokens,
      outputTokens,
      cacheWrite5mTokens,
      cacheWrite1hTokens,
      cacheReadTokens,
    },
    costUsd,
  };
}

/** Waits for the task to end, printing its events as they arrive (to stderr, unless quiet). */
async function waitForTask(
  ctx: Ctx,
  taskId: string,
  quiet: boolean,
  timeoutMs: number,
): Promise<void> {
  const listener = new pg.Client({ connectionString: ctx.url, application_name: 'baton-cli-wait' });
  await listener.connect();
  let lastSeq = 0;
  let wake: (() => void) | undefined;
  listener.on('notification', (m) => {
    if (m.payload === taskId) wake?.();
  });
  await listener.query(`listen ${CHANNELS.taskEvents}`);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const { rows: events } = await ctx.client.pool.query<{
        seq: number;
        type: string;
        data: Record<string, unknown>;
      }>('select seq, type, data from task_events where task_id = $1 and seq > $2 order by seq', [
        taskId,
        lastSeq,
      ]);
      for (const e of events) {
        lastSeq = e.seq;
        if (quiet) continue;
        if (e.type === 'text' || e.type === 'text_delta')
          process.stderr.write(String(e.data.text ?? ''));
        else process.stderr.write(`\n· ${e.type} ${JSON.stringify(e.data).slice(0, 200)}\n`);
      }
      const [t] = await ctx.client.db
        .select({ status: tasks.status })
        .from(tasks)
        .where(eq(tasks.id, taskId));
      if (t && TERMINAL.includes(t.status)) {
        if (!quiet) process.stderr.write('\n');
        return;
      }
      if (Date.now() > deadline)
        throw new Error(
          `task ${taskId} did not finish within ${Math.round(timeoutMs / 1000)} s (it keeps running)`,
        );
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
  } finally {
    await listener.end().catch(() => undefined);
  }
}

function intArg(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** `a,b , c` → ['a', 'b', 'c']. */
function commaList(v: string): string[] {
  return v
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function positiveNumber(v: string) {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

export function taskCommand(): Command {
  const task = new Command('task').description('Submit, list, show, cancel and retry tasks.');

  task
    .command('submit')
    .description(
      'Submit a task; with --wait, stream its events and print the final task. A claude-code task runs in a workspace of its own: empty, or with --repo a fresh clone of a team repository at --ref.',
    )
    .argument('<prompt>', 'what Claude should do')
    .option('--backend <backend>', 'api or claude-code', 'api')
    .option('--model <model>', "model id (default: Baton's default model)")
    .option('--fallback <models...>', 'fallback models, in order')
    .option('--team <team>', 'team slug or id (default: the demo team, or the only team)')
    .option(
      '--repo <name>',
      'claude-code: a team repository (baton repo list) to clone into the workspace',
    )
    .option(
      '--ref <ref>',
      "claude-code: branch, tag or commit of --repo (default: the repository's default ref)",
    )
    .option(
      '--tools <a,b,…>',
      "claude-code: only these of the team's tools (e.g. Read,Grep); never more than the team allows",
      commaList,
    )
    // Gone: accepted only so that it is refused with the same field error as the console's.
    .addOption(new Option('--cwd <dir>').hideHelp())
    .option('--max-turns <n>', 'maximum turns', intArg('--max-turns', 1, 500))
    .option('--budget <usd>', 'budget in USD', positiveNumber)
    .option('--timeout <seconds>', 'task timeout in seconds', intArg('--timeout', 1, 86_400))
    .option('--priority <n>', 'priority from -100 to 100', intArg('--priority', -100, 100), 0)
    .option('--wait', 'wait for the task to finish')
    .option(
      '--wait-timeout <seconds>',
      'how long --wait waits',
      intArg('--wait-timeout', 1, 86_400),
      600,
    )
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Input the API refuses prints as "error: <field>: <message>" (the console shows the same
message beside the field; repository is --repo, maxTurns --max-turns, budgetUsd --budget,
timeoutMs --timeout) and exits with 2. A team that has no provider key of its own and may not
use the instance's is refused the same way (exit 2); a spend cap that applies and is reached
prints "error: <the cap, what was spent, when it resets>" and exits with 3.

Examples:
  baton task submit "Summarise the README" --backend claude-code --repo app --ref main
  baton task submit "List the TODOs" --backend claude-code --repo app --tools Read,Grep --wait`,
    )
    .action(async (prompt: string, o: Record<string, unknown>) => {
      if (o.backend !== 'api' && o.backend !== 'claude-code')
        throw new Error(`--backend must be api or claude-code, got "${o.backend}"`);
      if (!prompt.trim()) throw new Error('the prompt must not be empty');
      const { prepareTaskSubmission } = await import('@baton/api');
      await withCtx(true, async (ctx) => {
        const team = await resolveTeam(ctx.client, o.team as string | undefined);
        const submission = await prepareTaskSubmission(
          ctx.client.db,
          team,
          {
            prompt,
            backend: o.backend as 'api' | 'claude-code',
            model: o.model as string | undefined,
            fallbackModels: (o.fallback as string[] | undefined) ?? [],
            ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
            repository: o.repo as string | undefined,
            ref: o.ref as string | undefined,
            tools: o.tools as string[] | undefined,
            maxTurns: o.maxTurns as number | undefined,
            budgetUsd: o.budget as number | undefined,
            priority: o.priority as number,
            timeoutMs: o.timeout ? (o.timeout as number) * 1000 : undefined,
          },
          { config: await cliConfig() },
        );
        const row = await submitTask(ctx.client.db, ctx.boss!, submission);
        if (!o.wait) {
          console.log(
            o.json
              ? JSON.stringify(await taskSummary(ctx.client, row.id), null, 2)
              : `queued ${row.id} (team ${team.slug})`,
          );
          return;
        }
        if (!o.json) process.stderr.write(`queued ${row.id} (team ${team.slug}); waiting…\n`);
        await waitForTask(ctx, row.id, Boolean(o.json), (o.waitTimeout as number) * 1000);
        const summary = await taskSummary(ctx.client, row.id);
        if (o.json) console.log(JSON.stringify(summary, null, 2));
        else {
          console.log(`${summary?.status}: ${summary?.result ?? summary?.statusReason ?? ''}`);
          console.log(
            `usage: ${summary?.usage.inputTokens} in / ${summary?.usage.outputTokens} out tokens in ${summary?.usage.requests} requests, $${summary?.costUsd}`,
          );
        }
        if (summary?.status !== 'succeeded') process.exitCode = 2;
      });
    });

  task
    .command('list')
    .description('List recent tasks.')
    .option('--team <team>', 'team slug or id')
    .option('--status <status>', 'only tasks with this status')
    .option('--limit <n>', 'how many', intArg('--limit', 1, 1000), 20)
    .option('--json', 'print JSON')
    .action(async (o: { team?: string; status?: string; limit: number; json?: boolean }) => {
      if (o.status && ![...TERMINAL, 'queued', 'running'].includes(o.status)) {
        throw new Error(`--status must be one of queued, running, ${TERMINAL.join(', ')}`);
      }
      await withCtx(false, async (ctx) => {
        const conds = [];
        if (o.team) conds.push(eq(tasks.teamId, (await resolveTeam(ctx.client, o.team)).id));
        if (o.status) conds.push(sql`${tasks.status} = ${o.status}`);
        const rows = await ctx.client.db
          .select({
            id: tasks.id,
            status: tasks.status,
            backend: tasks.backend,
            model: tasks.model,
            prompt: tasks.prompt,
            createdAt: tasks.createdAt,
          })
          .from(tasks)
          .where(conds.length ? sql.join(conds, sql` and `) : undefined)
          .orderBy(desc(tasks.createdAt))
          .limit(o.limit);
        if (o.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log('no tasks');
        for (const r of rows) {
          console.log(
            `${r.id}  ${r.status.padEnd(9)}  ${r.backend.padEnd(11)}  ${r.model.padEnd(20)}  ${r.prompt.replace(/\s+/g, ' ').slice(0, 50)}`,
          );
        }
      });
    });

  task
    .command('show')
    .description('Show a task with its usage, cost and events.')
    .argument('<id>', 'task id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withCtx(false, async (ctx) => {
        const summary = await taskSummary(ctx.client, id);
        if (!summary) throw new Error(`no task ${id}`);
        const { rows: events } = await ctx.client.pool.query(
          'select seq, attempt, type, data, created_at as at from task_events where task_id = $1 order by seq',
          [id],
        );
        if (o.json) return console.log(JSON.stringify({ ...summary, events }, null, 2));
        console.log(JSON.stringify(summary, null, 2));
        for (const e of events)
          console.log(
            `#${e.seq} [attempt ${e.attempt}] ${e.type} ${JSON.stringify(e.data).slice(0, 160)}`,
          );
      });
    });

  task
    .command('cancel')
    .description(
      'Cancel a task: a queued one at once, a running one within seconds; an agent of a multi-agent run with its descendants (the root: its whole tree).',
    )
    .argument('<id>', 'task id')
    .action(async (id: string) => {
      await withCtx(true, async (ctx) => {
        if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`no task ${id}`);
        const [row] = await ctx.client.db
          .select({ teamId: tasks.teamId, rootTaskId: tasks.rootTaskId, status: tasks.status })
          .from(tasks)
          .where(eq(tasks.id, id));
        if (row?.rootTaskId && !TERMINAL.includes(row.status)) {
          // The same subtree cancel as the console's and the MCP tools'.
          const { createPgTaskQueue } = await import('@baton/api');
          const boss = ctx.boss!;
          const queue = createPgTaskQueue(
            { db: ctx.client.db, pool: ctx.client.pool, boss: async () => boss },
            { teamId: row.teamId, userId: null },
          );
          const { cancelled } = await queue.cancel(id, 'cancelled from the CLI');
          console.log(`cancelled ${id} and what it spawned: ${cancelled} agent(s) asked to stop`);
          return;
        }
        const r = await requestCancel(ctx.client.pool, id, 'cancelled from the CLI');
        if (r === 'not-found') throw new Error(`no task ${id}`);
        console.log(
          r === 'cancelled'
            ? `cancelled ${id}`
            : r === 'requested'
              ? `cancellation requested for ${id}; its worker stops it within seconds`
              : `${id} had already finished`,
        );
      });
    });

  task
    .command('retry')
    .description(
      'Re-drive a failed, cancelled, timed-out or budget-exceeded task (including dead-lettered ones); refused like a submission while its cap is reached.',
    )
    .argument('<id>', 'task id')
    .action(async (id: string) => {
      const { assertTaskMayRun } = await import('@baton/api');
      await withCtx(true, async (ctx) => {
        const isUuid = /^[0-9a-f-]{36}$/i.test(id);
        const { rows } = await ctx.client.pool.query<{
          team_id: string;
          created_by: string | null;
          status: string;
          allow_instance_key: boolean;
        }>(
          `select t.team_id, t.created_by, t.status, tm.allow_instance_key
             from tasks t join teams tm on tm.id = t.team_id where $2 and t.id = $1::uuid`,
          [isUuid ? id : '00000000-0000-0000-0000-000000000000', isUuid],
        );
        const row = rows[0];
        if (row && !['queued', 'running', 'succeeded'].includes(row.status))
          await assertTaskMayRun(
            ctx.client.db,
            { id: row.team_id, allowInstanceKey: row.allow_instance_key },
            row.created_by,
          );
        const r = await redriveTask(ctx.client.pool, ctx.boss!, id, { requestedBy: 'cli' });
        if (r.status === 'not-found') throw new Error(`no task ${id}`);
        if (r.status === 'requeued') console.log(`requeued ${id} (job ${r.jobId})`);
        else
          throw new Error(
            r.status === 'succeeded'
              ? `${id} succeeded; nothing to retry`
              : `${id} is still queued or running`,
          );
      });
    });

  return task;
}
