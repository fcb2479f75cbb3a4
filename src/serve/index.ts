// Public API of the serve module: the LES server in front of an execution node (`lesp serve`),
// the serving logic it is built from, and its read-only stats for the management layer.
export {
  LesServer,
  type LesServerEvents,
  type LesServerOptions,
  type LesServerStats,
  DEFAULT_LES_PORT,
  type ServerPoolOptions,
  effectiveNetwork,
  serverStartedChannel,
} from './server/server.js';
export { DEFAULT_MAX_BAD_REQUESTS, LesService, type LesServiceEvents, type LesServiceOptions, type ServiceStats } from './server/service.js';
export {
  CapacityPool,
  type CapacityAssignment,
  type CapacityOptions,
  type ConnectingClient,
  DEFAULT_TOTAL_CAPACITY,
  type PoolActions,
  flowParamsFor,
} from './server/capacity.js';
export * from './pool/index.js';
export { ClientFlow, type Admission, type FlowActions, MIN_RESUME_DELAY_MS } from './server/client-flow.js';
export { CAPACITY_DECREASE_DELAY_MS, ClientSession, type SessionCounters, type SessionInfo } from './server/session.js';
export { BAD_REQUEST_PENALTY, type BadRequestKind, type DispatchTotals, type DispatcherOptions, RequestDispatcher } from './server/dispatcher.js';
export { Announcer, compareHeads, reorgDepthFrom } from './server/announcer.js';
export { buildServerStatus, type StatusInputs } from './server/status.js';
export { HANDLERS, type HandlerTable } from './server/handlers/table.js';
export type { Handler, ServeContext, ServeLog, ServePolicy, Served } from './server/handlers/types.js';
export type {
  ChainReader,
  HeadEvent,
  HelperTrieReader,
  ProofItem,
  RelayResult,
  ServableState,
  ServeBackend,
  ServeHead,
  ServedHeader,
  StateReader,
  TxPool,
} from './server/backend.js';
export { ServeError, type ServeErrorCode } from './server/errors.js';
export { ServeStack, type StackOptions } from './server/stack.js';
