/**
 * The worker's heartbeat: every few seconds it upserts its health snapshot —
 * circuit breaker state per provider/model, session pool use, tasks running —
 * into `worker_heartbeats`, which the console's Live page reads. A clean stop
 * writes `stopped_at`; a row that stops beating is shown as stale. Each beat
 * also reaps the sessions of lapsed leases (see UPSERT).
 *
 * Breaker states are observed from the runs themselves: @baton/core emits a
 * `breaker` event whenever a breaker of a model in use changes state, and every
 * model that answered has a (closed) breaker. `observeRunner` wraps the task
 * runner to see those events without changing it.
 */
import os from 'node:os';
import type pg from 'pg';
import type { RunContext, TaskRunner } from './runner';

export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

export interface BreakerSnapshot {
  provider: string;
  model: string;
  state: BreakerStateName;
}

export interface PoolSnapshot {
  active: number;
  idle?: number;
  waiting?: number;
  max?: number;
}

export interface SandboxSnapshot {
  mode: 'required' | 'off';
  ok: boolean;
  reason?: string;
  resources?: string;
  version?: string;
}

const STATES = new Set<string>(['closed', 'open', 'half-open', 'isolated']);

/** Breaker states per provider/model and runs in flight, as seen through the runner. */
export class BreakerTracker {
  private readonly states = new Map<string, BreakerSnapshot>();
  private inFlight = 0;

  constructor(private readonly onChange?: (b: BreakerSnapshot) => void) {}

  /** A `breaker` event of a run. */
  observe(provider: string, model: string, state: string): void {
    if (!STATES.has(state)) return;
    const b = { provider, model, state: state as BreakerStateName };
    this.states.set(`${provider}\u0000${model}`, b);
    this.onChange?.(b);
  }

  /** A model answered: it has a breaker, closed unless an event said otherwise. */
  seen(provider: string, model: string): void {
    if (!this.states.has(`${provider}\u0000${model}`)) this.observe(provider, model, 'closed');
  }

  breakers(): BreakerSnapshot[] {
    return [...this.states.values()].sort(
      (a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model),
    );
  }

  running(): number {
    return this.inFlight;
  }

  /** Wraps a runner so its runs report breaker events and models here; everything else passes through. */
  observeRunner(runner: TaskRunner): TaskRunner {
    const run = async (ctx: RunContext) => {
      this.inFlight++;
      try {
        return await runner.run({
          ...ctx,
          emit: (event) => {
            if (event.type === 'breaker') {
              const d = event.data as { provider?: unknown; model?: unknown; state?: unknown };
              if (typeof d.model === 'string' && typeof d.state === 'string') {
                this.observe(
                  typeof d.provider === 'string' ? d.provider : 'anthropic',
                  d.model,
                  d.state,
                );
              }
            }
            ctx.emit(event);
          },
          recordUsage: (usage) => {
            if (usage.status === 'ok') this.seen(usage.provider ?? 'anthropic', usage.model);
            ctx.recordUsage(usage);
          },
        });
      } finally {
        this.inFlight--;
      }
    };
    return new Proxy(runner, {
      get: (target, prop, receiver) => (prop === 'run' ? run : Reflect.get(target, prop, receiver)),
    });
  }
}

export interface HeartbeatOptions {
  pool: pg.Pool;
  workerId: string;
  startedAt: Date;
  /** Between beats (default 5 s; the console calls a worker stale after 30 s of silence). */
  intervalMs?: number;
  concurrency: number;
  breakers: () => BreakerSnapshot[];
  running: () => number;
  /** Session pool use, when the runner reports it (else: tasks running of the concurrency). */
  poolStats?: () => PoolSnapshot | null | undefined;
  /** How claude-code tasks are confined here (the Live page warns when they are not). */
  sandbox?: (() => Promise<SandboxSnapshot>) | undefined;
  onError?: (err: unknown) => void;
}

export interface Heartbeat {
  /** Writes one beat now. */
  beat(): Promise<void>;
  /** Stops beating and marks the worker stopped. */
  stop(): Promise<void>;
}

/**
 * One statement per beat: the upsert, and — riding in it — `baton_sessions_reap()`
 * (packages/db/sql/task_lifecycle.sql), which marks idle the sessions still active whose
 * task's lease is gone (a killed or stalled worker's: pg-boss failed its job back for a
 * retry once its heartbeat lapsed). Every live worker reaps, so none stays active for
 * longer than the queue's heartbeat plus a beat.
 */
const UPSERT = `
insert into worker_heartbeats
  (id, hostname, pid, started_at, last_seen_at, stopped_at, concurrency, running, breakers, pool, sandbox)
select $1, $2, $3, $4, now(), $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb
  from (select baton_sessions_reap()) as reaped
on conflict (id) do update set
  hostname = excluded.hostname, pid = excluded.pid, started_at = excluded.started_at,
  last_seen_at = now(), stopped_at = excluded.stopped_at, concurrency = excluded.concurrency,
  running = excluded.running, breakers = excluded.breakers, pool = excluded.pool,
  sandbox = excluded.sandbox`;

export function startHeartbeat(options: HeartbeatOptions): Heartbeat {
  const intervalMs = options.intervalMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();

  const write = async (stoppedAt: Date | null) => {
    const sandbox = options.sandbox ? await options.sandbox().catch(() => null) : null;
    const running = options.running();
    const pool = options.poolStats?.() ?? {
      active: running,
      max: options.concurrency,
    };
    return options.pool
      .query(UPSERT, [
        options.workerId,
        os.hostname(),
        process.pid,
        options.startedAt,
        stoppedAt,
        options.concurrency,
        running,
        JSON.stringify(options.breakers()),
        JSON.stringify(pool),
        sandbox ? JSON.stringify(sandbox) : null,
      ])
      .then(
        () => undefined,
        (err: unknown) => options.onError?.(err),
      );
  };

  const beat = () => {
    inFlight = inFlight.then(() => (stopped ? undefined : write(null)));
    return inFlight;
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void beat().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  // Forget workers silent for a week (each process start is a new id), then beat.
  inFlight = options.pool
    .query(`delete from worker_heartbeats where last_seen_at < now() - interval '7 days'`)
    .then(
      () => undefined,
      (err: unknown) => options.onError?.(err),
    );
  void beat().finally(schedule);

  return {
    beat,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inFlight;
      await write(new Date());
    },
  };
}
