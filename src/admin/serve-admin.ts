/**
 * The management endpoint of a running LesServer: the les_* API, the operator commands and the
 * token sessions on one AdminRpcServer (127.0.0.1 by default). Access and token files as every
 * management endpoint has them (endpoint.ts); the known LES servers are kept in
 * `<datadir>/admin-peers.json`.
 */
import { join } from 'node:path';
import { forkIdAt } from '../config/network.js';
import { DialError, HandshakeError, LesNode } from '../net/index.js';
import type { LesServer } from '../serve/index.js';
import type { Status } from '../wire/index.js';
import { ADMIN_SESSIONS_FILE, ADMIN_TOKEN_FILE, type AdminEndpoint, checkFlagToken, startAdminEndpoint } from './endpoint.js';
import { lesMethods } from './methods/les.js';
import { operatorMethods } from './methods/operator.js';
import type { AdminLog, AdminMethod } from './methods/types.js';
import { PeerBook, type ProbeResult } from './peer-book.js';
import type { AdminRpcServer } from './rpc-server.js';
import type { TokenStore } from './tokens.js';

export { ADMIN_SESSIONS_FILE, ADMIN_TOKEN_FILE };
export const ADMIN_PEERS_FILE = 'admin-peers.json';

export interface ServeAdminOptions {
  server: LesServer;
  host?: string;
  /** 0: any free port. */
  port: number;
  datadir?: string;
  /** A full-access token from a flag or the environment. */
  token?: string;
  log?: AdminLog;
  /** Called (after answering) by the `stop` command: stop the server and end the process. */
  onStop(): void;
  /** Unix seconds, for token expiry (tests). */
  now?: () => number;
  /** ms between probes of known LES servers. Default 10 minutes. */
  peerProbeEveryMs?: number;
}

export interface ServeAdmin {
  url: string;
  rpc: AdminRpcServer;
  tokens: TokenStore;
  peers: PeerBook;
  /** Where the first-start token was written, when there is a datadir. */
  tokenFile: string | undefined;
  /** The full-access token created at this start, to print once. */
  created: string | undefined;
  close(): Promise<void>;
}

/** Dials `enode` as an LES client with our network's Status, reads its Status, and leaves. */
export async function probeLesServer(server: LesServer, enode: string): Promise<ProbeResult> {
  const chain = server.stack.backend.chain;
  const genesis = chain.genesisHash();
  const head = chain.head();
  const status: Status = {
    protocolVersion: 4,
    networkId: server.network.networkId,
    headTd: head.td,
    headHash: head.hash,
    headNum: head.number,
    genesisHash: genesis,
    forkID: forkIdAt(server.network, genesis, head.number, head.timestamp),
    announceType: 0,
    unknown: [],
  };
  const node = new LesNode({ role: 'client', status, clientId: 'les-provider/probe', dialTimeoutMs: 5000, maxPeers: 1 });
  try {
    const peer = await node.dial(enode);
    const remote = peer.remoteStatus;
    peer.disconnect();
    if (remote === undefined) return { ok: false, reached: true, error: 'no Status' };
    return { ok: true, head: remote.headNum, version: peer.version, client: peer.remoteClientId };
  } catch (err) {
    const reached = err instanceof HandshakeError;
    return { ok: false, reached, error: err instanceof DialError || reached ? err.message : String((err as Error).message ?? err) };
  } finally {
    await node.close();
  }
}

export async function startServeAdmin(o: ServeAdminOptions): Promise<ServeAdmin> {
  checkFlagToken(o.token);
  const peers = await PeerBook.open({
    file: o.datadir === undefined ? undefined : join(o.datadir, ADMIN_PEERS_FILE),
    probe: (enode) => probeLesServer(o.server, enode),
    probeEveryMs: o.peerProbeEveryMs,
  });
  const methods = new Map<string, AdminMethod>([
    ...lesMethods(o.server),
    ...operatorMethods({ server: o.server, peers, startedAt: Date.now(), startUrls: [o.server.options.rpcUrl], onStop: o.onStop }),
  ]);
  let endpoint: AdminEndpoint;
  try {
    endpoint = await startAdminEndpoint({ methods, host: o.host, port: o.port, datadir: o.datadir, token: o.token, log: o.log, now: o.now });
  } catch (err) {
    await peers.close();
    throw err;
  }
  return {
    ...endpoint,
    peers,
    close: async () => {
      await endpoint.rpc.close();
      await peers.close();
      await endpoint.tokens.close();
    },
  };
}
