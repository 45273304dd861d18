export {
  COORDINATOR_ROLE,
  type StartCoordinationInput,
  type StartCoordinationOptions,
  type StartedCoordination,
  startCoordination,
} from './coordinate';
export { APP_CODE_OF_COORDINATION, coordinationAsAppError } from './errors';
export {
  AGENT_LIST_LIMIT,
  type AgentScope,
  BOARD_BODY_MAX,
  BOARD_PAGE_LIMIT,
  createPgTaskQueue,
  INPUT_MESSAGE_MAX,
  type PgTaskQueueDeps,
  WAIT_POLL_MS,
} from './pg-task-queue';
