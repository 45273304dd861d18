export {
  type PostgresStore,
  type PostgresStoreOptions,
  postgresStore,
  type Queryable,
  schemaSql,
} from './postgres-store.js';
