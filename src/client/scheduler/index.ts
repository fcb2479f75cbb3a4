// Public API of the scheduler: the Retriever over a ServerSource (the server pool, or fakes).
export { type BatchRules, type Pick, expectedMs, fillBatch, messageCost, pickServer, softTimeoutMs } from './choice.js';
export {
  NoServerError,
  NotServedError,
  RetrieveAbortedError,
  RetrieveTimeoutError,
  SchedulerClosedError,
  SchedulerError,
  type SchedulerErrorCode,
  VerificationFailedError,
} from './errors.js';
export {
  ITEM_OUTCOMES,
  type ItemOutcome,
  type KindMetrics,
  MESSAGE_OUTCOMES,
  type MessageOutcome,
  type SchedulerMetricsSnapshot,
  type ServerMetrics,
} from './metrics.js';
export { SCHEDULER_DEFAULTS, Scheduler, type SchedulerOptions } from './scheduler.js';
export {
  type AnswerOutcome,
  type FlowGate,
  type Logger,
  type ReplyLike,
  type SchedulableServer,
  type ServerSource,
  type SourceListener,
  type Timers,
  silentLogger,
  systemTimers,
} from './types.js';
