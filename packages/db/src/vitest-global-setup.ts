import type { TestProject } from 'vitest/node';
import { startTestPostgres } from './testing';

/** Vitest globalSetup: one PostgreSQL server for the whole run (see testing.ts). */
export default async function setup(project: TestProject) {
  const server = await startTestPostgres();
  project.provide('pgAdminUrl', server.adminUrl);
  return async () => {
    await server.stop();
  };
}
