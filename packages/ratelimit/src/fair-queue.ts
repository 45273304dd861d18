/** Priority classes, served strictly in this order. */
export const PRIORITIES = ['interactive', 'normal', 'batch'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface FairQueueOptions {
  /** Relative share of each team (default 1): a team with weight 2 is served twice as often. */
  weights?: Record<string, number>;
}

export interface Enqueued {
  team?: string;
  priority?: Priority;
  /** Cost of the item in the team's share (default 1 = one request). */
  cost?: number;
}

interface Entry<T> {
  item: T;
  team: string;
  start: number;
  finish: number;
  seq: number;
}

interface Lane<T> {
  /** Virtual time: the start tag of the item served last. */
  virtual: number;
  lastFinish: Map<string, number>;
  teams: Map<string, Entry<T>[]>;
}

/**
 * Waiting line with strict priority classes and, inside each class, weighted fair queueing
 * across teams (start-time fair queueing): an item's start tag is max(virtual time, its team's
 * last finish tag), its finish tag adds cost / weight, and the smallest start tag is served
 * next. A team that floods the queue only lengthens its own line; a team arriving later is
 * interleaved at once, receiving its weighted share.
 */
export class FairQueue<T> {
  readonly #weights: Record<string, number>;
  readonly #lanes = new Map<Priority, Lane<T>>();
  readonly #where = new Map<T, { priority: Priority; entry: Entry<T> }>();
  #seq = 0;

  constructor(options: FairQueueOptions = {}) {
    this.#weights = options.weights ?? {};
    for (const p of PRIORITIES) {
      this.#lanes.set(p, { virtual: 0, lastFinish: new Map(), teams: new Map() });
    }
  }

  get size(): number {
    return this.#where.size;
  }

  push(item: T, options: Enqueued = {}): void {
    const priority = options.priority ?? 'normal';
    const lane = this.#lanes.get(priority);
    if (!lane)
      throw new RangeError(`unknown priority "${priority}" (expected ${PRIORITIES.join(', ')})`);
    const team = options.team ?? '';
    const weight = this.#weights[team] ?? 1;
    if (!(weight > 0)) throw new RangeError(`weight of team "${team}" must be > 0`);
    const start = Math.max(lane.virtual, lane.lastFinish.get(team) ?? 0);
    const finish = start + Math.max(0, options.cost ?? 1) / weight;
    lane.lastFinish.set(team, finish);
    const entry: Entry<T> = { item, team, start, finish, seq: this.#seq++ };
    let line = lane.teams.get(team);
    if (!line) {
      line = [];
      lane.teams.set(team, line);
    }
    line.push(entry);
    this.#where.set(item, { priority, entry });
  }

  #head(): { lane: Lane<T>; entry: Entry<T> } | undefined {
    for (const p of PRIORITIES) {
      const lane = this.#lanes.get(p) as Lane<T>;
      let best: Entry<T> | undefined;
      for (const line of lane.teams.values()) {
        const e = line[0];
        if (
          e &&
          (!best ||
            e.start < best.start ||
            (e.start === best.start &&
              (e.finish < best.finish || (e.finish === best.finish && e.seq < best.seq))))
        ) {
          best = e;
        }
      }
      if (best) return { lane, entry: best };
    }
    return undefined;
  }

  /** The item that would be served next. */
  peek(): T | undefined {
    return this.#head()?.entry.item;
  }

  /** Removes and returns the next item. */
  shift(): T | undefined {
    const h = this.#head();
    if (!h) return undefined;
    this.#take(h.lane, h.entry);
    return h.entry.item;
  }

  /** Removes an item wherever it is (abort, deadline). */
  remove(item: T): boolean {
    const w = this.#where.get(item);
    if (!w) return false;
    const lane = this.#lanes.get(w.priority) as Lane<T>;
    const line = lane.teams.get(w.entry.team);
    const i = line ? line.indexOf(w.entry) : -1;
    if (line && i >= 0) line.splice(i, 1);
    if (line && line.length === 0) lane.teams.delete(w.entry.team);
    this.#where.delete(item);
    return true;
  }

  #take(lane: Lane<T>, entry: Entry<T>): void {
    lane.virtual = Math.max(lane.virtual, entry.start);
    const line = lane.teams.get(entry.team);
    line?.shift();
    if (line && line.length === 0) lane.teams.delete(entry.team);
    this.#where.delete(entry.item);
    if (lane.teams.size === 0) {
      // Idle lane: forget history so tags stay small and a returning team is not penalised.
      lane.lastFinish.clear();
      lane.virtual = 0;
    }
  }

  /** Marks `item` as served (removes it, advancing virtual time). */
  served(item: T): void {
    const w = this.#where.get(item);
    if (!w) return;
    this.#take(this.#lanes.get(w.priority) as Lane<T>, w.entry);
  }

  /** Waiting items per team. */
  countByTeam(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const { entry } of this.#where.values()) out[entry.team] = (out[entry.team] ?? 0) + 1;
    return out;
  }

  /** All waiting items, in no particular order. */
  items(): T[] {
    return [...this.#where.keys()];
  }
}
