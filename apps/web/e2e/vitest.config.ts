import { defineConfig } from 'vitest/config';

// The console end-to-end run: one file, one Baton, one browser; no parallelism.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    expect: { poll: { timeout: 60_000, interval: 250 } },
    reporters: ['verbose'],
  },
});
