import { manualClock } from './clock.js';
import { memoryStore } from './memory-store.js';
import { describeLimiterContract } from './testing/limiter-contract.js';

describeLimiterContract('the memory store', async () => {
  const clock = manualClock(1_700_000_000_000);
  return {
    store: memoryStore({ clock }),
    clock,
    advance: (ms) => clock.advance(ms),
    flush: () => clock.flush(),
    slackMs: 0,
  };
});
