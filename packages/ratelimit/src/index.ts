export {
  type Backoff,
  type BackoffOptions,
  backoffDelay,
  createBackoff,
  DEFAULT_BACKOFF,
} from './backoff.js';
export {
  activeBlock,
  type BlockProjection,
  type BlockTokenCounts,
  type BurnRate,
  burnRate,
  DEFAULT_BLOCK_HOURS,
  identifyBlocks,
  projectBlock,
  type UsageBlock,
  type UsageEntry,
} from './blocks.js';
export {
  type Bucket,
  fullBucket,
  msUntilFull,
  rateOf,
  refill,
  resize,
  waitFor,
} from './bucket.js';
export {
  errorMessage,
  getHeader,
  type HeadersLike,
  isSpendLimit,
  parseRateLimitHeaders,
  parseRetryAfter,
  type ServerLimit,
} from './calibrate.js';
export {
  type Clock,
  type ManualClock,
  type ManualClockOptions,
  manualClock,
  systemClock,
} from './clock.js';
export {
  AbortedError,
  ClosedError,
  DeadlineError,
  LimiterError,
  type LimiterErrorCode,
  OversizeError,
  ProviderSpendLimitError,
  RateLimitedError,
} from './errors.js';
export {
  type CountTokensClient,
  type CountTokensFetchOptions,
  countTokensBody,
  countTokensCounter,
  type FetchLike,
  type LocalTokenCounterOptions,
  localTokenCounter,
  type MessagesRequestLike,
  type OutputEstimator,
  type OutputEstimatorOptions,
  outputEstimator,
  type TokenCounter,
} from './estimate.js';
export {
  type Enqueued,
  FairQueue,
  type FairQueueOptions,
  PRIORITIES,
  type Priority,
} from './fair-queue.js';
export {
  PRIORITY_HEADER,
  type RateLimitedFetchOptions,
  rateLimitedFetch,
  TEAM_HEADER,
  withRateLimit,
} from './fetch.js';
export {
  type AcquireOptions,
  type CalibrateOptions,
  createLimiter,
  type DimensionState,
  type Limiter,
  type LimiterOptions,
  type LimiterState,
  type RateLimitedInfo,
  type RateLimitedOutcome,
  type Reservation,
  type SettleResult,
  type TryAcquireResult,
} from './limiter.js';
export {
  type Amounts,
  capacitiesOf,
  chargeOf,
  DIMENSIONS,
  type Dimension,
  type Limits,
  requestAmounts,
  type Usage,
  WINDOW_MS,
} from './limits.js';
export { type MemoryStoreOptions, memoryStore } from './memory-store.js';
export { demandPerMinute, drainTime, type LimitView, type Prediction, predict } from './predict.js';
export { keyId, modelClass, scopeOf } from './scope.js';
export type {
  BucketView,
  ImmediateStore,
  RateLimitStore,
  ReserveRequest,
  ReserveResult,
  ScopeSnapshot,
  SyncRequest,
} from './store.js';
export { type Suggestion, type SuggestionKind, type SuggestOptions, suggest } from './suggest.js';
