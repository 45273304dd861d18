export {
  type CreateDbOptions,
  createDb,
  type Database,
  type DbClient,
  pingDb,
  type Schema,
} from './client';
export { type ResolvedDatabase, redactUrl, resolveDatabase } from './database';
export { dataDir, dbEnv, EnvError, type EnvIssue, throwEnvError, workspaceRoot } from './env';
export {
  type MigrationState,
  migrationStatus,
  migrationsFolder,
  repeatableStatus,
  repeatablesFolder,
  runMigrations,
} from './migrate';
export * as schema from './schema/index';
