import { CHANNELS } from '@baton/db/jobs';
import pg from 'pg';

/**
 * budget: the task's own budget or a spend cap was reached (status budget_exceeded); stale: the
 * attempt is no longer the task's latest (it was started again elsewhere), so it stops writing.
 */
export type AbortReason = 'cancelled' | 'timeout' | 'shutdown' | 'budget' | 'stale';

/** Whose task it is (a spend cap stops the tasks of its scope, a tree's budget those of the tree). */
export interface TaskOwner {
  teamId: string;
  userId: string | null;
  /** The agent tree the task is in (its root's id), or null outside any tree. */
  rootTaskId?: string | null;
}

export class TaskAbort extends Error {
  constructor(
    readonly reason: AbortReason,
    message: string,
  ) {
    super(message);
    this.name = 'TaskAbort';
  }
}

/**
 * Knows the AbortController of every task this worker runs, and aborts one
 * when its cancellation is requested: woken by NOTIFY on `baton_task_cancel`,
 * with a poll of `tasks.cancel_requested_at` as a floor for notifications
 * lost while the database connection was down.
 */
export class CancelWatcher {
  private controllers = new Map<string, AbortController>();
  private owners = new Map<string, TaskOwner>();
  private listener: pg.Client | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly pool: pg.Pool,
    private readonly options: {
      pollMs?: number;
      onError?: (err: Error) => void;
      /**
       * More channels to LISTEN on over the same connection, with their handlers (given the
       * payload and the notifying backend's process id).
       */
      channels?: Record<string, (payload: string, senderPid: number) => void>;
      /** Called each time the listener is (re)established: notifications may have been missed. */
      onListen?: () => void;
    } = {},
  ) {}

  async start(): Promise<void> {
    await this.listen();
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 2000);
    this.pollTimer.unref();
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'baton-worker-cancel',
    });
    client.on('notification', (msg) => {
      if (msg.channel !== CHANNELS.taskCancel) {
        this.options.channels?.[msg.channel]?.(msg.payload ?? '', msg.processId);
        return;
      }
      if (msg.payload) this.abort(msg.payload, new TaskAbort('cancelled', 'cancelled on request'));
    });
    client.on('error', (err) => {
      this.options.onError?.(err);
      this.listener = undefined;
      client.end().catch(() => undefined);
      setTimeout(
        () => void this.listen().catch((e: Error) => this.options.onError?.(e)),
        1000,
      ).unref();
    });
    try {
      await client.connect();
      await client.query(`listen ${CHANNELS.taskCancel}`);
      for (const channel of Object.keys(this.options.channels ?? {})) {
        await client.query(`listen ${client.escapeIdentifier(channel)}`);
      }
      this.listener = client;
      this.options.onListen?.();
    } catch (err) {
      this.options.onError?.(err as Error);
      await client.end().catch(() => undefined);
      setTimeout(
        () => void this.listen().catch((e: Error) => this.options.onError?.(e)),
        1000,
      ).unref();
    }
  }

  private async poll(): Promise<void> {
    if (this.controllers.size === 0) return;
    try {
      const { rows } = await this.pool.query<{ id: string }>(
        'select id from tasks where id = any($1::uuid[]) and cancel_requested_at is not null',
        [[...this.controllers.keys()]],
      );
      for (const r of rows) this.abort(r.id, new TaskAbort('cancelled', 'cancelled on request'));
    } catch (err) {
      this.options.onError?.(err as Error);
    }
  }

  register(taskId: string, controller: AbortController, owner?: TaskOwner) {
    this.controllers.set(taskId, controller);
    if (owner) this.owners.set(taskId, owner);
  }

  unregister(taskId: string) {
    this.controllers.delete(taskId);
    this.owners.delete(taskId);
  }

  /** The running tasks whose owner matches, with their owners. */
  ownedBy(match: (o: TaskOwner) => boolean): Array<[string, TaskOwner]> {
    return [...this.owners.entries()].filter(([, o]) => match(o));
  }

  abort(taskId: string, reason: TaskAbort) {
    const c = this.controllers.get(taskId);
    if (c && !c.signal.aborted) c.abort(reason);
  }

  abortAll(reason: TaskAbort) {
    for (const id of this.controllers.keys()) this.abort(id, reason);
  }

  get running(): number {
    return this.controllers.size;
  }

  async stop(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    await this.listener?.end().catch(() => undefined);
  }
}
