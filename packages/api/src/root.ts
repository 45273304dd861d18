import { analyticsRouter } from './router/analytics';
import { priceRouter } from './router/price';
import { systemRouter } from './router/system';
import { taskRouter } from './router/task';
import { teamRouter } from './router/team';
import { createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  system: systemRouter,
  team: teamRouter,
  task: taskRouter,
  price: priceRouter,
  analytics: analyticsRouter,
});

export type AppRouter = typeof appRouter;
