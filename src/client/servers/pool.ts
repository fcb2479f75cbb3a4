/**
 * The client's servers: one LesNode in client role dials the configured enode URLs, keeps a
 * ConnectedServer per handshaken connection, and redials with exponential backoff when one drops
 * (longer after we dropped it for misbehaving). Servers are added and removed at run time
 * (addnode / getpeerinfo build on add/onetry/remove/list): a server tried with `onetry` is dialed
 * once and forgotten when that dial fails or that connection ends, never redialed. It is the
 * scheduler's ServerSource and the header chain's source of verified announces.
 */
import { EventEmitter } from 'node:events';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { type NetworkConfig, forkFilterFor } from '../../config/network.js';
import type { Clock } from '../../flow/index.js';
import { type LesPeer, LesNode, type PeerCloseInfo, parseEnode } from '../../net/index.js';
import type { Announce } from '../../wire/announce.js';
import type { LesVersion } from '../../wire/codes.js';
import { AnnounceType } from '../../wire/status.js';
import { type Logger, type SchedulableServer, type ServerSource, type SourceListener, silentLogger } from '../scheduler/types.js';
import { DiscoveredServers, type DiscoveryOptions } from './discovered.js';
import { ServerPoolError } from './errors.js';
import { ConnectedServer, ServerRecord } from './server.js';
import { type OurHead, lightClientStatus } from './status.js';

export interface ReconnectOptions {
  /** First redial delay, ms. Default 1000. */
  initialMs?: number;
  /** Largest redial delay, ms. Default 60 000. */
  maxMs?: number;
  /** Delay multiplier per consecutive failure. Default 2. */
  factor?: number;
  /** Least delay after we dropped the server (hard timeout, invalid answers). Default 60 000. */
  penaltyMs?: number;
  /** A connection that lasted this long resets the backoff. Default 30 000. */
  stableMs?: number;
}

export interface ServerPoolOptions {
  network: NetworkConfig;
  /** Required when the network config has none (a devnet learns it from its node). */
  genesisHash?: Uint8Array;
  /** Our current head, for the Status of each new connection. Default: genesis with TD 0. */
  head?: () => OurHead;
  /** Dialed by start(). */
  servers?: ReadonlyArray<string | { enode: string; trusted?: boolean }>;
  /** Find more servers through discv4 (discovered.ts); `trustedIds`: node ids (hex) trusted wherever found. */
  discovery?: DiscoveryOptions & { trustedIds?: ReadonlySet<string> };
  privateKey?: Uint8Array;
  versions?: readonly LesVersion[];
  dialTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  reconnect?: ReconnectOptions;
  /**
   * RTT assumed before the first reply, ms. Default 1: optimistic, so a new server is tried (and
   * measured) at once instead of losing every choice to measured ones; the first sample replaces it.
   */
  initialRttMs?: number;
  /** The flow-control clock (monotonic ms). */
  clock?: Clock;
  /** Wall clock, ms since the epoch (connectedSince). */
  now?: () => number;
  logger?: Logger;
}

export type ServerState = 'connecting' | 'connected' | 'waiting';

/** How a server came into the pool: the options (start()), add() at run time, onetry(), or discv4. */
export type ServerOrigin = 'configured' | 'addnode' | 'onetry' | 'discovered';

/** One server as management reports it. */
export interface ServerInfo {
  id: string;
  enode: string;
  trusted: boolean;
  origin: ServerOrigin;
  state: ServerState;
  /** ms since the epoch; null while not connected. */
  connectedSince: number | null;
  version: LesVersion | null;
  head: { hash: Uint8Array; number: number; td: bigint } | null;
  ble: number | null;
  bl: number | null;
  mrr: number | null;
  stopped: boolean;
  score: number;
  rttMs: number;
  /** Smallest round trip measured; null before the first reply. */
  minRttMs: number | null;
  rttSamples: number;
  requests: number;
  timeouts: number;
  invalidAnswers: number;
  badAnnounces: number;
  stops: number;
  protocolErrors: number;
  /** Over all connections to it. */
  bytesIn: number;
  bytesOut: number;
  /** Dial attempts that failed or connections that dropped since the last stable one. */
  failures: number;
  lastError: string | null;
  /** ms since the epoch of the next dial while waiting. */
  nextDialAt: number | null;
}

export interface ServerPoolEvents {
  added: [id: string];
  removed: [id: string];
  connected: [server: ConnectedServer];
  disconnected: [id: string, info: { reason: string; droppedBecause?: string }];
  /** A verified announce, for the header chain. */
  announce: [serverId: string, announce: Announce, server: ConnectedServer];
  /** An announce refused (bad signature, head not above the last, nonsense update). */
  badAnnounce: [serverId: string, reason: Error];
  dialFailed: [id: string, error: Error];
}

interface Entry {
  id: string;
  enode: string;
  trusted: boolean;
  origin: ServerOrigin;
  state: ServerState;
  record: ServerRecord;
  server?: ConnectedServer;
  failures: number;
  lastError?: string;
  timer?: ReturnType<typeof setTimeout>;
  nextDialAt?: number;
  removed: boolean;
  /** onetry: the caller waiting for the one dial's outcome. */
  settle?: { resolve(info: ServerInfo): void; reject(err: Error): void };
}

const RECONNECT_DEFAULTS: Required<ReconnectOptions> = { initialMs: 1_000, maxMs: 60_000, factor: 2, penaltyMs: 60_000, stableMs: 30_000 };

export class ServerPool extends EventEmitter<ServerPoolEvents> implements ServerSource {
  readonly node: LesNode;
  readonly #options: ServerPoolOptions;
  readonly #genesisHash: Uint8Array;
  readonly #reconnect: Required<ReconnectOptions>;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<SourceListener>();
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #discovered: DiscoveredServers | undefined;
  #closed = false;

  constructor(options: ServerPoolOptions) {
    super();
    const genesis = options.genesisHash ?? options.network.genesisHash;
    if (genesis === undefined || genesis.length !== 32) {
      throw new ServerPoolError('BAD_OPTIONS', 'genesisHash', `network ${options.network.name} needs a 32-byte genesisHash`);
    }
    this.#options = options;
    this.#genesisHash = genesis;
    this.#reconnect = { ...RECONNECT_DEFAULTS, ...options.reconnect };
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    // One key for RLPx and discv4, as go-ethereum has.
    const privateKey = options.privateKey ?? secp256k1.utils.randomPrivateKey();
    this.node = new LesNode({
      role: 'client',
      status: (ctx) => {
        const entry = this.#entries.get(hex(ctx.remoteId));
        const head = options.head?.() ?? { hash: genesis, number: 0, td: 0n, time: 0 };
        return lightClientStatus(options.network, genesis, head, entry?.trusted === true ? AnnounceType.Signed : AnnounceType.Simple);
      },
      forkFilter: forkFilterFor(options.network, () => genesis, () => options.head?.() ?? { number: 0, time: 0 }),
      privateKey,
      versions: options.versions,
      dialTimeoutMs: options.dialTimeoutMs,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
    });
    // Fires synchronously at the end of the handshake, before the peer's next message.
    this.node.on('peer', (peer) => this.#onPeer(peer));
    const d = options.discovery;
    this.#discovered =
      d === undefined
        ? undefined
        : new DiscoveredServers(d, {
            privateKey,
            trusted: d.trustedIds ?? new Set(),
            logger: this.#logger,
            sink: {
              has: (id) => this.#entries.has(id),
              addDiscovered: (enode, trusted) => this.add(enode, { trusted, origin: 'discovered' }),
              discoveredCount: () => [...this.#entries.values()].filter((e) => e.origin === 'discovered').length,
            },
          });
  }

  /** discv4 numbers (table, packets, failures by kind), when discovery is on. */
  discoveryStats(): ReturnType<DiscoveredServers['stats']> | undefined {
    return this.#discovered?.stats();
  }

  /** Dials the servers of the options. */
  start(): void {
    for (const s of this.#options.servers ?? []) {
      const { enode, trusted } = typeof s === 'string' ? { enode: s, trusted: false } : s;
      this.add(enode, { trusted: trusted === true });
    }
    this.#discovered?.start().catch((err: unknown) => this.#logger.warn({ err: (err as Error).message }, 'discovery not started'));
  }

  /**
   * Adds a server and dials it, redialing whenever it drops. `origin` says who asked (default
   * configured). Throws EnodeError for a bad URL, ServerPoolError if already present.
   */
  add(enode: string, options: { trusted?: boolean; origin?: 'configured' | 'addnode' | 'discovered' } = {}): ServerInfo {
    const entry = this.#newEntry(enode, options.trusted === true, options.origin ?? 'configured');
    this.#dial(entry);
    return this.#info(entry);
  }

  /**
   * Dials a server once: resolves once connected; rejects with the dial's error (and forgets it)
   * when that fails. When the connection ends the server leaves the pool instead of being redialed.
   */
  onetry(enode: string, options: { trusted?: boolean } = {}): Promise<ServerInfo> {
    return new Promise<ServerInfo>((resolve, reject) => {
      const entry = this.#newEntry(enode, options.trusted === true, 'onetry');
      entry.settle = { resolve, reject };
      this.#dial(entry);
    });
  }

  #newEntry(enode: string, trusted: boolean, origin: ServerOrigin): Entry {
    if (this.#closed) throw new ServerPoolError('POOL_CLOSED', 'enode', 'the server pool is closed');
    const id = hex(parseEnode(enode).id);
    if (this.#entries.has(id)) throw new ServerPoolError('ALREADY_ADDED', 'enode', `server ${id.slice(0, 16)}… is already in the pool`);
    const entry: Entry = {
      id,
      enode,
      trusted,
      origin,
      state: 'connecting',
      record: new ServerRecord(this.#options.initialRttMs ?? 1),
      failures: 0,
      removed: false,
    };
    this.#entries.set(id, entry);
    this.emit('added', id);
    return entry;
  }

  /** Removes a server (128 hex digits, optionally 0x-prefixed) and closes its connection. */
  remove(id: string): void {
    const key = id.replace(/^0x/, '').toLowerCase();
    const entry = this.#entries.get(key);
    if (entry === undefined) throw new ServerPoolError('UNKNOWN_SERVER', 'id', `no server ${key.slice(0, 16)}… in the pool`);
    entry.removed = true;
    entry.server?.close();
    this.#forget(entry, 'removed before it connected');
  }

  /** Out of the pool for good: no redial; a onetry caller still waiting is told why. */
  #forget(entry: Entry, why: string): void {
    entry.removed = true;
    this.#entries.delete(entry.id);
    clearTimeout(entry.timer);
    entry.settle?.reject(new ServerPoolError('UNKNOWN_SERVER', 'enode', why));
    entry.settle = undefined;
    this.emit('removed', entry.id);
  }

  list(): ServerInfo[] {
    return [...this.#entries.values()].map((e) => this.#info(e));
  }

  get(id: string): ConnectedServer | undefined {
    return this.#entries.get(id.replace(/^0x/, '').toLowerCase())?.server;
  }

  /** Connected servers (ServerSource). */
  servers(): readonly SchedulableServer[] {
    const out: ConnectedServer[] = [];
    for (const e of this.#entries.values()) if (e.server?.connected === true) out.push(e.server);
    return out;
  }

  connected(): ConnectedServer[] {
    return this.servers() as ConnectedServer[];
  }

  subscribe(listener: SourceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const e of this.#entries.values()) {
      clearTimeout(e.timer);
      e.settle?.reject(new ServerPoolError('POOL_CLOSED', 'enode', 'the server pool is closed'));
      e.settle = undefined;
    }
    await Promise.all([this.node.close(), this.#discovered?.close()]);
  }

  #dial(entry: Entry): void {
    if (this.#closed || entry.removed) return;
    entry.state = 'connecting';
    entry.nextDialAt = undefined;
    this.node.dial(entry.enode).catch((err: unknown) => {
      if (this.#closed || entry.removed || entry.server !== undefined) return;
      const error = err instanceof Error ? err : new Error(String(err));
      entry.lastError = error.message;
      this.#logger.info({ server: entry.id.slice(0, 16), err: error.message }, 'dial failed');
      this.emit('dialFailed', entry.id, error);
      entry.settle?.reject(error);
      entry.settle = undefined;
      this.#redial(entry, undefined);
    });
  }

  #onPeer(peer: LesPeer): void {
    const entry = this.#entries.get(peer.id);
    if (entry === undefined || entry.removed || entry.server !== undefined || this.#closed) {
      peer.disconnect();
      return;
    }
    const server = new ConnectedServer({ peer, trusted: entry.trusted, record: entry.record, clock: this.#options.clock, now: this.#now, logger: this.#logger });
    entry.server = server;
    entry.state = 'connected';
    entry.lastError = undefined;
    server.on('announce', (a) => this.emit('announce', entry.id, a, server));
    server.on('badAnnounce', (_a, reason) => this.emit('badAnnounce', entry.id, reason));
    server.on('stop', () => {
      for (const l of this.#listeners) l.stop(server);
    });
    server.on('change', () => this.#changed());
    peer.once('close', (info) => this.#onClose(entry, server, info));
    this.#logger.info({ server: entry.id.slice(0, 16), version: peer.version, trusted: entry.trusted }, 'server connected');
    this.emit('connected', server);
    this.#changed();
    entry.settle?.resolve(this.#info(entry));
    entry.settle = undefined;
  }

  #onClose(entry: Entry, server: ConnectedServer, info: PeerCloseInfo): void {
    if (entry.server !== server) return;
    const stats = server.stats();
    entry.record.bytesIn += stats.bytesIn;
    entry.record.bytesOut += stats.bytesOut;
    entry.server = undefined;
    const droppedBecause = server.disconnectReason;
    entry.lastError = droppedBecause ?? `${info.initiator} closed: ${info.reasonName}`;
    if (this.#now() - server.connectedSince >= this.#reconnect.stableMs) entry.failures = 0;
    this.emit('disconnected', entry.id, droppedBecause === undefined ? { reason: info.reasonName } : { reason: info.reasonName, droppedBecause });
    this.#changed();
    this.#redial(entry, droppedBecause);
  }

  #redial(entry: Entry, droppedBecause: string | undefined): void {
    if (this.#closed || entry.removed) return;
    if (entry.origin === 'onetry' || entry.origin === 'discovered') {
      this.#forget(entry, entry.lastError ?? 'tried once');
      // Still 'connecting': its dial failed.
      if (entry.origin === 'discovered') this.#discovered?.forgotten(entry.id, entry.state === 'connecting' || droppedBecause !== undefined);
      return;
    }
    entry.failures++;
    const r = this.#reconnect;
    const backoff = Math.min(r.maxMs, r.initialMs * r.factor ** (entry.failures - 1)) * (0.75 + 0.25 * Math.random());
    const delay = droppedBecause === undefined ? backoff : Math.max(r.penaltyMs, backoff);
    entry.state = 'waiting';
    entry.nextDialAt = this.#now() + delay;
    entry.timer = setTimeout(() => this.#dial(entry), delay);
    entry.timer.unref();
  }

  #changed(): void {
    for (const l of this.#listeners) l.change();
  }

  #info(e: Entry): ServerInfo {
    const s = e.server?.connected === true ? e.server : undefined;
    const stats = s?.stats();
    const r = e.record;
    return {
      id: e.id,
      enode: e.enode,
      trusted: e.trusted,
      origin: e.origin,
      state: e.state,
      connectedSince: s?.connectedSince ?? null,
      version: s?.version ?? null,
      head: s?.head ?? null,
      ble: s?.flow.ble ?? null,
      bl: s?.flow.bl ?? null,
      mrr: s?.flow.mrr ?? null,
      stopped: s?.flow.stopped ?? false,
      score: r.reliability.value,
      rttMs: r.rtt.value,
      minRttMs: r.rtt.min,
      rttSamples: r.rtt.samples,
      requests: r.requests,
      timeouts: r.timeouts,
      invalidAnswers: r.invalidAnswers,
      badAnnounces: r.badAnnounces,
      stops: r.stops,
      protocolErrors: r.protocolErrors,
      bytesIn: r.bytesIn + (stats?.bytesIn ?? 0),
      bytesOut: r.bytesOut + (stats?.bytesOut ?? 0),
      failures: e.failures,
      lastError: e.lastError ?? null,
      nextDialAt: e.nextDialAt ?? null,
    };
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}
