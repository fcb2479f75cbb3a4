/**
 * Node discovery v4 (UDP) through @ethereumjs/devp2p's DPT: answers ping and findnode, advertises
 * our endpoint (with the TCP port LES listens on, or none for a client that accepts no
 * connections), pings the bootnodes and asks them and every node it learns of for neighbours.
 * Nodes that answered our ping and advertise a TCP port come out as 'node' events; what to do with
 * them (dial, trust) is the caller's business. discv4 carries no capabilities, so whether a node
 * speaks LES on our network is learnt only by dialing it.
 *
 * Hostile input: a datagram outside discv4's size limits is dropped before DPT sees it; DPT catches
 * what its decoder throws and reports it as an error event, as it does failed pings and socket
 * errors. Each kind of failure is counted and logged once (a flood of junk is one log line).
 *
 * Loopback: DPT 6.1.3 filters no address class (no loopback or private-range check; checked in
 * its dpt.ts and server.ts), so nodes on 127.0.0.1 find each other as they would on the internet.
 * A socket bound to a loopback address cannot reach other hosts, so bootnodes elsewhere are
 * skipped there, with one warning, rather than pinged into socket errors.
 */
import { type Socket as DgramSocket, createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { lookup } from 'node:dns/promises';
import { isIP, isIPv6 } from 'node:net';
import { DPT, type PeerInfo } from '@ethereumjs/devp2p';
import { reachableBootnodes } from './bootnodes.js';
import { bytesToHex } from './bytes.js';
import { formatEnode, nodeIdFromPrivateKey, parseEnode } from './enode.js';
import { NodeError } from './errors.js';

/**
 * The largest datagram read. discv4 says 1280 bytes, but DPT peers put up to 16 neighbours in one
 * packet (about 1.6 KB with IPv6 addresses); past 2048 it is nobody's discv4.
 */
export const MAX_PACKET_BYTES = 2048;
/** Neighbours per reply: go-ethereum's maxNeighbors, what fits 1280 bytes (go-ethereum reads no more). */
export const MAX_NEIGHBOURS = 12;
/** hash (32) + signature (65) + type (1) + at least one RLP byte. */
export const MIN_PACKET_BYTES = 99;
/** How often the table is refreshed (a random lookup through known nodes), and the bootnodes retried while it is empty. */
export const DEFAULT_REFRESH_MS = 30_000;
/** A ping unanswered this long fails (DPT's default). */
export const DEFAULT_PING_TIMEOUT_MS = 4_000;
/** An endpoint that answered our ping may ask findnode this long (go-ethereum's bond expiration). */
const PROVEN_MS = 12 * 3_600_000;
/** Neighbours are read from an endpoint this long after we asked it. */
const ASKED_MS = 10_000;
/** A node we just met is asked for neighbours after this: time for it to ping us back and get our pong, without which go-ethereum and we ignore findnode. */
const BOND_WAIT_MS = 1_000;
/** Endpoints remembered as proven or asked; the oldest are forgotten past this. */
const MAX_TRACKED = 10_000;

/** A pino-compatible logger; only these methods are used. */
export interface DiscoveryLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

export interface DiscoveryOptions {
  /** The node key: the discovery identity is the RLPx one. */
  privateKey: Uint8Array;
  /** UDP bind address. Default 127.0.0.1. */
  host?: string;
  /** UDP port; 0 picks a free one. Default 0. */
  port?: number;
  /** The TCP port we accept RLPx on, advertised to others; null (default) for a node that accepts none. */
  tcpPort?: number | null;
  /** enode URLs to ping first and ask for neighbours (their `discport` when given, else their port). */
  bootnodes?: readonly string[];
  refreshMs?: number;
  pingTimeoutMs?: number;
  log?: DiscoveryLog;
}

/** A node that answered our ping and advertises a TCP port. */
export interface DiscoveredNode {
  /** 128 hex digits. */
  id: string;
  host: string;
  tcpPort: number;
  udpPort: number;
  enode: string;
}

export interface DiscoveryStats {
  udpPort: number | undefined;
  /** Nodes in the table (answered a ping), dialable or not. */
  tableSize: number;
  /** Datagrams received. */
  packets: number;
  /** Failures by kind: packets dropped or refused, pings unanswered, socket errors. */
  failures: Record<string, number>;
}

export interface DiscoveryEvents {
  node: [node: DiscoveredNode];
  nodeGone: [id: string];
}

const silent: DiscoveryLog = { info: () => undefined, warn: () => undefined };

/** The kind of a DPT failure, from its message (DPT throws plain Errors). */
export function failureKind(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown } | null;
  if (e !== null && typeof e === 'object' && typeof e.code === 'string' && e.code.startsWith('E')) return `socket:${e.code}`;
  const m = typeof e?.message === 'string' ? e.message : String(err);
  if (m.startsWith('Hash verification failed')) return 'bad-hash';
  if (m.startsWith('Invalid type')) return 'bad-type';
  if (m.startsWith('Timeout error: ping')) return 'ping-timeout';
  if (m.startsWith('Peer is banned')) return 'banned';
  if (/rlp/i.test(m)) return 'bad-rlp';
  if (/signature|recover|public key/i.test(m)) return 'bad-signature';
  return 'bad-payload';
}

export class Discovery extends EventEmitter<DiscoveryEvents> {
  readonly id: Uint8Array;
  readonly #options: DiscoveryOptions;
  readonly #log: DiscoveryLog;
  readonly #host: string;
  readonly #bootnodes: PeerInfo[] = [];
  readonly #failures = new Map<string, number>();
  /** "address:port" → when it answered our ping / when we asked it for neighbours (ms). */
  readonly #proven = new Map<string, number>();
  readonly #asked = new Map<string, number>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #dpt: DPT | undefined;
  #socket: DgramSocket | undefined;
  #udpPort: number | undefined;
  #packets = 0;
  #retry: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(options: DiscoveryOptions) {
    super();
    this.id = nodeIdFromPrivateKey(options.privateKey);
    this.#options = options;
    this.#log = options.log ?? silent;
    this.#host = options.host ?? '127.0.0.1';
    const usable = reachableBootnodes(this.#host, options.bootnodes ?? []);
    for (const url of usable) {
      const b = parseEnode(url);
      this.#bootnodes.push({ id: b.id, address: b.host, udpPort: b.discport ?? b.port, tcpPort: b.port });
    }
    const skipped = (options.bootnodes ?? []).length - usable.length;
    if (skipped > 0) {
      this.#log.warn({ host: this.#host, skipped, first: (options.bootnodes ?? []).find((u) => !usable.includes(u))?.slice(0, 40) }, 'discovery: bootnodes on other hosts are unreachable from a loopback address; bind a public one to reach them');
    }
  }

  get udpPort(): number | undefined {
    return this.#udpPort;
  }

  /** Binds the UDP socket, then pings the bootnodes. Resolves with the bound port. */
  async start(): Promise<number> {
    if (this.#dpt !== undefined || this.#closed) throw new NodeError('ALREADY_LISTENING', 'discovery was already started');
    const socket = createSocket({ type: isIPv6(this.#host) ? 'udp6' : 'udp4' });
    this.#socket = socket;
    this.#guard(socket);
    const refreshMs = this.#options.refreshMs ?? DEFAULT_REFRESH_MS;
    const dpt = new DPT(this.#options.privateKey, {
      createSocket: () => socket,
      // `from` of our pings: where others ping us back and which TCP port they tell their neighbours.
      endpoint: { address: this.#host, udpPort: this.#options.port ?? 0, tcpPort: this.#options.tcpPort ?? null },
      timeout: this.#options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS,
      refreshInterval: refreshMs,
      shouldFindNeighbours: true,
      shouldGetDnsPeers: false,
    });
    this.#dpt = dpt;
    this.#track(dpt);
    // DPT answers findnode with its 16 closest in one packet, over the 1280 bytes go-ethereum reads.
    const closest = dpt.getClosestPeers.bind(dpt);
    dpt.getClosestPeers = (id: Uint8Array) => closest(id).slice(0, MAX_NEIGHBOURS);
    // Without a listener EventEmitter would throw DPT's errors: a junk datagram would end the process.
    dpt.events.on('error', (err: unknown) => this.#failure(err));
    dpt.events.on('peer:added', (peer: PeerInfo) => {
      // A neighbours packet naming us makes DPT ping itself and keep itself in its own table,
      // then ask itself for neighbours on every refresh: banned (our id) and dropped at once.
      if (peer.id instanceof Uint8Array && bytesToHex(peer.id) === bytesToHex(this.id)) dpt.banPeer(peer);
      else {
        this.#added(peer);
        this.#askLater(peer);
      }
    });
    dpt.events.on('peer:removed', (peer: PeerInfo) => {
      if (peer.id instanceof Uint8Array) this.emit('nodeGone', bytesToHex(peer.id));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new NodeError('LISTEN_FAILED', `discovery cannot bind ${this.#host}:${this.#options.port ?? 0}/udp: ${err.message}`, { field: 'port', cause: err }));
      socket.once('error', onError);
      socket.once('listening', () => {
        socket.off('error', onError);
        resolve();
      });
      dpt.bind(this.#options.port ?? 0, this.#host);
    }).catch(async (err: unknown) => {
      await this.close();
      throw err;
    });
    this.#udpPort = socket.address().port;
    // DPT keeps its endpoint object; a port picked by the OS is only known now.
    const endpoint = (dpt as unknown as { _server: { _endpoint: PeerInfo } })._server._endpoint;
    endpoint.udpPort = this.#udpPort;
    this.#log.info({ udp: `${this.#host}:${this.#udpPort}`, tcpPort: this.#options.tcpPort ?? null, bootnodes: this.#bootnodes.length }, 'discovery: listening');
    this.#bootstrap();
    // DPT's refresh asks known nodes only: with an empty table (bootnodes down at start) nothing would ever happen.
    this.#retry = setInterval(() => {
      if (dpt.numPeers() === 0) this.#bootstrap();
    }, refreshMs);
    this.#retry.unref();
    return this.#udpPort;
  }

  /** Nodes in the table that advertise a TCP port. */
  nodes(): DiscoveredNode[] {
    const out: DiscoveredNode[] = [];
    for (const p of this.#dpt?.getPeers() ?? []) {
      const n = toNode(p);
      if (n !== undefined && n.id !== bytesToHex(this.id)) out.push(n);
    }
    return out;
  }

  stats(): DiscoveryStats {
    return {
      udpPort: this.#udpPort,
      tableSize: this.#dpt?.numPeers() ?? 0,
      packets: this.#packets,
      failures: Object.fromEntries(this.#failures),
    };
  }

  /** Closes the socket and drops pending pings. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retry);
    for (const t of this.#timers) clearTimeout(t);
    const dpt = this.#dpt;
    if (dpt === undefined) {
      this.#socket?.close();
      return;
    }
    // DPT's ping timers are not unref'd: cleared here so a closed node lets the process exit.
    const server = (dpt as unknown as { _server: { _requests: Map<string, { timeoutId: ReturnType<typeof setTimeout> }> } })._server;
    for (const r of server._requests.values()) clearTimeout(r.timeoutId);
    server._requests.clear();
    const closed = new Promise<void>((resolve) => this.#socket?.once('close', () => resolve()));
    try {
      dpt.destroy();
    } catch {
      return; // already destroyed
    }
    await closed;
  }

  #bootstrap(): void {
    const dpt = this.#dpt;
    if (dpt === undefined || this.#closed) return;
    // DPT bans a node for 5 minutes after one lost ping: far too long for a bootnode while the
    // table is empty (it may simply have started after us). Its ban is lifted before each try.
    const banned = (dpt as unknown as { _banlist: { _lru: { delete(key: string): void } } })._banlist._lru;
    for (const b of this.#bootnodes) {
      banned.delete(bytesToHex(b.id as Uint8Array));
      const host = b.address as string;
      // DPT sends to IP addresses only; a bootnode named by host name is looked up at each try.
      const address = isIP(host) !== 0 ? Promise.resolve(host) : lookup(host, { family: isIPv6(this.#host) ? 6 : 4 }).then((r) => r.address);
      address.then(
        (ip) => {
          if (this.#closed) return;
          banned.delete(`${ip}:${b.tcpPort}`);
          void dpt.bootstrap({ ...b, address: ip });
        },
        (err: unknown) => this.#failure(err, 'bootnode-unresolved'),
      );
    }
  }

  /**
   * What DPT does not check, as go-ethereum does: findnode is answered only to an endpoint that
   * answered our ping (so a forged source address gets no reply: no reflection), and neighbours
   * are read only from an endpoint we asked (so nobody makes us ping whomever they list).
   */
  #track(dpt: DPT): void {
    const server = (dpt as unknown as { _server: { ping(p: PeerInfo): Promise<unknown>; findneighbours(p: PeerInfo, id: Uint8Array): void } })._server;
    const ping = server.ping.bind(server);
    server.ping = async (peer: PeerInfo) => {
      const pong = await ping(peer);
      remember(this.#proven, `${peer.address}:${peer.udpPort}`);
      return pong;
    };
    const findneighbours = server.findneighbours.bind(server);
    server.findneighbours = (peer: PeerInfo, id: Uint8Array) => {
      remember(this.#asked, `${peer.address}:${peer.udpPort}`);
      findneighbours(peer, id);
    };
  }

  /** Asks a node we just met for neighbours once it can have bonded with us (DPT asks only on refresh, or at once, too early). */
  #askLater(peer: PeerInfo): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      const dpt = this.#dpt;
      if (this.#closed || dpt === undefined || peer.id === undefined || dpt.getPeer(peer.id) === null) return;
      (dpt as unknown as { _server: { findneighbours(p: PeerInfo, id: Uint8Array): void } })._server.findneighbours(peer, this.id);
    }, BOND_WAIT_MS);
    t.unref();
    this.#timers.add(t);
  }

  /**
   * Counts every datagram, and drops those no discv4 packet can be, before DPT decodes them, and
   * findnode and neighbours from endpoints not entitled to send them (#track). DPT registers its
   * 'message' listener with `on`; it is wrapped on the way in.
   */
  #guard(socket: DgramSocket): void {
    const on = socket.on.bind(socket) as (event: string, listener: (...args: unknown[]) => void) => DgramSocket;
    socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
      if (event !== 'message') return on(event, listener);
      return on('message', (msg: unknown, rinfo: unknown) => {
        this.#packets++;
        const size = (msg as Uint8Array).length;
        const type = (msg as Uint8Array)[97];
        const from = `${(rinfo as { address: string }).address}:${(rinfo as { port: number }).port}`;
        if (size > MAX_PACKET_BYTES) this.#failure(new Error('oversized'), 'oversized');
        else if (size < MIN_PACKET_BYTES) this.#failure(new Error('too short'), 'too-short');
        else if (type === 0x03 && !recent(this.#proven, from, PROVEN_MS)) this.#failure(new Error(`findnode from ${from}, which never answered our ping`), 'findnode-unproven');
        else if (type === 0x04 && !recent(this.#asked, from, ASKED_MS)) this.#failure(new Error(`neighbours from ${from}, which was not asked`), 'neighbours-unasked');
        else listener(msg, rinfo);
      });
    }) as DgramSocket['on'];
  }

  #failure(err: unknown, kind = failureKind(err)): void {
    // Pings DPT had queued before close() fail with "Server already destroyed": nothing to report.
    if (this.#closed) return;
    const count = (this.#failures.get(kind) ?? 0) + 1;
    this.#failures.set(kind, count);
    if (count === 1) {
      const detail = (err as Error)?.message ?? String(err);
      this.#log.warn({ kind, detail: detail.slice(0, 200) }, 'discovery: packet or peer refused (each kind is logged once, then counted)');
    }
  }

  #added(peer: PeerInfo): void {
    const node = toNode(peer);
    if (node === undefined) return;
    this.#log.debug?.({ node: node.id.slice(0, 16), at: `${node.host}:${node.tcpPort}` }, 'discovery: node found');
    this.emit('node', node);
  }
}

function remember(map: Map<string, number>, key: string): void {
  map.delete(key); // re-inserted last: the Map's order is the forgetting order
  map.set(key, Date.now());
  if (map.size > MAX_TRACKED) map.delete(map.keys().next().value as string);
}

function recent(map: Map<string, number>, key: string, ms: number): boolean {
  const at = map.get(key);
  return at !== undefined && Date.now() - at < ms;
}

function toNode(p: PeerInfo): DiscoveredNode | undefined {
  if (!(p.id instanceof Uint8Array) || p.id.length !== 64 || typeof p.address !== 'string') return undefined;
  if (typeof p.tcpPort !== 'number' || p.tcpPort < 1 || p.tcpPort > 65535) return undefined;
  const udpPort = typeof p.udpPort === 'number' ? p.udpPort : p.tcpPort;
  try {
    const enode = formatEnode({ id: p.id, host: p.address, port: p.tcpPort, discport: udpPort });
    return { id: bytesToHex(p.id), host: p.address, tcpPort: p.tcpPort, udpPort, enode };
  } catch {
    return undefined; // not an IP address or an id off the curve: nothing to dial
  }
}
