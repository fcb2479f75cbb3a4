/**
 * The management endpoint of a light client (`lesp proxy`, `lesp devnet`): the peer commands
 * addnode and getpeerinfo with the same token sessions, files and access rules as the LES
 * server's endpoint (endpoint.ts).
 */
import { type AdminEndpoint, type AdminEndpointOptions, startAdminEndpoint } from './endpoint.js';
import { type ClientPeersContext, clientPeerMethods } from './methods/client-peers.js';

export type ClientAdminOptions = Omit<AdminEndpointOptions, 'methods'> & ClientPeersContext;

export function startClientAdmin(o: ClientAdminOptions): Promise<AdminEndpoint> {
  const { pool, ...endpoint } = o;
  return startAdminEndpoint({ ...endpoint, methods: clientPeerMethods({ pool }) });
}
