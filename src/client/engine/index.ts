/** The light client engine: LesClient and its options. */
export { ClientError, type ClientErrorCode, type ClientStatus, LesClient, type LesClientEvents } from './client.js';
export {
  CLIENT_DEFAULTS,
  type ClientCacheSizes,
  type ClientLogger,
  type ClientTimeouts,
  type LesClientOptions,
  type ServerOption,
  resolveGenesis,
  resolveNetwork,
  resolveServers,
} from './options.js';
