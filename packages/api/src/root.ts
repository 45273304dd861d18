import { agentRouter } from './router/agent';
import { analyticsRouter } from './router/analytics';
import { budgetRouter } from './router/budget';
import { invitationRouter } from './router/invitation';
import { liveRouter } from './router/live';
import { mcpTokenRouter } from './router/mcp-token';
import { modelRouter } from './router/model';
import { priceRouter } from './router/price';
import { repositoryRouter } from './router/repository';
import { settingsRouter } from './router/settings';
import { systemRouter } from './router/system';
import { taskRouter } from './router/task';
import { teamRouter } from './router/team';
import { createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  system: systemRouter,
  team: teamRouter,
  invitation: invitationRouter,
  task: taskRouter,
  price: priceRouter,
  analytics: analyticsRouter,
  live: liveRouter,
  settings: settingsRouter,
  repository: repositoryRouter,
  budget: budgetRouter,
  model: modelRouter,
  mcpToken: mcpTokenRouter,
  agent: agentRouter,
});

export type AppRouter = typeof appRouter;
