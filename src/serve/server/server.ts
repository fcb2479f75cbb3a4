/**
 * LesServer: an LES server (les/2-4) in front of an execution node. `start()` opens the store
 * (LevelDB under `datadir`, else memory), opens the backend (chain follower, state tracker,
 * section indexers; see stack.ts), starts an RLPx listener in the server role and serves every
 * client through LesService; `stop()` stops accepting, disconnects the clients, stops following
 * and closes (flushes) the store. A store far behind the node listens as soon as the recent chain
 * is stored, while the history is filled behind it (see ServeStack); `stop()` during `start()`
 * ends the fill after its batch, closes the store and makes `start()` reject with SERVE_STOPPED.
 *
 * Announces order heads by (TD, number), since post-merge chains keep TD constant: a client is
 * never announced a head that is not higher by that order than the last one it got from us.
 */
import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { DEVNET, type NetworkConfig, forkFilterFor } from '../../config/network.js';
import { LesNode, nodeIdFromPrivateKey } from '../../net/index.js';
import { Discovery } from '../../net/discovery.js';
import { openLevelStore } from '../../store/level.js';
import { openMemoryStore } from '../../store/memory.js';
import type { KvStore } from '../../store/kv.js';
import type { LesVersion } from '../../wire/index.js';
import type { ProgressStream } from '../indexer/index.js';
import type { HeadEvent } from './backend.js';
import { ClientPool, type ClientPoolOptions } from '../pool/client-pool.js';
import { ServeError } from './errors.js';
import { type ServeLog, type ServePolicy, silentLog } from './handlers/types.js';
import { BeaconRelay } from './beacon-relay.js';
import { DEFAULT_MAX_BAD_REQUESTS, LesService, type ServiceStats } from './service.js';
import type { SessionInfo } from './session.js';
import { ServeStack } from './stack.js';

export const DEFAULT_LES_PORT = 30303;

export interface LesServerOptions {
  /** The execution node: http(s):// for calls, ws(s):// adds newHeads notifications. */
  rpcUrl: string;
  /** LevelDB directory; absent: an in-memory store (nothing survives a restart). */
  datadir?: string;
  /** 32-byte secp256k1 node key; absent: a fresh one per start. */
  nodeKey?: Uint8Array;
  host?: string;
  /** 0 picks a free port. Default 30303. */
  port?: number;
  /**
   * Also accept LES over WebSocket on this port (0: a free one), on `host`: the RLPx handshake and
   * framing over the WebSocket, the same node key, limits and flow control as TCP. Absent: off.
   */
  wsPort?: number;
  network?: NetworkConfig;
  /** Overrides network.sectionSize. */
  sectionSize?: number;
  /** Overrides network.buildConfirmations. */
  confirmations?: number;
  /** serveRecentState: 0 (default) = as far back as the node proves (probed at start). */
  recentState?: number;
  /** recentTxLookup (les/4): 0 (default) = all. */
  recentTxLookup?: number;
  /** Relay SendTxV2 to the node. Default true. */
  txRelay?: boolean;
  /** Total and minimum capacity, maximum client count, default prices (the client pool). */
  capacity?: ServerPoolOptions;
  /** Bad requests that end a client's connection. Default DEFAULT_MAX_BAD_REQUESTS (10). */
  maxBadRequests?: number;
  /** les versions offered. Default 2, 3, 4. */
  versions?: readonly LesVersion[];
  /** Limit on receiving one RLPx packet once begun: a client holding a partial frame longer is dropped. Default 30 s. */
  frameReadTimeoutMs?: number;
  /** Follower poll interval. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * A genesis file or alloc (go-ethereum notation): its addresses and slots seed the preimage
   * index, so standard les/4 requests for them are served before any block names them.
   */
  genesisAlloc?: unknown;
  /**
   * discv4 on UDP: answer pings and findnode and advertise this server (its LES port), on `host`
   * and, unless `port` is given, the same port number as LES, as go-ethereum does. Absent: off.
   */
  discovery?: { bootnodes?: readonly string[]; port?: number; refreshMs?: number };
  /** Where the section-building progress bar goes (TTY only); null for none. */
  progressStream?: ProgressStream | null;
  /** A beacon node's REST API whose light-client data this server relays to its clients (the beacon extension). */
  beaconApi?: string;
  log?: ServeLog;
}

export type ServerPoolOptions = Omit<ClientPoolOptions, 'store'>;

/**
 * Published once a LesServer is listening, with `{ server }`: tools attach here (the admin
 * endpoint of `lesp serve`) without whoever started the server knowing them.
 */
export const serverStartedChannel = channel('les-provider:serve:started');

export interface LesServerStats extends ServiceStats {
  enode: string;
  head: { number: number; hash: string; td: string };
  sections: number;
  stateStart: number;
  stateHead: number;
  /** The history fill below the recent segment; undefined once every header is stored. */
  history: { filled: number; anchor: number; headersPerSecond: number } | undefined;
}

export interface LesServerEvents {
  started: [info: { enode: string; head: number }];
  head: [head: HeadEvent];
  client: [info: SessionInfo];
  clientGone: [info: SessionInfo];
  stopped: [];
}

type Running = { store: KvStore; stack: ServeStack; node: LesNode; service: LesService; pool: ClientPool; discovery: Discovery | undefined };

function checkCount(value: number | undefined, field: string, min = 0): number | undefined {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new ServeError('SERVE_BAD_OPTIONS', `${field} must be an integer ≥ ${min}, got ${value}`, { field });
  }
  return value;
}

/** The network config with the section overrides applied. */
export function effectiveNetwork(options: Pick<LesServerOptions, 'network' | 'sectionSize' | 'confirmations'>): NetworkConfig {
  const base = options.network ?? DEVNET;
  const sectionSize = checkCount(options.sectionSize, 'sectionSize', 8) ?? base.sectionSize;
  if (sectionSize % 8 !== 0) throw new ServeError('SERVE_BAD_OPTIONS', `sectionSize must be a multiple of 8 (BloomBits vectors are whole bytes), got ${sectionSize}`, { field: 'sectionSize' });
  const build = checkCount(options.confirmations, 'confirmations') ?? base.buildConfirmations;
  return { ...base, sectionSize, buildConfirmations: build, useConfirmations: Math.max(base.useConfirmations, build) };
}

export class LesServer extends EventEmitter<LesServerEvents> {
  readonly options: Readonly<LesServerOptions>;
  readonly network: NetworkConfig;
  readonly policy: ServePolicy;
  readonly #log: ServeLog;
  #running: Running | undefined;
  #starting = false;
  #abort: AbortController | undefined;
  #startRun: Promise<unknown> | undefined;

  constructor(options: LesServerOptions) {
    super();
    if (typeof options.rpcUrl !== 'string' || options.rpcUrl.length === 0) {
      throw new ServeError('SERVE_BAD_OPTIONS', 'rpcUrl is required', { field: 'rpcUrl' });
    }
    if (options.nodeKey !== undefined && (!(options.nodeKey instanceof Uint8Array) || options.nodeKey.length !== 32)) {
      throw new ServeError('SERVE_BAD_OPTIONS', 'nodeKey must be 32 bytes', { field: 'nodeKey' });
    }
    if (options.nodeKey !== undefined) nodeIdFromPrivateKey(options.nodeKey); // throws for a key off the curve
    checkCount(options.port, 'port');
    checkCount(options.wsPort, 'wsPort');
    if (options.wsPort !== undefined && options.wsPort > 65535) throw new ServeError('SERVE_BAD_OPTIONS', 'wsPort must be ≤ 65535', { field: 'wsPort' });
    if (options.port !== undefined && options.port > 65535) throw new ServeError('SERVE_BAD_OPTIONS', 'port must be ≤ 65535', { field: 'port' });
    this.options = options;
    this.network = effectiveNetwork(options);
    this.policy = {
      recentState: checkCount(options.recentState, 'recentState') ?? 0,
      recentTxLookup: checkCount(options.recentTxLookup, 'recentTxLookup') ?? 0,
      txRelay: options.txRelay ?? true,
    };
    this.#log = options.log ?? silentLog;
    checkCount(options.maxBadRequests, 'maxBadRequests', 1);
    checkCount(options.frameReadTimeoutMs, 'frameReadTimeoutMs', 1);
    // Throws for bad pool options now rather than at start().
    void new ClientPool({ ...options.capacity, store: openMemoryStore(), tickMs: 0 }).close();
  }

  get started(): boolean {
    return this.#running !== undefined;
  }

  /** The enode URL clients dial. */
  get enode(): string {
    return this.#need().node.enode;
  }

  /** The enode URL (`?transport=ws`) of the WebSocket listener, when wsPort was given. */
  get wsEnode(): string | undefined {
    const node = this.#need().node;
    return node.wsPort === undefined ? undefined : node.wsEnode;
  }

  get service(): LesService {
    return this.#need().service;
  }

  get stack(): ServeStack {
    return this.#need().stack;
  }

  /** The discv4 endpoint, when discovery is on. */
  get discovery(): Discovery | undefined {
    return this.#need().discovery;
  }

  /** Capacity, balances and pricing of the connected clients (the les_* API's subject). */
  get pool(): ClientPool {
    return this.#need().pool;
  }

  async start(): Promise<string> {
    if (this.#running !== undefined || this.#starting) throw new ServeError('SERVE_ALREADY_STARTED', 'start() was already called');
    this.#starting = true;
    const run = this.#start();
    this.#startRun = run.catch(() => undefined);
    return run;
  }

  async #start(): Promise<string> {
    const abort = new AbortController();
    this.#abort = abort;
    const log = this.#log;
    const store = this.options.datadir === undefined ? openMemoryStore() : await openLevelStore(this.options.datadir);
    let stack: ServeStack | undefined;
    let pool: ClientPool | undefined;
    let node: LesNode | undefined;
    let discovery: Discovery | undefined;
    try {
      log.info({ rpc: this.options.rpcUrl, datadir: this.options.datadir ?? '(memory)', network: this.network.name }, 'serve: starting');
      // The service needs the backend and the backend's head events need the service.
      const late: { service?: LesService } = {};
      stack = await ServeStack.open({
        rpcUrl: this.options.rpcUrl,
        store,
        network: this.network,
        log,
        pollIntervalMs: this.options.pollIntervalMs,
        progressStream: this.options.progressStream,
        genesisAlloc: this.options.genesisAlloc,
        recentState: this.policy.recentState,
        signal: abort.signal,
        onHead: async (head) => {
          this.emit('head', head);
          await late.service?.onHead(head);
        },
      });
      const backend = stack.backend;
      const nodeKey = this.options.nodeKey ?? secp256k1.utils.randomPrivateKey();
      pool = new ClientPool({ ...this.options.capacity, store: store.namespace('pool') });
      node = new LesNode({
        role: 'server',
        status: (ctx) => (late.service as LesService).statusFor(ctx),
        forkFilter: forkFilterFor(this.network, () => backend.chain.genesisHash(), () => {
          const head = backend.chain.head();
          return { number: head.number, time: head.timestamp };
        }),
        privateKey: nodeKey,
        versions: this.options.versions,
        clientId: 'les-provider/server',
        frameReadTimeoutMs: this.options.frameReadTimeoutMs,
        // One more than the pool holds at the minimum, so the pool (not RLPx) refuses the next client, with TooManyPeers.
        maxPeers: pool.maxClients + 1,
      });
      const service = new LesService({
        backend: stack.backend,
        network: this.network,
        nodeKey,
        policy: this.policy,
        capacity: pool,
        maxBadRequests: this.options.maxBadRequests ?? DEFAULT_MAX_BAD_REQUESTS,
        ...(this.options.beaconApi === undefined ? {} : { beacon: new BeaconRelay({ url: this.options.beaconApi }) }),
        log,
      });
      service.on('client', (info) => this.emit('client', info));
      service.on('clientGone', (info) => this.emit('clientGone', info));
      late.service = service;
      service.attach(node);
      const host = this.options.host ?? '127.0.0.1';
      const port = await node.listen(this.options.port ?? DEFAULT_LES_PORT, host);
      if (this.options.wsPort !== undefined) await node.listenWs(this.options.wsPort, host);
      const d = this.options.discovery;
      if (d !== undefined) {
        discovery = new Discovery({ privateKey: nodeKey, host, port: d.port ?? port, tcpPort: port, bootnodes: d.bootnodes, refreshMs: d.refreshMs, log });
        await discovery.start();
      }
      if (abort.signal.aborted) throw new ServeError('SERVE_STOPPED', 'stopped while starting', { field: 'signal' });
      stack.start();
      this.#running = { store, stack, node, service, pool, discovery };
      const head = stack.backend.chain.head();
      const history = stack.history();
      log.info({ enode: node.enode, ...(node.wsPort === undefined ? {} : { wsEnode: node.wsEnode }), head: head.number, sections: stack.indexer.sectionCount, stateStart: stack.backend.state.startBlock(), ...(history === undefined ? {} : { historyFilled: history.filled, historyTo: history.anchor - 1 }) }, history === undefined ? 'serve: listening' : `serve: listening; headers ${history.filled + 1}..${history.anchor - 1} are being filled (served once stored)`);
      this.emit('started', { enode: node.enode, head: head.number });
      if (serverStartedChannel.hasSubscribers) serverStartedChannel.publish({ server: this });
      return node.enode;
    } catch (err) {
      await discovery?.close();
      await node?.close();
      await pool?.close().catch(() => undefined);
      await stack?.stop().catch(() => undefined);
      await store.close().catch(() => undefined);
      throw err;
    } finally {
      this.#starting = false;
      this.#abort = undefined;
    }
  }

  /**
   * Stops accepting, disconnects every client, stops following, flushes and closes the store.
   * During start(): ends it (the header fill after its batch) and resolves once the store is closed. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#starting) {
      this.#abort?.abort();
      await this.#startRun;
      if (this.#running === undefined) {
        this.#log.info({}, 'serve: stopped while starting, store closed');
        this.emit('stopped');
        return;
      }
    }
    const r = this.#running;
    if (r === undefined) return;
    this.#running = undefined;
    await r.discovery?.close();
    await r.node.close();
    r.service.close();
    await r.pool.close().catch((err: unknown) => this.#log.error({ err }, 'serve: client balances not flushed'));
    await r.stack.stop();
    await r.store.close();
    this.#log.info({}, 'serve: stopped, store closed');
    this.emit('stopped');
  }

  /** Read-only numbers for the management layer. */
  stats(): LesServerStats {
    const r = this.#need();
    const head = r.stack.backend.chain.head();
    return {
      enode: r.node.enode,
      head: { number: head.number, hash: `0x${Buffer.from(head.hash).toString('hex')}`, td: head.td.toString() },
      sections: r.stack.indexer.sectionCount,
      stateStart: r.stack.backend.state.startBlock(),
      // State comes from the node, which proves its head.
      stateHead: head.number,
      history: r.stack.history(),
      ...r.service.stats(),
    };
  }

  #need(): Running {
    if (this.#running === undefined) throw new ServeError('SERVE_NOT_STARTED', 'the server is not running; call start()');
    return this.#running;
  }
}
