/**
 * The light client's (proxy's) peer commands, after seed 003's connection manager (issue 6 §4):
 *
 * - `addnode(enode, command)`: `add` puts a server in the pool, dialed now and redialed whenever
 *   it drops; `remove` (an enode URL or a 128-hex node id) drops it and never redials it; `onetry`
 *   dials once, answers once connected, and lets it go when that connection ends. Servers added
 *   here are not trusted: they serve requests, their heads do not count towards head agreement.
 *   → true, or -32602 naming the parameter at fault (a bad enode, an unknown node, one already in
 *   the pool, a onetry that could not connect; a command other than the three).
 * - `getpeerinfo`: one object per connected server, with the reference's field names where they
 *   have an LES meaning (times in Unix seconds, round trips in ms) and the LES ones beside them.
 */
import { type ConnectedServer, type ServerInfo, type ServerPool } from '../../client/servers/index.js';
import { parseEnode, parseNodeId } from '../../net/index.js';
import { AdminRpcError, RpcCode, invalidParams } from '../errors.js';
import { positional, required, stringParam } from '../params.js';
import type { AdminMethod } from './types.js';

export const ADDNODE_COMMANDS = ['add', 'remove', 'onetry'] as const;

export interface ClientPeersContext {
  /** The running client's server pool; undefined before it starts and after it stops. */
  pool(): ServerPool | undefined;
}

/** The LES Status values a server announced, as it serves them now (announces may change them). */
export interface PeerServices {
  serveHeaders: boolean;
  serveChainSince: number | null;
  serveRecentChain: number | null;
  serveStateSince: number | null;
  serveRecentState: number | null;
  txRelay: boolean;
  recentTxLookup: number | null;
}

export interface PeerInfoRow {
  id: string;
  enode: string;
  addr: string;
  addrlocal: string | null;
  services: PeerServices;
  relaytxes: boolean;
  /** Unix seconds; 0 when nothing was sent/received yet. */
  lastsend: number;
  lastrecv: number;
  /** LES payload bytes of this connection (before snappy). */
  bytessent: number;
  bytesrecv: number;
  /** Unix seconds. */
  conntime: number;
  /** Request round trip (moving average) and its minimum, ms; null before the first reply. */
  pingtime: number | null;
  minping: number | null;
  version: string;
  subver: string;
  /** The client only dials. */
  inbound: false;
  /** Put in the pool by addnode (add or onetry) rather than configured. */
  addnode: boolean;
  origin: ServerInfo['origin'];
  trusted: boolean;
  startingheight: number;
  head: { number: number; hash: string; td: bigint };
  /** Invalid answers (over every connection to it). */
  banscore: number;
  /** Reliability in [0, 1]. */
  score: number;
  /** Requests sent and not answered. */
  inflight: number;
  /** Buffer estimate (BLE), flowControl/BL and /MRR. */
  ble: number;
  bl: number;
  mrr: number;
  /** Between a StopMsg and its ResumeMsg. */
  stopped: boolean;
  requests: number;
  timeouts: number;
  bytessent_per_msg: Record<string, number>;
  bytesrecv_per_msg: Record<string, number>;
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const seconds = (ms: number | null): number => (ms === null ? 0 : Math.floor(ms / 1000));
const hostPort = (host: string, port: number): string => `${host.includes(':') ? `[${host}]` : host}:${port}`;
const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

function perMessage(server: ConnectedServer, dir: 'bytesIn' | 'bytesOut'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, t] of Object.entries(server.stats().byMessage)) if (t[dir] > 0) out[name] = t[dir];
  return out;
}

export function peerInfoRow(info: ServerInfo, server: ConnectedServer): PeerInfoRow {
  const stats = server.stats();
  const conn = server.connection();
  const caps = server.caps;
  const head = server.head;
  const measured = info.rttSamples > 0;
  return {
    id: info.id,
    enode: info.enode,
    addr: hostPort(conn.remoteHost, conn.remotePort),
    addrlocal: conn.localHost === undefined || conn.localPort === undefined ? null : hostPort(conn.localHost, conn.localPort),
    services: {
      serveHeaders: caps.serveHeaders,
      serveChainSince: caps.serveChainSince ?? null,
      serveRecentChain: caps.serveRecentChain ?? null,
      serveStateSince: caps.serveStateSince ?? null,
      serveRecentState: caps.serveRecentState ?? null,
      txRelay: caps.txRelay,
      recentTxLookup: caps.recentTxLookup ?? null,
    },
    relaytxes: caps.txRelay,
    lastsend: seconds(stats.lastSendAt),
    lastrecv: seconds(stats.lastReceiveAt),
    bytessent: stats.bytesOut,
    bytesrecv: stats.bytesIn,
    conntime: seconds(server.connectedSince),
    pingtime: measured ? round3(info.rttMs) : null,
    minping: info.minRttMs === null ? null : round3(info.minRttMs),
    version: `les/${server.version}`,
    subver: conn.clientId,
    inbound: false,
    // Bitcoin's meaning: added by addnode (or onetry); a configured or discovered server was not.
    addnode: info.origin === 'addnode' || info.origin === 'onetry',
    origin: info.origin,
    trusted: info.trusted,
    startingheight: conn.startingHeight,
    head: { number: head.number, hash: hex(head.hash), td: head.td },
    banscore: info.invalidAnswers,
    score: Math.round(info.score * 1e6) / 1e6,
    inflight: server.flow.inFlight,
    ble: Math.floor(server.flow.ble),
    bl: server.flow.bl,
    mrr: server.flow.mrr,
    stopped: server.flow.stopped,
    requests: info.requests,
    timeouts: info.timeouts,
    bytessent_per_msg: perMessage(server, 'bytesOut'),
    bytesrecv_per_msg: perMessage(server, 'bytesIn'),
  };
}

/** The node id (128 hex) an enode URL, or a bare node id, names; -32602 on `enode` otherwise. */
function nodeIdOf(text: string, allowBareId: boolean): string {
  try {
    return Buffer.from(parseEnode(text).id).toString('hex');
  } catch (err) {
    if (allowBareId && !text.toLowerCase().startsWith('enode://')) {
      try {
        return Buffer.from(parseNodeId(text)).toString('hex');
      } catch {
        // reported as the enode URL's error below
      }
    }
    throw invalidParams('enode', `not a valid enode URL (${(err as Error).message})`);
  }
}

export function clientPeerMethods(ctx: ClientPeersContext): Map<string, AdminMethod> {
  const poolOf = (): ServerPool => {
    const pool = ctx.pool();
    if (pool === undefined) throw new AdminRpcError(RpcCode.ServerError, 'the light client is not running');
    return pool;
  };
  const inPool = (pool: ServerPool, id: string): ServerInfo | undefined => pool.list().find((s) => s.id === id);
  return new Map<string, AdminMethod>([
    ['addnode', {
      permission: 'peers:write',
      handler: async (params) => {
        const [enodeParam, commandParam] = positional(params, ['enode', 'command']);
        const enode = stringParam(required(enodeParam, 'enode'), 'enode').trim();
        const command = stringParam(required(commandParam, 'command'), 'command');
        if (!(ADDNODE_COMMANDS as readonly string[]).includes(command)) {
          throw invalidParams('command', `expected one of ${ADDNODE_COMMANDS.join(', ')}, got "${command}"`);
        }
        const pool = poolOf();
        const id = nodeIdOf(enode, command === 'remove');
        const known = inPool(pool, id);
        if (command === 'remove') {
          if (known === undefined) throw invalidParams('enode', `unknown node: ${id.slice(0, 16)}… is not in the pool`);
          pool.remove(id);
          return true;
        }
        if (known !== undefined) {
          throw invalidParams('enode', `already added: ${id.slice(0, 16)}… is in the pool (${known.origin}, ${known.state})`);
        }
        if (command === 'add') {
          pool.add(enode, { origin: 'addnode' });
          return true;
        }
        try {
          await pool.onetry(enode);
        } catch (err) {
          throw invalidParams('enode', `could not connect: ${(err as Error).message}`);
        }
        return true;
      },
    }],
    ['getpeerinfo', {
      permission: 'peers:read',
      handler: (params) => {
        positional(params, []);
        const pool = poolOf();
        const rows: PeerInfoRow[] = [];
        for (const info of pool.list()) {
          const server = pool.get(info.id);
          if (server?.connected === true) rows.push(peerInfoRow(info, server));
        }
        return rows;
      },
    }],
  ]);
}
