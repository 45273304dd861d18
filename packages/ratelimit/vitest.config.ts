import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['@baton/db/vitest-global-setup'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
