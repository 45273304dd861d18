import { manualClock } from './clock.js';
import { memoryStore } from './memory-store.js';
import { describeStoreContract } from './testing/store-contract.js';

describeStoreContract('memory', async () => {
  const clock = manualClock(1_700_000_000_000);
  return { store: memoryStore({ clock }), advance: (ms) => clock.advance(ms), slackMs: 0 };
});
