// The simulator in its own process, so the benchmark's event loop only runs the clients.
import { startSimulator } from '@baton/simulator';

const sim = await startSimulator({
  port: 0,
  response: { ttftMs: 0, tokensPerSecond: 0, outputTokens: { type: 'fixed', tokens: 20 } },
  limits: { rpm: 10_000_000, itpm: 1_000_000_000, otpm: 1_000_000_000 },
});
process.send?.({ url: sim.url });
process.on('disconnect', () => {
  void sim.close().then(() => process.exit(0));
});
