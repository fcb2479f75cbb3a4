/**
 * The operator's commands on a running LES server, after the indexing server's operator RPC of
 * seed 001: getinfo, sessions, groups, disconnect, log, peers, add_peer, rpc_url, stop.
 * Sessions are named by the client's node ID (64 hex digits, as in les_clientInfo), its 128-hex
 * public key, or a unique prefix of the ID of at least 6 hex digits.
 */
import type { ClientSession, LesServer, PoolClientView } from '../../serve/index.js';
import { clientIdOf } from '../../serve/index.js';
import { nodeEndpoints } from '../../serve/chain/endpoints.js';
import { NodeRpcClient } from '../../serve/rpc/client.js';
import { DisconnectReason } from '../../net/index.js';
import { invalidParams } from '../errors.js';
import { positional, stringParam } from '../params.js';
import type { PeerBook } from '../peer-book.js';
import type { AdminMethod } from './types.js';

export interface OperatorContext {
  server: LesServer;
  peers: PeerBook;
  /** ms since the epoch. */
  startedAt: number;
  /** The node URLs the server started with (`rpc_url` without an argument returns to them). */
  startUrls: readonly string[];
  /** Stops the server and ends the process cleanly (after the answer is sent). */
  onStop(): void;
}

export interface SessionRow {
  id: string;
  flags: string;
  version: number;
  announce_type: number;
  priority: boolean;
  logged: boolean;
  closing: boolean;
  paused: boolean;
  client: string;
  capacity: number;
  balance: bigint;
  cost: number;
  group_cost: number;
  requests: number;
  txs: number;
  errors: number;
  recv: number;
  recv_kb: number;
  sent: number;
  sent_kb: number;
  time: number;
  peer: string;
  /** What carries the session: TCP, or a WebSocket (a browser). */
  transport: 'tcp' | 'ws';
  group: string;
  node: string;
}

const ANNOUNCE_LETTER = ['N', 'A', 'S'];

/** "06h 48m 00s", with days in front when there are any. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const two = (n: number) => String(n).padStart(2, '0');
  const hms = `${two(Math.floor((s % 86_400) / 3600))}h ${two(Math.floor((s % 3600) / 60))}m ${two(s % 60)}s`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

/** A node URL without credentials, query or path (paths often carry API keys). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/${u.pathname.length > 1 ? '…' : ''}`;
  } catch {
    return '(unparsable)';
  }
}

function sessionRow(s: ClientSession, view: PoolClientView | undefined): SessionRow {
  const info = s.info();
  const priority = view?.priority ?? false;
  const flags = `${info.version}${ANNOUNCE_LETTER[info.announceType] ?? '?'}${priority ? 'P' : ''}${info.logged ? 'L' : ''}${info.closing ? 'C' : ''}`;
  return {
    id: clientIdOf(s.id),
    flags,
    version: info.version,
    announce_type: info.announceType,
    priority,
    logged: info.logged,
    closing: info.closing,
    paused: info.stopped,
    client: info.remote.clientId,
    capacity: info.capacity,
    balance: view?.balance ?? 0n,
    cost: Math.round(view?.costUsed ?? 0),
    group_cost: Math.round(view?.groupCost ?? 0),
    requests: info.counters.requests,
    txs: info.counters.txs,
    errors: info.counters.bad,
    recv: info.peer.messagesIn,
    recv_kb: Math.round(info.peer.bytesIn / 1024),
    sent: info.peer.messagesOut,
    sent_kb: Math.round(info.peer.bytesOut / 1024),
    time: Math.max(0, Math.round((Date.now() - info.peer.connectedAt) / 1000)),
    peer: `${info.remote.host}:${info.remote.port}`,
    transport: info.remote.transport,
    group: view?.group ?? '',
    node: s.id,
  };
}

export function sessionRows(server: LesServer): SessionRow[] {
  const views = new Map(server.pool.clients().map((v) => [v.peerId, v]));
  return server.service.sessions.map((s) => sessionRow(s, views.get(s.id)));
}

/** The sessions named by `text`: 'unknown' or 'ambiguous' when not exactly one. */
function findSession(server: LesServer, text: string): ClientSession | 'unknown' | 'ambiguous' {
  const t = text.toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{6,128}$/.test(t)) return 'unknown';
  const hits = server.service.sessions.filter((s) => s.id === t || clientIdOf(s.id).startsWith(t));
  if (hits.length === 0) return 'unknown';
  return hits.length === 1 ? (hits[0] as ClientSession) : 'ambiguous';
}

function idArgs(params: unknown[]): string[] {
  if (params.length === 0) throw invalidParams('ids', 'name at least one session');
  return params.map((p, i) => stringParam(p, `ids[${i}]`));
}

export function operatorMethods(o: OperatorContext): Map<string, AdminMethod> {
  const { server, peers } = o;
  return new Map<string, AdminMethod>([
    ['getinfo', {
      permission: 'info:read',
      handler: async (params) => {
        positional(params, []);
        const st = server.stats();
        const sessions = server.service.sessions;
        const rpc = server.stack.rpc;
        let daemonHeight: number | null = null;
        let daemonError: string | undefined;
        try {
          daemonHeight = Number(BigInt(await rpc.call<string>('eth_blockNumber', [], { timeoutMs: 3000 })));
        } catch (err) {
          daemonError = (err as Error).message;
        }
        const out: Record<string, unknown> = {
          sessions: sessions.length,
          closing: st.sessions.filter((s) => s.closing).length,
          paused: st.sessions.filter((s) => s.stopped).length,
          logged: st.sessions.filter((s) => s.logged).length,
          requests: sessions.reduce((n, s) => n + s.flow.buffer.inFlight, 0),
          errors: st.requests.bad,
          disconnected_for_errors: st.requests.disconnectedForBadRequests,
          groups: new Set(server.pool.clients().map((c) => c.group)).size,
          daemon: redactUrl(rpc.url),
          daemon_height: daemonHeight,
          db_height: st.head.number,
          state_height: st.stateHead,
          sections: st.sections,
          // The header fill below the recent chain: null once every header from genesis is stored.
          history: st.history === undefined ? null : { filled: st.history.filled, anchor: st.history.anchor, headers_per_second: st.history.headersPerSecond },
          peers: peers.summary(),
          pid: process.pid,
          txs_sent: st.requests.txs,
          capacity: st.capacity,
          enode: st.enode,
          uptime: formatDuration((Date.now() - o.startedAt) / 1000),
        };
        // discv4: the UDP port, nodes in the table, datagrams received, refusals by kind; null when off.
        const disc = server.discovery?.stats();
        out.discovery = disc === undefined ? null : { udp_port: disc.udpPort, nodes: disc.tableSize, packets: disc.packets, refused: disc.failures };
        if (daemonError !== undefined) out.daemon_error = daemonError;
        return out;
      },
    }],
    ['sessions', {
      permission: 'sessions:read',
      handler: (params) => {
        positional(params, []);
        return sessionRows(server);
      },
    }],
    ['groups', {
      permission: 'sessions:read',
      handler: (params) => {
        positional(params, []);
        const groups = new Map<string, { group: string; sessions: number; cost: number; requests: number; txs: number; recv: number; recv_kb: number; sent: number; sent_kb: number; members: string[] }>();
        for (const r of sessionRows(server)) {
          if (r.group === '') continue;
          let g = groups.get(r.group);
          if (g === undefined) {
            g = { group: r.group, sessions: 0, cost: 0, requests: 0, txs: 0, recv: 0, recv_kb: 0, sent: 0, sent_kb: 0, members: [] };
            groups.set(r.group, g);
          }
          g.sessions++;
          g.cost += r.cost;
          g.requests += r.requests;
          g.txs += r.txs;
          g.recv += r.recv;
          g.recv_kb += r.recv_kb;
          g.sent += r.sent;
          g.sent_kb += r.sent_kb;
          g.members.push(r.id);
        }
        return [...groups.values()];
      },
    }],
    ['disconnect', {
      permission: 'sessions:write',
      handler: (params) =>
        idArgs(params).map((text) => {
          const s = findSession(server, text);
          if (typeof s === 'string') return `${s} session: ${text}`;
          s.disconnect(DisconnectReason.DisconnectRequested);
          return `disconnected ${clientIdOf(s.id)}`;
        }),
    }],
    ['log', {
      permission: 'sessions:write',
      handler: (params) =>
        idArgs(params).map((text) => {
          const s = findSession(server, text);
          if (typeof s === 'string') return `${s} session: ${text}`;
          s.logged = !s.logged;
          return `log ${clientIdOf(s.id)}: ${s.logged}`;
        }),
    }],
    ['peers', {
      permission: 'peers:read',
      handler: (params) => {
        positional(params, []);
        return peers.list();
      },
    }],
    ['add_peer', {
      permission: 'peers:write',
      handler: (params) => {
        const [enode] = positional(params, ['enode']);
        const r = peers.add(enode);
        return `peer '${r.enode}' ${r.added ? 'added' : 'already known'}`;
      },
    }],
    ['rpc_url', {
      permission: 'node:write',
      handler: async (params) => {
        const [url] = positional(params, ['url']);
        const list = url === undefined || url === null ? [...o.startUrls] : stringParam(url, 'url').split(',').map((u) => u.trim()).filter((u) => u !== '');
        if (list.length === 0) throw invalidParams('url', 'expected one or more node URLs, comma-separated');
        const endpoints = list.map((u, i) => {
          try {
            return nodeEndpoints(u);
          } catch (err) {
            throw invalidParams(list.length === 1 ? 'url' : `url[${i}]`, (err as Error).message);
          }
        });
        const urls = endpoints.map((e) => e.httpUrl);
        // A node of another chain is refused; one that does not answer now is taken (it may come up).
        const probe = new NodeRpcClient({ url: urls[0] as string, retries: 0, timeoutMs: 3000 });
        let chainId: bigint | undefined;
        try {
          chainId = BigInt(await probe.call<string>('eth_chainId'));
        } catch {
          chainId = undefined;
        }
        if (chainId !== undefined && chainId !== server.network.chainId) {
          throw invalidParams('url', `the node's chain id is ${chainId}, this server follows ${server.network.chainId}`);
        }
        const reachable = chainId !== undefined;
        server.stack.rpc.setUrls(urls);
        // New heads are announced by the first node: its ws:// URL subscribes, an http one polls.
        await server.stack.follower.setNewHeadsUrl(endpoints[0]?.wsUrl);
        return { urls: urls.map(redactUrl), current: redactUrl(server.stack.rpc.url), reachable };
      },
    }],
    ['stop', {
      permission: 'node:write',
      handler: (params, ctx) => {
        positional(params, []);
        ctx.afterResponse(() => o.onStop());
        return 'stopping';
      },
    }],
  ]);
}
