/** Time as the limiter sees it. Inject a manual clock in tests. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  },
};

/** A clock that only moves when told to (for deterministic tests). */
export interface ManualClock extends Clock {
  /** Moves time forward, firing due timers in order and letting promise chains settle between them. */
  advance(ms: number): Promise<void>;
  /** Lets pending promise chains run without moving time. */
  flush(): Promise<void>;
  /** Number of timers waiting. */
  readonly pendingTimers: number;
}

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ManualClockOptions {
  /** Resolves when asynchronous work outside the clock (e.g. database calls) has finished. */
  idle?: () => Promise<void>;
}

export function manualClock(start = 0, options: ManualClockOptions = {}): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Set<Timer>();
  const flush = async () => {
    for (let i = 0; i < 20; i++) await tick();
    if (options.idle) {
      await options.idle();
      for (let i = 0; i < 20; i++) await tick();
    }
  };
  return {
    now: () => now,
    setTimer(fn, ms) {
      const t: Timer = { at: now + Math.max(0, ms), seq: seq++, fn };
      timers.add(t);
      return () => {
        timers.delete(t);
      };
    },
    get pendingTimers() {
      return timers.size;
    },
    flush,
    async advance(ms) {
      const end = now + ms;
      await flush();
      for (;;) {
        let next: Timer | undefined;
        for (const t of timers) {
          if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) {
            next = t;
          }
        }
        if (!next) break;
        timers.delete(next);
        now = Math.max(now, next.at);
        next.fn();
        await flush();
      }
      now = end;
      await flush();
    },
  };
}
