export {
  type ApiBackend,
  type ApiBackendOptions,
  apiSummarizer,
  type CompleteRequest,
  createApiBackend,
  type Run,
  type RunInput,
} from './api-backend.js';
export {
  type Breaker,
  type BreakerEvent,
  type BreakerOptions,
  type BreakerRegistry,
  createBreakerRegistry,
  DEFAULT_BREAKER_FAILURE_CODES,
  isBreakerRejection,
} from './breaker.js';
export {
  BATON_MCP_SERVER,
  BATON_MCP_TOOLS_RULE,
  type ClaudeCodeBackend,
  type ClaudeCodeBackendOptions,
  type ClaudeCodeRunInput,
  createClaudeCodeBackend,
} from './claude-code-backend.js';
export {
  buildClaudeCodeEnv,
  type ClaudeCodeEnvOptions,
  ENV_ALLOW_LIST,
} from './claude-code-env.js';
export {
  type ClaudeTranscript,
  captureTranscript,
  projectDirName,
  restoreTranscript,
} from './claude-transcript.js';
export {
  type BatonClient,
  type ClientOptions,
  type ClientRunOptions,
  createClient,
} from './client.js';
export {
  type BatonConfig,
  type BatonConfigInput,
  ConfigError,
  ConfigSchema,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
  type ResolvedProvider,
} from './config.js';
export {
  type CompactionResult,
  type ContextManager,
  type ContextManagerOptions,
  createContextManager,
  currentTask,
  defaultWindowTokens,
  estimateTokens,
  SUMMARIZER_SYSTEM,
  SUMMARY_PREFIX,
  type SummarizeRequest,
  type Summarizer,
  summarizerPrompt,
  toolUnits,
  truncatingSummarizer,
} from './context.js';
export * from './coordination/index.js';
export {
  AbortError,
  AuthenticationFailureError,
  BatonError,
  type BatonErrorDetails,
  batonError,
  type ClassifyContext,
  CliNotFoundError,
  ContextTooLargeError,
  classifyError,
  codeOfClaudeCodeError,
  codeOfStatus,
  ERROR_CODES,
  type ErrorCode,
  InvalidRequestError,
  isAbort,
  ModelOverloadedError,
  NetworkTimeoutError,
  RateLimitError,
  ResourceLimitError,
  resetDelayMs,
  SandboxUnavailableError,
  ServiceUnavailableError,
  SessionTimeoutError,
  SpendLimitError,
  UnknownError,
} from './errors.js';
export {
  type BatonEvent,
  type BreakerState,
  Channel,
  type EventError,
  type EventListener,
  type RunResult,
  type StartRunOptions,
  type StopReason,
  startRun,
  toEventError,
} from './events.js';
export {
  type ImageInput,
  type ImageMediaType,
  type ImageOptions,
  ImageRejectedError,
  type PreparedImage,
  prepareImage,
  processImage,
} from './images.js';
export { MissingDependencyError, type OptionalDependency } from './missing-dependency.js';
export {
  DEFAULT_FALLBACK_MODELS,
  DEFAULT_MODEL,
  DEFAULT_SUMMARIZER_MODEL,
  findModelLifecycle,
  MODEL_LIFECYCLE,
  type ModelLifecycle,
  type ModelState,
  type ModelStatus,
  modelStatus,
} from './models.js';
export {
  type Cost,
  createPriceTable,
  DEFAULT_PRICES,
  defaultPriceTable,
  microsToUsd,
  type Price,
  type PriceRow,
  type PriceTable,
  type PriceValue,
  parsePrice,
  parseUsd,
  picoToUsd,
  priceTableOf,
  sumUsd,
  type TokenCounts,
} from './pricing.js';
export {
  type ListProviderModelsOptions,
  listProviderModels,
  type ProviderModel,
} from './provider-models.js';
export {
  type LimiterGateOptions,
  limiterGate,
  type RateGate,
  type RateLimitedInfo,
  type RateRequest,
  type RateTicket,
  unlimitedGate,
} from './rate-gate.js';
export { type AttemptContext, type RecoveryOptions, sleep, withRecovery } from './resilience.js';
export * from './sandbox/index.js';
export {
  addTokens,
  type BackendKind,
  type ChatMessage,
  cloneState,
  type MessageMeta,
  type ModelConfig,
  type NewSessionOptions,
  newSessionState,
  type SessionState,
  zeroTokens,
} from './session.js';
export {
  type Admission,
  createSessionGate,
  type SessionGate,
  type SessionGateOptions,
} from './session-gate.js';
export {
  createSessionPool,
  type Lease,
  type PoolStats,
  type SessionPool,
  type SessionPoolOptions,
} from './session-pool.js';
export { type MemorySessionStore, memorySessionStore, type SessionStore } from './session-store.js';
export {
  DEFAULT_STRATEGIES,
  type RecoveryAction,
  type RetryStrategy,
  resolveStrategies,
  retryDelayMs,
  type Strategies,
  type StrategyOverrides,
} from './strategy.js';
export {
  defineTool,
  runTool,
  type Tool,
  type ToolContext,
  type ToolOutput,
  type ToolRunResult,
  toApiTools,
  toInputSchema,
  toolOutputText,
} from './tools.js';
export {
  type ApiUsage,
  type BatchingOptions,
  type BatchingUsageSink,
  batchingUsageSink,
  type MemoryUsageSink,
  memoryUsageSink,
  sumUsage,
  teeUsageSink,
  tokenCounts,
  totalTokens,
  type UsageRecord,
  type UsageRecordInput,
  type UsageSink,
  type UsageTotals,
  usageRecord,
} from './usage.js';
