import { CHANNELS } from '@baton/db/jobs';
import type pg from 'pg';
import type { EventRow } from './lifecycle';

export interface TaskEvent {
  type: string;
  data: Record<string, unknown>;
}

interface Pending extends EventRow {
  taskId: string;
}

/**
 * Appends task events in batches: one statement per flush (every `flushMs` or `maxBatch`
 * events) inserts them all and NOTIFYs each task once, so consoles streaming a task wake up.
 * Sequence numbers continue from what the task already has (`open`), so a retry on another
 * worker appends after the first attempt. A task's last events are not flushed on their own:
 * `take` hands them to the statement that settles the task.
 */
export class EventWriter {
  private pending: Pending[] = [];
  private seqs = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: {
      flushMs?: number;
      maxBatch?: number;
      onError?: (err: Error) => void;
      /**
       * Events of an attempt that is no longer its task's latest were refused (fencing): the
       * task was started again elsewhere, and this attempt's run should stop.
       */
      onStale?: (taskId: string, attempt: number) => void;
    } = {},
  ) {}

  /**
   * Sets the task's last sequence number (`lastSeq`, as `baton_task_start` returns it), or
   * loads it; call once before the first append for a task.
   */
  async open(taskId: string, lastSeq?: number): Promise<void> {
    if (lastSeq !== undefined) {
      this.seqs.set(taskId, lastSeq);
      return;
    }
    const { rows } = await this.pool.query<{ seq: number | null }>(
      'select max(seq) as seq from task_events where task_id = $1',
      [taskId],
    );
    this.seqs.set(taskId, rows[0]?.seq ?? 0);
  }

  append(taskId: string, attempt: number, event: TaskEvent): number {
    const seq = (this.seqs.get(taskId) ?? 0) + 1;
    this.seqs.set(taskId, seq);
    this.pending.push({ taskId, attempt, seq, type: event.type, data: event.data, at: new Date() });
    if (this.pending.length >= (this.options.maxBatch ?? 200)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 50);
    return seq;
  }

  /** Writes everything appended so far. Resolves when it is durable. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    this.flushing = this.flushing.then(() => (batch.length ? this.write(batch) : undefined));
    return this.flushing;
  }

  /**
   * Removes the task's unwritten events and returns them, once every batch already on its
   * way is durable (so they land after the task's earlier events, never before them).
   */
  async take(taskId: string): Promise<EventRow[]> {
    const mine: EventRow[] = [];
    const rest: Pending[] = [];
    for (const e of this.pending) {
      if (e.taskId === taskId) {
        mine.push({ seq: e.seq, attempt: e.attempt, type: e.type, data: e.data, at: e.at });
      } else rest.push(e);
    }
    if (mine.length) this.pending = rest;
    if (this.pending.length === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Batches already on their way may hold the task's earlier events.
    await this.flushing;
    return mine;
  }

  /** How many batch writes failed (and were retried) so far, for metrics. */
  get writeFailures(): number {
    return this.failures;
  }

  /** Forget a finished task's counter. */
  close(taskId: string) {
    this.seqs.delete(taskId);
  }

  private async write(batch: Pending[]): Promise<void> {
    const rows = JSON.stringify(batch);
    const tasks = [...new Set(batch.map((e) => e.taskId))];
    for (let attempt = 0; ; attempt++) {
      try {
        // Fenced: only the events of each task's latest attempt are written; the statement
        // names the attempts it refused.
        const { rows: out } = await this.pool.query<{
          stale: { taskId: string; attempt: number }[] | null;
        }>({
          name: 'baton_events_append',
          text: `with batch as (
                   select e."taskId", e.seq, e.attempt, e.type, e.data, e.at,
                          t.attempts = e.attempt as fresh
                     from jsonb_to_recordset($1::jsonb)
                       as e("taskId" uuid, seq int, attempt int, type text, data jsonb, at timestamptz)
                     left join tasks t on t.id = e."taskId"),
                 ins as (
                   insert into task_events (task_id, seq, attempt, type, data, created_at)
                   select b."taskId", b.seq, b.attempt, b.type, b.data, b.at from batch b where b.fresh
                   on conflict (task_id, seq) do nothing),
                 woke as (select pg_notify($2, t) from unnest($3::text[]) as t)
                 select (select count(*) from woke) as woke,
                        (select jsonb_agg(distinct jsonb_build_object('taskId', b."taskId", 'attempt', b.attempt))
                           from batch b where not coalesce(b.fresh, false)) as stale`,
          values: [rows, CHANNELS.taskEvents, tasks],
        });
        for (const s of out[0]?.stale ?? []) this.options.onStale?.(s.taskId, s.attempt);
        return;
      } catch (err) {
        this.failures++;
        this.options.onError?.(err as Error);
        // The database may be restarting: keep the events and try again.
        if (attempt >= 30) throw err;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  }
}
