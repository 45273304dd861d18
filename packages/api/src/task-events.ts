/**
 * Wakes task-transcript subscriptions when the worker announces new events
 * (`NOTIFY baton_task_events, '<task id>'`). One LISTEN connection per pool,
 * held only while someone is subscribed; subscribers also poll on their own
 * (see `waitForTask`), so a lost notification or a dropped connection only
 * delays an update, never loses it.
 */
import type { DbClient } from '@baton/db/client';
import { CHANNELS } from '@baton/db/jobs';

type Pool = DbClient['pool'];
type Listener = () => void;
interface ListenClient {
  query(text: string): Promise<unknown>;
  release(err?: Error | boolean): void;
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

interface Hub {
  listeners: Map<string, Set<Listener>>;
  size: number;
  client: ListenClient | null;
  connecting: Promise<void> | null;
}

const hubs = new WeakMap<Pool, Hub>();

function wakeAll(hub: Hub): void {
  for (const set of hub.listeners.values()) for (const fn of set) fn();
}

async function connect(pool: Pool, hub: Hub): Promise<void> {
  const client: ListenClient = await pool.connect();
  const drop = (err?: Error) => {
    if (hub.client !== client) return;
    hub.client = null;
    client.release(err ?? true);
    wakeAll(hub);
  };
  client.on('notification', (msg) => {
    if (msg.channel !== CHANNELS.taskEvents || !msg.payload) return;
    for (const fn of hub.listeners.get(msg.payload) ?? []) fn();
  });
  client.on('error', drop);
  hub.client = client;
  try {
    await client.query(`LISTEN ${CHANNELS.taskEvents}`);
  } catch (err) {
    drop(err as Error);
  }
}

/** Calls `onWake` whenever `taskId` has news; returns the unsubscribe function. */
export function listenTask(pool: Pool, taskId: string, onWake: Listener): () => void {
  let hub = hubs.get(pool);
  if (!hub) {
    hub = { listeners: new Map(), size: 0, client: null, connecting: null };
    hubs.set(pool, hub);
  }
  const h = hub;
  let set = h.listeners.get(taskId);
  if (!set) {
    set = new Set();
    h.listeners.set(taskId, set);
  }
  set.add(onWake);
  h.size++;
  if (!h.client && !h.connecting) {
    h.connecting = connect(pool, h)
      .catch(() => undefined)
      .finally(() => {
        h.connecting = null;
        // Everyone left while connecting.
        if (h.size === 0 && h.client) {
          h.client.release();
          h.client = null;
        }
      });
  }
  return () => {
    if (!set.delete(onWake)) return;
    if (set.size === 0) h.listeners.delete(taskId);
    h.size--;
    if (h.size === 0 && h.client) {
      const c = h.client;
      h.client = null;
      c.query(`UNLISTEN ${CHANNELS.taskEvents}`)
        .then(() => c.release())
        .catch((err: Error) => c.release(err));
    }
  };
}

/**
 * Resolves when the task has news, after `pollMs` at the latest (polling
 * fallback), or when `signal` aborts.
 */
export function createWaker(): {
  wake: Listener;
  wait(pollMs: number, signal?: AbortSignal): Promise<void>;
} {
  let pending = false;
  let resolve: (() => void) | null = null;
  return {
    wake() {
      if (resolve) {
        const r = resolve;
        resolve = null;
        r();
      } else pending = true;
    },
    wait(pollMs, signal) {
      if (pending || signal?.aborted) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((done) => {
        const finish = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', finish);
          resolve = null;
          done();
        };
        const timer = setTimeout(finish, pollMs);
        signal?.addEventListener('abort', finish, { once: true });
        resolve = finish;
      });
    },
  };
}
