import { CHANNELS } from '@baton/db/jobs';
import type pg from 'pg';

export interface TaskEvent {
  type: string;
  data: Record<string, unknown>;
}

interface Pending {
  taskId: string;
  attempt: number;
  seq: number;
  type: string;
  data: Record<string, unknown>;
  at: Date;
}

/**
 * Appends task events in batches: one multi-row INSERT per flush (every
 * `flushMs` or `maxBatch` events), then one NOTIFY per task so consoles
 * streaming the task wake up. Sequence numbers continue from what the task
 * already has, so a retry on another worker appends after the first attempt.
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
    } = {},
  ) {}

  /** Loads the task's last sequence number; call once before the first append for a task. */
  async open(taskId: string): Promise<void> {
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

  /** How many batch writes failed (and were retried) so far, for metrics. */
  get writeFailures(): number {
    return this.failures;
  }

  /** Forget a finished task's counter. */
  close(taskId: string) {
    this.seqs.delete(taskId);
  }

  private async write(batch: Pending[]): Promise<void> {
    const values: unknown[] = [];
    const rows = batch.map((e, i) => {
      values.push(e.taskId, e.seq, e.attempt, e.type, JSON.stringify(e.data), e.at);
      const b = i * 6;
      return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::jsonb, $${b + 6})`;
    });
    for (let attempt = 0; ; attempt++) {
      try {
        await this.pool.query(
          `insert into task_events (task_id, seq, attempt, type, data, created_at) values ${rows.join(', ')}
           on conflict (task_id, seq) do nothing`,
          values,
        );
        const tasks = [...new Set(batch.map((e) => e.taskId))];
        await this.pool.query('select pg_notify($1, t) from unnest($2::text[]) as t', [
          CHANNELS.taskEvents,
          tasks,
        ]);
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
