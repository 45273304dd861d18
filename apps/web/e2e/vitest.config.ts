import { defineConfig } from 'vitest/config';

// The console end-to-end run: one file, one Baton, one browser; no parallelism.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: false,
    reporters: ['verbose'],
  },
});
