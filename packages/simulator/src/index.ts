export { type CacheUsage, NO_CACHE, PromptCache } from './caching.js';
export { type ApiErrorType, errorBody, SimError } from './errors.js';
export {
  FAULT_KINDS,
  FaultInjector,
  type FaultKind,
  type FaultRule,
  type FaultSpec,
  type FaultTrigger,
  formatFaultRule,
  parseFaultRule,
  parseFaultSpec,
} from './faults.js';
export type { LedgerEntry, LedgerOutcome } from './ledger.js';
export { assistantTurns, type MessagesRequest, parseMessagesRequest } from './messages.js';
export { findModel, MODEL_CLASSES, MODELS, type ModelClass, type ModelInfo } from './models.js';
export {
  ConfigPatchSchema,
  DEFAULT_RESPONSE,
  LimitsSchema,
  type OutputDistribution,
  OutputDistributionSchema,
  parseOutputDistribution,
  REPLY_MODES,
  type ReplyMode,
  type ResponseConfig,
  ResponseConfigSchema,
  type SimulatorConfigPatch,
  type SimulatorFlags,
  type SimulatorOptions,
  simulatorOptionsFromFlags,
} from './options.js';
export {
  type ClassLimits,
  DEFAULT_LIMITS,
  type LimitsConfig,
  RateLimiter,
  TokenBucket,
} from './ratelimit.js';
export {
  loadScenario,
  parseScenario,
  type Scenario,
  type ScenarioBlock,
  ScenarioBlockSchema,
  type ScenarioFileInput,
  ScenarioFileSchema,
  type ScenarioInput,
  ScenarioSchema,
  type ScenarioSet,
  type ScenarioTurn,
  TurnSchema,
} from './scenario.js';
export { DEFAULT_MAX_BODY_BYTES, type RunningSimulator, startSimulator } from './server.js';
export type { Counters, SimStats } from './stats.js';
export { analyzePrompt, countText } from './tokens.js';
