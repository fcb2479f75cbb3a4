// Public API of the server pool: connections to LES servers, their views for the scheduler,
// verified announces for the header chain, add/remove/list for management.
export { type ServerParams, applyAnnounceUpdates, isHigherHead, paramsFromStatus } from './capabilities.js';
export { BadAnnounceError, ServerPoolError, type ServerPoolErrorCode } from './errors.js';
export { type FailureHint, type HintWording, type ServerFailure, StartFailures, describeFailure, failureSummary, libraryWording } from './failures.js';
export {
  type ReconnectOptions,
  type ServerInfo,
  type ServerOrigin,
  ServerPool,
  type ServerPoolEvents,
  type ServerPoolOptions,
  type ServerState,
} from './pool.js';
export { Reliability, RttAverage, SCORE_RULES, type ScoreEvent } from './reliability.js';
export { ConnectedServer, type ConnectedServerEvents, type ServerConnection, ServerRecord } from './server.js';
export { type OurHead, lightClientStatus } from './status.js';
