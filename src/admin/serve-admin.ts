/**
 * The management endpoint of a running LesServer: the les_* API, the operator commands and the
 * token sessions on one AdminRpcServer (127.0.0.1 by default).
 *
 * Access: a token given by flag or environment is a full-access token kept in memory. Otherwise,
 * on the first start with a datadir a full-access token is created and written to
 * `<datadir>/admin.token` (0600), which `lesp admin` reads by default; `created` carries it so
 * the caller can print it once. Without a datadir the token lives as long as the process (and is
 * printed at every start). Token sessions are kept in `<datadir>/admin-sessions.json` (0600,
 * hashed), the known LES servers in `<datadir>/admin-peers.json`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { forkIdAt } from '../config/network.js';
import { DialError, HandshakeError, LesNode } from '../net/index.js';
import type { LesServer } from '../serve/index.js';
import type { Status } from '../wire/index.js';
import { lesMethods } from './methods/les.js';
import { operatorMethods } from './methods/operator.js';
import { tokenMethods } from './methods/tokens.js';
import { type AdminLog, type AdminMethod, entitiesOf, silentAdminLog } from './methods/types.js';
import { PeerBook, type ProbeResult } from './peer-book.js';
import { AdminRpcServer, DEFAULT_ADMIN_HOST } from './rpc-server.js';
import { TokenStore, writeFileAtomic } from './tokens.js';

export const ADMIN_TOKEN_FILE = 'admin.token';
export const ADMIN_SESSIONS_FILE = 'admin-sessions.json';
export const ADMIN_PEERS_FILE = 'admin-peers.json';
const MIN_FLAG_TOKEN = 16;

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
  const log = o.log ?? silentAdminLog;
  if (o.token !== undefined && o.token.length < MIN_FLAG_TOKEN) throw new Error(`the admin token must be at least ${MIN_FLAG_TOKEN} characters`);
  const file = (name: string) => (o.datadir === undefined ? undefined : join(o.datadir, name));
  const tokens = await TokenStore.open({ file: file(ADMIN_SESSIONS_FILE), now: o.now });
  const peers = await PeerBook.open({ file: file(ADMIN_PEERS_FILE), probe: (enode) => probeLesServer(o.server, enode), probeEveryMs: o.peerProbeEveryMs });
  const methods = new Map<string, AdminMethod>([
    ...lesMethods(o.server),
    ...operatorMethods({ server: o.server, peers, startedAt: Date.now(), startUrls: [o.server.options.rpcUrl], onStop: o.onStop }),
  ]);
  for (const [name, m] of tokenMethods(tokens, () => entitiesOf(methods))) methods.set(name, m);
  const tokenFile = file(ADMIN_TOKEN_FILE);
  let created: string | undefined;
  if (o.token !== undefined) tokens.addStatic(o.token, 'flag');
  else if (tokenFile === undefined || !existsSync(tokenFile)) {
    created = (await tokens.add('first start', 'admin', 0, undefined, entitiesOf(methods))).token;
    if (tokenFile !== undefined) await writeFileAtomic(tokenFile, `${created}\n`);
  }
  const rpc = new AdminRpcServer({ host: o.host ?? DEFAULT_ADMIN_HOST, port: o.port, tokens, methods, log });
  try {
    await rpc.listen();
  } catch (err) {
    await peers.close();
    throw err;
  }
  log.info({ url: rpc.url, tokenFile: created === undefined ? undefined : tokenFile }, 'admin: listening');
  return {
    url: rpc.url,
    rpc,
    tokens,
    peers,
    tokenFile,
    created,
    close: async () => {
      await rpc.close();
      await peers.close();
      await tokens.close();
    },
  };
}
