// The management layer (DESIGN §3 admin/): the JSON-RPC endpoint with token sessions, the LES
// server's method table (les_* API, operator commands), the light client's peer commands
// (addnode, getpeerinfo), and the client `lesp admin` uses.
export { type ClientAdminOptions, startClientAdmin } from './client-admin.js';
export { AdminClient, AdminClientError, type AdminClientErrorKind, type AdminClientOptions } from './client.js';
export { AdminRpcError, RpcCode, UNAUTHORIZED_MESSAGE, invalidParams } from './errors.js';
export { type Column, formatResult, table } from './format.js';
export { JsonSyntaxError, parseJson, stringifyJson } from './json.js';
export { type AdminEndpoint, type AdminEndpointOptions, checkFlagToken, startAdminEndpoint } from './endpoint.js';
export { ADDNODE_COMMANDS, type ClientPeersContext, type PeerInfoRow, type PeerServices, clientPeerMethods, peerInfoRow } from './methods/client-peers.js';
export { lesMethods } from './methods/les.js';
export { type OperatorContext, type SessionRow, formatDuration, operatorMethods, redactUrl } from './methods/operator.js';
export { tokenMethods } from './methods/tokens.js';
export { type AdminLog, type AdminMethod, type MethodContext, type MethodTable, entitiesOf } from './methods/types.js';
export { PeerBook, type PeerRow, type PeerStatus, type ProbeResult } from './peer-book.js';
export { allows } from './permissions.js';
export { AdminRpcServer, type AdminRpcServerOptions, DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from './rpc-server.js';
export {
  ADMIN_PEERS_FILE,
  ADMIN_SESSIONS_FILE,
  ADMIN_TOKEN_FILE,
  type ServeAdmin,
  type ServeAdminOptions,
  probeLesServer,
  startServeAdmin,
} from './serve-admin.js';
export { TOKEN_STATES, TOKEN_TYPES, type TokenFilter, type TokenRecord, type TokenState, TokenStore, type TokenType, type TokenView, newToken, writeFileAtomic } from './tokens.js';
