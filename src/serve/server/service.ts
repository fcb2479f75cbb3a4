/**
 * The LES serving logic on top of a LesNode in the server role: the Status each client gets, the
 * capacity check at connect (the pool admits a client or refuses it with TooManyPeers, and may
 * drop lower-priority clients to make room), one ClientSession per client, its requests through
 * the dispatcher (each charge reported to the pool), its misbehaviour counted, announces of new
 * heads, and read-only stats for the management layer.
 * Knows nothing of where the chain comes from: everything is read through a ServeBackend.
 */
import { EventEmitter } from 'node:events';
import type { NetworkConfig } from '../../config/network.js';
import { type Clock, type MrcTable, deriveMrcTable } from '../../flow/index.js';
import { DisconnectReason, type LesNode, type LesPeer, type StatusContext } from '../../net/index.js';
import { type LesVersion, type Status } from '../../wire/index.js';
import { Announcer } from './announcer.js';
import type { HeadEvent, ServeBackend } from './backend.js';
import { CapacityPool, type CapacityOptions } from './capacity.js';
import type { Scheduler } from './client-flow.js';
import { BAD_REQUEST_PENALTY, type DispatchTotals, RequestDispatcher } from './dispatcher.js';
import { type ServeContext, type ServeLog, type ServePolicy, silentLog } from './handlers/types.js';
import { ClientSession, type SessionInfo } from './session.js';
import type { BeaconRelay } from './beacon-relay.js';
import { buildServerStatus, withBeaconCost } from './status.js';

export interface LesServiceOptions {
  backend: ServeBackend;
  network: NetworkConfig;
  /** Signs announces (announceType 2); the LesNode's key. */
  nodeKey: Uint8Array;
  policy: ServePolicy;
  capacity?: CapacityOptions | CapacityPool;
  /** Bad requests that end a connection. Default DEFAULT_MAX_BAD_REQUESTS (10, issue 6 §3). */
  maxBadRequests?: number;
  /** The max-cost table announced and charged. Default: the reference costs × 2. */
  mrc?: MrcTable;
  /** Relays the beacon node's light-client data to clients that ask (the beacon extension). */
  beacon?: BeaconRelay;
  log?: ServeLog;
  clock?: Clock;
  timers?: Scheduler;
}

/** A client session that sends this many invalid requests is disconnected (issue 6 §3). */
export const DEFAULT_MAX_BAD_REQUESTS = 10;

export interface ServiceStats {
  clients: number;
  capacity: { total: number; min: number; used: number; free: number };
  refusedAtConnect: number;
  requests: DispatchTotals;
  announces: { simple: number; signed: number; skippedNotHigher: number };
  sessions: SessionInfo[];
}

export interface LesServiceEvents {
  client: [info: SessionInfo];
  clientGone: [info: SessionInfo];
  refused: [clientId: string];
}

export class LesService extends EventEmitter<LesServiceEvents> {
  readonly pool: CapacityPool;
  readonly mrc: MrcTable;
  readonly dispatcher: RequestDispatcher;
  readonly announcer: Announcer;
  readonly #options: LesServiceOptions;
  readonly #ctx: ServeContext;
  readonly #sessions = new Map<string, ClientSession>();
  readonly #log: ServeLog;
  #refused = 0;
  #announcing: Promise<void> = Promise.resolve();

  constructor(options: LesServiceOptions) {
    super();
    this.#options = options;
    this.#log = options.log ?? silentLog;
    this.pool = options.capacity instanceof CapacityPool ? options.capacity : new CapacityPool(options.capacity);
    this.mrc = withBeaconCost(options.mrc ?? deriveMrcTable());
    this.#ctx = { backend: options.backend, policy: options.policy, log: this.#log, beacon: options.beacon };
    this.dispatcher = new RequestDispatcher(this.#ctx, this.mrc, {
      maxBadRequests: options.maxBadRequests ?? DEFAULT_MAX_BAD_REQUESTS,
      onCharge: (session, cost) => this.pool.charge(session.id, cost),
    });
    this.announcer = new Announcer(options.backend.chain, options.nodeKey, this.#log);
    this.pool.attach({
      disconnect: (id) => {
        const s = this.#sessions.get(id);
        if (s === undefined) return;
        this.#log.info({ client: id.slice(0, 16) }, 'serve: client dropped for a higher-priority one');
        s.disconnect(DisconnectReason.TooManyPeers);
      },
      setCapacity: (id, capacity) => this.#sessions.get(id)?.setCapacity(capacity),
    });
  }

  /** The connected session of a node id (128 hex). */
  session(id: string): ClientSession | undefined {
    return this.#sessions.get(id);
  }

  /** The Status for a connection being set up (LesNode's status builder). */
  statusFor(ctx: StatusContext): Status {
    const { backend, network, policy } = this.#options;
    return buildServerStatus({
      network,
      genesisHash: backend.chain.genesisHash(),
      head: backend.chain.head(),
      chainSince: backend.chain.chainSince?.() ?? 0,
      stateSince: backend.state.startBlock(),
      // The window follows what the node can prove, narrowed by the operator's.
      policy: { ...policy, recentState: backend.state.recentState() },
      mrc: this.mrc,
      beacon: this.#options.beacon !== undefined,
      capacity: this.pool.capacityFor(Buffer.from(ctx.remoteId).toString('hex')),
      version: ctx.version as LesVersion,
    });
  }

  /** Serves every handshaken peer of `node`. */
  attach(node: LesNode): void {
    node.on('peer', (peer) => this.#onPeer(peer, node.carrierOf(peer)));
  }

  get sessions(): ClientSession[] {
    return [...this.#sessions.values()];
  }

  /** A new canonical head: announce it (announces are sent in head order, one head at a time). */
  onHead(head: HeadEvent): Promise<void> {
    const run = this.#announcing.then(() => this.announcer.announce(head, this.#sessions.values()));
    this.#announcing = run.catch((err: unknown) => this.#log.error({ err }, 'serve: announcing failed'));
    return this.#announcing;
  }

  stats(): ServiceStats {
    return {
      clients: this.#sessions.size,
      capacity: { total: this.pool.total, min: this.pool.min, used: this.pool.used, free: this.pool.free },
      refusedAtConnect: this.#refused,
      requests: structuredClone(this.dispatcher.totals),
      announces: { ...this.announcer.totals },
      sessions: this.sessions.map((s) => s.info()),
    };
  }

  /** Stops every session's timers (the node disconnects the peers). */
  close(): void {
    for (const s of this.#sessions.values()) s.close();
  }

  #onPeer(peer: LesPeer, transport: 'tcp' | 'ws' = 'tcp'): void {
    if (peer.state === 'closed') return;
    const capacity = this.pool.admit({ id: peer.id, host: peer.remoteHost });
    if (capacity === undefined) {
      this.#refused++;
      this.#log.info({ client: peer.id.slice(0, 16), used: this.pool.used, total: this.pool.total }, 'serve: client refused, no capacity left');
      this.emit('refused', peer.id);
      peer.disconnect(DisconnectReason.TooManyPeers);
      return;
    }
    // The Status offered the pool's capacityFor(); if admission gave less, the client is told.
    const announced = peer.localStatus?.flowControlMRR ?? capacity;
    const session = new ClientSession(peer, announced, { clock: this.#options.clock, timers: this.#options.timers, transport });
    this.#sessions.set(session.id, session);
    session.setCapacity(capacity);
    peer.on('request', (req) => {
      this.dispatcher.handle(session, req).catch((err: unknown) => {
        this.#log.error({ err, client: session.id.slice(0, 16), code: req.code }, 'serve: request handling crashed');
      });
    });
    peer.on('protocolError', (v) => this.dispatcher.bad(session, v.kind === 'malformed' ? 'malformed' : 'unexpected', v.code, BAD_REQUEST_PENALTY, v.detail));
    peer.on('message', (code) => this.dispatcher.bad(session, 'unexpected', code, BAD_REQUEST_PENALTY, 'not a les/2-4 message'));
    peer.once('close', (info) => {
      session.close();
      // A session dropped for a newcomer of the same id may close after it: release only our own place.
      if (this.#sessions.get(session.id) === session) {
        this.#sessions.delete(session.id);
        this.pool.release(session.id);
      }
      this.#log.info({ client: session.id.slice(0, 16), reason: info.reasonName, by: info.initiator }, 'serve: client left');
      this.emit('clientGone', session.info());
    });
    this.#log.info({ client: session.id.slice(0, 16), version: peer.version, capacity, announceType: session.announceType }, 'serve: client connected');
    this.emit('client', session.info());
  }
}
