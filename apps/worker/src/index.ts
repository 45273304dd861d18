export {
  COORDINATION_WAIT_MS,
  type CoordinationScope,
  isCoordinationTask,
  type TaskQueueFor,
  type WorkerResources,
} from './coordination';
export { type Check, type CheckResult, type HealthServer, startHealthServer } from './health';
export { createLogger, type Logger } from './logger';
export { type RunningWorker, startWorker, type WorkerOptions } from './worker';
