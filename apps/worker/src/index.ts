export { type Check, type CheckResult, type HealthServer, startHealthServer } from './health';
export { createLogger, type Logger } from './logger';
export { type RunningWorker, startWorker, type WorkerOptions } from './worker';
