import { defineConfig } from 'vitest/config';

// `pnpm test:chaos`: the chaos suite (chaos/*.chaos.ts) on its own, with its own PostgreSQL
// (it restarts it), so no global setup.
export default defineConfig({
  test: {
    include: ['chaos/**/*.chaos.ts'],
    testTimeout: 1_200_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
