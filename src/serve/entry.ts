// The serve entry point (`les-provider/serve`): an LES server in front of an execution node's
// JSON-RPC, as `lesp serve` runs it. `new LesServer({ rpcUrl, port, network })`, `await start()`
// (resolves with its enode URL), `stats()`, events `head`, `client`, `clientGone`, `stop()`.
export { DEFAULT_LES_PORT, LesServer, type LesServerEvents, type LesServerOptions, type LesServerStats, type ServerPoolOptions } from './server/server.js';
export type { HeadEvent } from './server/backend.js';
export type { SessionInfo } from './server/session.js';
export { ServeError, type ServeErrorCode } from './server/errors.js';
