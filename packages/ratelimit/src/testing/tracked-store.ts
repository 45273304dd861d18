import type { RateLimitStore } from '../store.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wraps a store to know when none of its calls is running (for tests over real I/O). */
export function trackedStore(inner: RateLimitStore): {
  store: RateLimitStore;
  idle(): Promise<void>;
} {
  let busy = 0;
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      busy++;
      try {
        return await fn(...args);
      } finally {
        busy--;
      }
    };
  const store: RateLimitStore = {
    reserve: wrap(inner.reserve.bind(inner)),
    adjust: wrap(inner.adjust.bind(inner)),
    sync: wrap(inner.sync.bind(inner)),
    pause: wrap(inner.pause.bind(inner)),
    snapshot: wrap(inner.snapshot.bind(inner)),
  };
  return {
    store,
    async idle() {
      for (let quiet = 0; quiet < 3; ) {
        for (let i = 0; i < 10; i++) await tick();
        if (busy === 0) quiet++;
        else {
          quiet = 0;
          await sleep(2);
        }
      }
    },
  };
}
