import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { type AppRouter, appRouter } from './root';
import { createCallerFactory } from './trpc';

export * from './agents/index';
export {
  type Auth,
  type CreateAuthOptions,
  createAuth,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
} from './auth';
export {
  assertTaskMayRun,
  type CapView,
  capSentence,
  listSpendCaps,
  NO_PROVIDER_KEY_MESSAGE,
  removeSpendCap,
  type SetSpendCapInput,
  type SpendCapActor,
  type SpendCapKeyInput,
  setSpendCap,
  setSpendCapInput,
  spendCapKeyInput,
  trimUsd,
} from './budget';
export { type ApiConfig, defaultModelFor, instanceConfig } from './config';
export {
  DEMO_EMAIL,
  DEMO_TEAM,
  type EnsureDemoAccountOptions,
  ensureDemoAccount,
  resetDemoPassword,
  type SetPasswordOptions,
  setPassword,
} from './demo';
export { type ApiEnv, apiEnv, repositoryRoots } from './env';
export {
  APP_ERROR_CODES,
  AppError,
  type AppErrorCode,
  type AppErrorMeta,
  isAppError,
} from './errors';
export {
  type AlertLoop,
  type AlertLoopOptions,
  type AlertSweep,
  evaluateAllAlertRules,
  startAlertLoop,
} from './live/alerts';
export {
  authenticateMcpToken,
  hashMcpToken,
  MCP_TOKEN_PREFIX,
  type MintedMcpToken,
  mintMcpToken,
  teamMcpPrincipal,
} from './mcp-auth';
export { claimOperatorIfNone, isOperator, setOperator } from './operator';
export {
  type AddRepositoryInput,
  addRepository,
  addRepositoryInput,
  type CheckRefInput,
  checkRepositoryRef,
  listRepositories,
  MAX_TEAM_REPOSITORIES,
  type RepositoryOptions,
  type RepositorySummary,
  removeRepository,
} from './repositories';
export { ROLES, type Role, roleAtLeast } from './roles';
export {
  type AgentWaitEvent,
  coordinateAgentsInput,
  sendInputInput,
  spawnAgentInput,
  waitAgentsInput,
} from './router/agent';
export {
  CWD_REMOVED_MESSAGE,
  type PrepareSubmissionOptions,
  prepareTaskSubmission,
  type SubmissionTeam,
  type SubmitTaskInput,
  submitTaskInput,
  type TaskSubmission,
} from './submission';
export {
  type OperatorTeamSettings,
  type OperatorTeamSettingsInput,
  operatorTeamSettingsInput,
  setOperatorTeamSettings,
} from './team-settings';
export {
  type AuthSession,
  type Context,
  type CreateContextOptions,
  createTRPCContext,
  type McpPrincipal,
  operatorOnly,
  requireOperator,
  requireTeamRole,
  type SessionUser,
  type ZodErrorShape,
} from './trpc';
export { type FieldIssue, parseInput } from './validate';
export {
  MAX_FILE_DOWNLOAD_BYTES,
  type WorkspaceDownload,
  type WorkspaceDownloadRequest,
  workspaceDownload,
} from './workspace-download';
export { type AppRouter, appRouter };

/** Calls procedures directly (server components, tests): `createCaller(await createTRPCContext(...))`. */
export const createCaller = createCallerFactory(appRouter);

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;
