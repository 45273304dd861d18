import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run against @baton/core's source, so they never depend on a stale build of it.
    alias: {
      '@baton/core': fileURLToPath(new URL('../../packages/core/src/index.ts', import.meta.url)),
    },
  },
  test: {
    globalSetup: ['@baton/db/vitest-global-setup'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
