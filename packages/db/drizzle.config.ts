import { defineConfig } from 'drizzle-kit';

// `pnpm --filter @baton/db db:generate` writes a new migration into ./drizzle
// from the difference between src/schema and the last snapshot.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './drizzle',
  strict: true,
  verbose: true,
});
