/**
 * `--rpc URL` to the two endpoints the follower uses: JSON-RPC calls over HTTP(S), and for a
 * ws:// or wss:// URL the newHeads subscription on it. A WebSocket URL's calls go to the same
 * host and port over HTTP, which is where anvil (and reth) serve both; a node with separate ports
 * (go-ethereum: 8545 / 8546) takes an explicit `httpUrl`.
 */
import { ChainError } from './errors.js';

export interface NodeEndpoints {
  httpUrl: string;
  wsUrl: string | undefined;
}

export function nodeEndpoints(url: string, httpUrl?: string): NodeEndpoints {
  let u: URL;
  try {
    u = new URL(url);
  } catch (cause) {
    throw new ChainError('CHAIN_BAD_URL', `not a URL: ${url}`, { field: 'rpc', cause });
  }
  if (u.protocol === 'http:' || u.protocol === 'https:') return { httpUrl: httpUrl ?? u.toString(), wsUrl: undefined };
  if (u.protocol === 'ws:' || u.protocol === 'wss:') {
    const http = new URL(u.toString());
    http.protocol = u.protocol === 'ws:' ? 'http:' : 'https:';
    return { httpUrl: httpUrl ?? http.toString(), wsUrl: u.toString() };
  }
  throw new ChainError('CHAIN_BAD_URL', `unsupported scheme ${u.protocol} (http, https, ws, wss)`, { field: 'rpc' });
}
