import type pg from 'pg';

/**
 * This worker's view of the fleet: the live task-running workers (a heartbeat in the last
 * 15 s, not stopped; worker_heartbeats), sorted by id, and this worker's place among them.
 * Used to share fleet-wide chores without talking to each other: which worker wakes for a
 * submitted task (`owns`), and which second each worker rolls up usage in (`rollupDelayMs`).
 * Until the first refresh, or if this worker is not listed yet, it is alone (owns everything):
 * a stale view only costs an extra fetch or a job found by the 2 s poll instead of at once.
 */
export class FleetView {
  private members: string[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly selfId: string,
    private readonly options: { intervalMs?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.members = [selfId];
  }

  /** Reads the live workers now, then every `intervalMs` (default 5 s). */
  start(): void {
    const tick = () => {
      void this.refresh().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(tick, this.options.intervalMs ?? 5000);
        this.timer.unref();
      });
    };
    tick();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async refresh(): Promise<void> {
    try {
      const { rows } = await this.pool.query<{ id: string }>(
        `select id from worker_heartbeats
          where stopped_at is null and concurrency > 0 and last_seen_at > now() - interval '15 seconds'
          order by id collate "C"`,
      );
      this.set(rows.map((r) => r.id));
    } catch (err) {
      this.options.onError?.(err);
    }
  }

  /** Replaces the member list (sorted by id); this worker is always a member. */
  set(ids: string[]): void {
    const members = ids.includes(this.selfId) ? [...ids] : [...ids, this.selfId];
    members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.members = members;
  }

  size(): number {
    return this.members.length;
  }

  rank(): number {
    return Math.max(0, this.members.indexOf(this.selfId));
  }

  /** Whether this worker wakes for `key` (a task id): exactly one live member owns each key. */
  owns(key: string): boolean {
    const n = this.members.length;
    if (n <= 1) return true;
    return hashKey(key) % n === this.rank();
  }

  /**
   * Milliseconds until this worker's next rollup turn: wall-clock seconds are dealt round the
   * fleet (second s belongs to member s mod n), so the fleet rolls up about once a second in
   * all instead of once a second per worker (each pass has a fixed cost of its own).
   */
  rollupDelayMs(now = Date.now(), periodMs = 1000): number {
    const n = this.members.length;
    const r = this.rank();
    const slot = Math.floor(now / periodMs) + 1;
    const next = slot + ((((r - slot) % n) + n) % n);
    return next * periodMs - now;
  }
}

/** FNV-1a over the key's characters: stable across processes and machines. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
