/**
 * LesClient: the light client assembled — server pool (RLPx), scheduler, trusted header chain
 * with head agreement and section trust, the Odr facade, the local EVM and the eth_* method
 * table. The LesProvider, the EIP-1193 object and the proxy are surfaces over it.
 *
 * Head agreement starts from the heads trusted servers gave in their Status: the RLPx session
 * authenticates the server's node key just as an announce signature would, so a Status head of a
 * trusted server is a vote; later heads come by signed announces (chain/head-tracker.ts).
 *
 * The quorum counts CONFIGURED trusted servers (chain/agreement.ts): with too few of them connected
 * no head is agreed, the head stops, and status(), eth_syncing and the `quorum` event say so.
 *
 * With `trust: { mode: 'beacon', ... }` the head is the beacon chain's instead (engine/beacon-trust.ts):
 * LES announces go to the beacon head tracker, no LES server needs to be trusted, and the `finalized`
 * and `safe` tags name the beacon chain's finalized block.
 *
 * Events: `newHead` (an adopted head: its JSON header and the verified header), `connect` (the
 * number of connected servers went from 0 to 1 or more), `disconnect` (back to 0), `quorum` (enough
 * trusted servers for agreement are connected again, or no longer: the TrustStatus).
 */
import { EventEmitter, setMaxListeners } from 'node:events';
import { type NetworkConfig, hardforkAt } from '../../config/network.js';
import type { VerifiedHeader } from '../contracts.js';
import type { TrustQuorum } from '../chain/agreement.js';
import { HeadTracker } from '../chain/head-tracker.js';
import { HeaderChain } from '../chain/header-chain.js';
import { trustOracleCheckpoint } from '../chain/oracle.js';
import { updateSections } from '../chain/sections.js';
import { EvmCall } from '../evm/handler.js';
import { type Methods, createMethods, formatHeader } from '../methods/index.js';
import { OdrFacade } from '../odr/facade.js';
import { Scheduler } from '../scheduler/scheduler.js';
import { type Logger, silentLogger } from '../scheduler/types.js';
import { SubscriptionEngine } from '../subscriptions/engine.js';
import { type ConnectedServer, ServerPool, StartFailures, failureSummary } from '../servers/index.js';
import { parseEnode } from '../../net/index.js';
import { reachableBootnodes } from '../../net/bootnodes.js';
import { ClientError, addressOf, withTimeout } from './errors.js';

export { ClientError, type ClientErrorCode } from './errors.js';
import { ConfigError } from '../../config/network.js';
import { CLIENT_DEFAULTS, type LesClientOptions, quorumOf, resolveGenesis, resolveNetwork, resolveServers, trustedIds, configuredTrusted } from './options.js';
import { type ClientStatus, type TrustStatus, agreementReason, beaconReason } from './status.js';
import { checkClientOptions } from './option-checks.js';
import { type CheckedBeaconTrust, checkBeaconTrust } from './beacon-options.js';
import type { BeaconTrust } from './beacon-trust.js';
import type { AnnounceSink } from '../chain/head-tracker.js';

export type { ClientStatus, TrustStatus } from './status.js';

export interface LesClientEvents {
  newHead: [head: Record<string, unknown> & { hash: string; parentHash: string; number: string }, verified: VerifiedHeader];
  connect: [];
  disconnect: [];
  quorum: [status: TrustStatus];
}

interface Running {
  pool: ServerPool;
  scheduler: Scheduler;
  chain: HeaderChain;
  tracker: HeadTracker;
  /** Where announces go: the HeadTracker (server agreement) or the beacon head tracker. */
  announces: AnnounceSink;
  odr: OdrFacade;
  evm: EvmCall;
  methods: Methods;
  /** The subscription engine eth_newFilter & co are built on (over this client's own answers). */
  feed: SubscriptionEngine;
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

export class LesClient extends EventEmitter<LesClientEvents> {
  readonly network: NetworkConfig;
  readonly genesisHash: Uint8Array;
  readonly options: LesClientOptions;
  readonly #log: Logger;
  #running: Running | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;
  /** Aborted by stop(): EVM runs in progress end with it. */
  readonly #halt = new AbortController();
  #connected = 0;
  #headKnown: (() => void) | undefined;
  readonly #quorum: TrustQuorum;
  readonly #staleHeadSec: number;
  #stalled: string | undefined;
  /** Beacon trust mode: its checked option; the beacon light client itself loads at start. */
  readonly #beaconMode: CheckedBeaconTrust | undefined;
  #beacon: BeaconTrust | undefined;

  constructor(options: LesClientOptions) {
    super();
    checkClientOptions(options);
    this.options = options;
    this.network = resolveNetwork(options);
    this.genesisHash = resolveGenesis(this.network, options.genesisHash);
    // Every request in flight listens on the client-long stop signal: no bound to warn at.
    setMaxListeners(0, this.#halt.signal);
    this.#log = options.logger ?? silentLogger;
    const trust = options.trust;
    if (trust !== undefined && trust.mode !== 'servers' && trust.mode !== 'beacon') throw new ConfigError('trust.mode', "expected 'servers' or 'beacon'");
    this.#beaconMode = trust?.mode === 'beacon' ? checkBeaconTrust(trust, this.network, options.datadir, this.#log) : undefined;
    this.#quorum = quorumOf(options, this.#beaconMode !== undefined);
    this.#staleHeadSec = options.staleHeadSec ?? this.network.staleHeadSec ?? 0;
    if (!Number.isSafeInteger(this.#staleHeadSec) || this.#staleHeadSec < 0) throw new ConfigError('staleHeadSec', 'expected seconds, 0 or more');
    for (const [k, v] of Object.entries(options.backfill ?? {})) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw new ConfigError(`backfill.${k}`, 'expected a number of headers, 0 or more');
    }
  }

  get started(): boolean {
    return this.#running !== undefined;
  }

  /** The trusted head, once started. */
  head(): VerifiedHeader | undefined {
    return this.#running?.chain.head();
  }

  /** The parts, for management and tests (undefined before start). */
  get parts(): Readonly<Running> | undefined {
    return this.#running;
  }

  /** Dials the servers and resolves once a head agreed by the trusted servers is known. */
  start(): Promise<void> {
    if (this.#stopped) return Promise.reject(new ClientError('SCHEDULER_CLOSED', 'the client was stopped'));
    this.#starting ??= this.#start().catch((e: unknown) => {
      // The caller learns why at once; the connections finish closing meanwhile (a refused
      // peer's socket lingers up to a few seconds for its Disconnect to be read). stop()
      // resolves once they have.
      this.stop().catch((err: unknown) => this.#log.warn({ err: String(err) }, 'stop after a failed start'));
      throw e;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const o = this.options;
    if (this.#beaconMode !== undefined) {
      const { BeaconTrust } = await import('./beacon-trust.js');
      this.#beacon = new BeaconTrust(this.#beaconMode, o.datadir, this.#log, () => this.#partial?.scheduler);
    }
    const t = o.timeouts ?? {};
    const ours: { chain?: HeaderChain } = {};
    const configured = resolveServers(o);
    const failed = new StartFailures(configured.map(({ enode }) => ({ id: Buffer.from(parseEnode(enode).id).toString('hex'), address: addressOf(enode) })));
    const pool = new ServerPool({
      network: this.network,
      genesisHash: this.genesisHash,
      head: () => {
        const h = ours.chain?.head();
        return h === undefined ? { hash: this.genesisHash, number: 0, td: 0n, time: 0 } : { hash: h.hash, number: h.header.number, td: h.td ?? 0n, time: h.header.timestamp };
      },
      servers: configured,
      discovery: o.discovery === undefined ? undefined : { ...o.discovery, trustedIds: trustedIds(o) },
      privateKey: o.privateKey,
      dialTimeoutMs: t.dialMs,
      handshakeTimeoutMs: t.handshakeMs,
      logger: this.#log,
    });
    const scheduler = new Scheduler({ source: pool, requestTimeoutMs: t.requestMs, noServerTimeoutMs: t.noServerMs, hardTimeoutMs: t.hardMs, logger: this.#log });
    const discoveryCanFind = o.discovery !== undefined && reachableBootnodes(o.discovery.host ?? '127.0.0.1', o.discovery.bootnodes).length > 0;
    const firstServer = new Promise<void>((resolve, reject) => {
      pool.once('connected', () => resolve());
      pool.on('dialFailed', (id, error) => {
        failed.record(id, error);
        // With discovery bootnodes it can reach, servers may still be found: no early verdict on the
        // configured ones. Bootnodes its socket cannot reach (public ones from a loopback address)
        // find nothing, so they do not hold the verdict back.
        if (this.#connected > 0 || discoveryCanFind || !failed.hopeless()) return;
        const failures = failed.failures();
        reject(new ClientError('NO_USABLE_SERVER', `no usable LES server: ${failureSummary(failures)}`, { field: 'servers', cause: failed.cause(), failures }));
      });
    });
    pool.on('connected', () => {
      if (this.#connected++ === 0) this.emit('connect');
    });
    // Until the start is over, a server that drops us just after the handshake (a full server
    // refuses with TooManyPeers then) is a reason the start error names.
    let starting = true;
    const since = new Map<string, number>();
    pool.on('connected', (server) => since.set(server.id, Date.now()));
    pool.on('disconnected', (id, info) => {
      if (starting) failed.recordDrop(id, info.droppedBecause ?? info.reason, info.droppedBecause === undefined && Date.now() - (since.get(id) ?? 0) < 2_000);
    });
    pool.on('disconnected', (id) => {
      this.#running?.tracker.serverGone(id);
      if (--this.#connected === 0) this.emit('disconnect');
      this.#checkQuorum();
    });
    const deadline = t.startMs ?? CLIENT_DEFAULTS.startMs;
    pool.start();
    const partial = { pool, scheduler };
    this.#partial = partial;
    // The beacon anchor syncs while the servers are dialed; its refusal (a checkpoint too old) ends start at once.
    const beaconSync = this.#beacon?.firstSync(this.#halt.signal);
    beaconSync?.catch(() => undefined);
    const beaconRefused = beaconSync?.then(() => new Promise<void>(() => undefined)) ?? new Promise<void>(() => undefined);
    beaconRefused.catch(() => undefined);
    await withTimeout(Promise.race([firstServer, beaconRefused]), deadline, 'no LES server connected', () => ({ failures: failed.failures(), cause: failed.cause() }));
    const chain = await HeaderChain.open({
      config: this.network,
      retriever: scheduler,
      genesisHash: this.genesisHash,
      datadir: o.datadir,
      windowSize: o.cacheSizes?.window,
      headerCacheSize: o.cacheSizes?.headers,
      maxBackfill: o.backfill?.perLookup,
      backfillPerMinute: o.backfill?.perMinute,
    }).catch((e: unknown) => {
      // The first server may drop us just after its handshake (a full one refuses then): the
      // chain's first fetch finds none connected, and the servers' last reasons say why.
      if ((e as { code?: unknown }).code !== 'NO_SERVER' || this.#connected > 0 || failed.failures().length === 0) throw e;
      const failures = failed.failures();
      throw new ClientError('START_TIMEOUT', `no LES server stayed connected (${failureSummary(failures)})`, { field: 'servers', cause: failed.cause(), failures });
    });
    ours.chain = chain;
    const tracker = new HeadTracker(chain, scheduler, this.#quorum);
    let announces: AnnounceSink = tracker;
    if (this.#beacon !== undefined) {
      await withTimeout(Promise.race([beaconSync as Promise<unknown>, beaconRefused]).then(() => undefined), deadline, 'no beacon heads verified');
      announces = this.#beacon.attach(chain, this.#halt.signal);
    }
    const odr = new OdrFacade({ retriever: scheduler, chain, cacheSizes: o.cacheSizes });
    const evm = new EvmCall({
      odr,
      chain,
      chainId: this.network.chainId,
      hardfork: this.network.hardfork,
      hardforks: this.network.hardforks,
      retriever: scheduler,
      gasCap: o.call?.gasCap,
      evmTimeoutMs: o.call?.evmTimeoutMs,
      missMode: o.call?.missMode,
      maxStateRounds: o.call?.maxStateRounds,
      estimateErrorRatio: o.call?.estimateErrorRatio,
      blockStates: o.cacheSizes?.callBlocks,
    });
    const feed = new SubscriptionEngine(
      {
        request: (method, params) => this.request(method, params),
        on: (_event, listener) => this.on('newHead', listener),
        off: (_event, listener) => this.off('newHead', listener),
        status: () => this.status(),
      },
      { onIssue: ({ message, err, block }) => this.#log.warn({ err: String(err), block }, message) },
    );
    const methods = createMethods({
      odr,
      chain,
      config: { ...o.methods, chainId: this.network.chainId, networkId: this.network.networkId },
      call: evm.handler,
      sync: () =>
        this.#beacon === undefined
          ? { highest: tracker.votes.highest(tracker.connectedTrusted()), stalled: this.#trust().stalled }
          : { highest: this.#beacon.tracker?.target()?.blockNumber, stalled: this.#beacon.status().error },
      finalized: this.#beacon === undefined ? undefined : () => this.#beacon?.finalized(),
      feed,
      forkAt: (n, time) => hardforkAt(this.network, n, time),
      peerCount: () => pool.connected().length,
    });
    this.#running = { pool, scheduler, chain, tracker, announces, odr, evm, methods, feed };
    const headKnown = new Promise<void>((resolve) => (this.#headKnown = resolve));
    chain.on('head', (head: VerifiedHeader) => this.#onHead(head));
    pool.on('announce', (id, announce, server) => {
      announces.onAnnounce(id, server.trusted, announce).then(
        (outcome) => {
          if (outcome === 'adopted' || outcome === 'recorded') this.#checkAgreed();
        },
        (e: unknown) => this.#log.warn({ server: id.slice(0, 16), err: String(e) }, 'announce not handled'),
      );
    });
    pool.on('connected', (server) => {
      this.#checkQuorum();
      void this.#statusVote(server);
    });
    for (const server of pool.connected()) void this.#statusVote(server);
    this.#checkQuorum();
    this.#checkAgreed();
    await withTimeout(headKnown, deadline, () =>
      this.#beacon === undefined
        ? `no head agreed by the trusted servers${this.#stalled === undefined ? '' : ` (${this.#stalled})`}`
        : `the beacon chain's block ${this.#beacon.tracker?.target()?.blockNumber ?? '?'} not fetched over LES`,
      () => (this.#connected === 0 ? { failures: failed.failures(), cause: failed.cause() } : { failures: [], cause: undefined }),
    );
    starting = false;
    if (this.network.checkpointOracle !== undefined) {
      trustOracleCheckpoint(chain, odr).catch((e: unknown) => this.#log.warn({ err: String(e) }, 'checkpoint oracle not read'));
    }
  }

  #partial: { pool: ServerPool; scheduler: Scheduler } | undefined;

  /** A trusted server's Status head counts as its vote (the RLPx session authenticated it). */
  async #statusVote(server: ConnectedServer): Promise<void> {
    const r = this.#running;
    if (r === undefined || !server.trusted || this.#beaconMode !== undefined) return;
    const { hash, number, td } = server.head;
    try {
      if (!r.chain.isKnown(hash)) await r.chain.fetchRun(hash, number, 1, { server: server.id });
      r.tracker.votes.record(server.id, { hash, number, td });
      await r.tracker.evaluate();
      this.#checkAgreed();
    } catch (e) {
      this.#log.info({ server: server.id.slice(0, 16), err: String(e) }, 'status head not used');
    }
  }

  #checkAgreed(): void {
    const r = this.#running;
    if (r === undefined || this.#headKnown === undefined) return;
    if (this.#beaconMode !== undefined) {
      const target = this.#beacon?.tracker?.target();
      if (target !== undefined && Buffer.compare(target.blockHash, r.chain.head().hash) === 0) {
        this.#headKnown();
        this.#headKnown = undefined;
      }
      return;
    }
    const agreed = r.tracker.votes.agreed(r.tracker.connectedTrusted(), (from, ancestor) => r.chain.descends(from.hash, ancestor));
    if (agreed !== undefined && Buffer.compare(agreed.hash, r.chain.head().hash) === 0) {
      this.#headKnown();
      this.#headKnown = undefined;
    }
  }

  /** Emits `quorum` (and logs once) when enough trusted servers for agreement come or go. */
  #checkQuorum(): void {
    if (this.#beaconMode !== undefined) return;
    const t = this.#trust();
    if (t.stalled === this.#stalled) return;
    const was = this.#stalled;
    this.#stalled = t.stalled;
    if (t.stalled !== undefined) this.#log.warn({ ...t }, 'head agreement stopped: too few trusted servers connected');
    else if (was !== undefined) this.#log.info({ ...t }, 'head agreement resumed');
    this.emit('quorum', t);
  }

  #trust(): TrustStatus {
    const q = this.#quorum;
    const connected = this.#running?.tracker.connectedTrusted().length ?? this.#partial?.scheduler.servers().filter((s) => s.trusted).length ?? 0;
    // Beacon trust: no head agreement, so nothing is needed of trusted servers.
    if (this.#beaconMode !== undefined) return { configured: configuredTrusted(this.options), connected, needed: 0 };
    const stalled = q.shortfall(connected);
    return stalled === undefined ? { configured: q.configured, connected, needed: q.needed } : { configured: q.configured, connected, needed: q.needed, stalled };
  }

  #onHead(head: VerifiedHeader): void {
    this.#checkAgreed();
    this.emit('newHead', formatHeader(head) as LesClientEvents['newHead'][0], head);
    const r = this.#running;
    if (r === undefined) return;
    updateSections(r.chain, r.tracker.quorum).catch((e: unknown) => this.#log.warn({ err: String(e) }, 'section roots not trusted'));
  }

  /**
   * Answers one eth_* call, verified (errors map through client/methods/errors.ts). `signal`
   * aborts eth_call / eth_estimateGas / eth_createAccessList while the EVM runs.
   */
  async request(method: string, params?: unknown, signal?: AbortSignal): Promise<unknown> {
    const r = this.#running;
    if (r === undefined) {
      throw this.#stopped ? new ClientError('SCHEDULER_CLOSED', 'the client is stopped') : new ClientError('NO_SERVER', 'the client is not started');
    }
    if (signal === undefined) return r.methods.request(method, params, this.#halt.signal);
    // Either signal stops the call; listeners are removed after it (AbortSignal.any would tie one
    // signal per request to the client-long one).
    const ctl = new AbortController();
    const abort = (e: Event) => ctl.abort((e.target as AbortSignal).reason);
    if (signal.aborted) ctl.abort(signal.reason);
    signal.addEventListener('abort', abort);
    this.#halt.signal.addEventListener('abort', abort);
    try {
      return await r.methods.request(method, params, ctl.signal);
    } finally {
      signal.removeEventListener('abort', abort);
      this.#halt.signal.removeEventListener('abort', abort);
    }
  }

  has(method: string): boolean {
    return this.#running?.methods.has(method) ?? false;
  }

  methods(): string[] {
    return this.#running?.methods.list() ?? [];
  }

  /**
   * Synced or not, and why, from trusted and verified numbers only: an untrusted server's
   * announced head never counts (one announce of a huge number would otherwise say "syncing"
   * for good), and a head older than staleHeadSec is not synced however it got there.
   */
  status(): ClientStatus {
    const r = this.#running;
    const head = r?.chain.head();
    const trust = this.#trust();
    const out: ClientStatus = { synced: false, head: undefined, servers: this.#connected, trust };
    if (r === undefined || head === undefined) return { ...out, reason: 'not started' };
    out.head = { number: head.header.number, hash: hex(head.hash) };
    out.headAgeSec = Math.max(0, Math.floor(Date.now() / 1000) - head.header.timestamp);
    if (this.#beaconMode !== undefined) return this.#beaconStatus(out, head.header.number);
    const highest = r.tracker.votes.highest(r.tracker.connectedTrusted()) ?? head.header.number;
    out.reason = agreementReason({ agreed: this.#headKnown === undefined, stalled: trust.stalled, head: head.header.number, highest, headAgeSec: out.headAgeSec, staleHeadSec: this.#staleHeadSec });
    out.synced = out.reason === undefined;
    return out;
  }

  /** Beacon trust: synced while the head is the anchor's block (or within 2 of it) and the anchor's last round succeeded. */
  #beaconStatus(out: ClientStatus, head: number): ClientStatus {
    const b = (this.#beacon as BeaconTrust).status();
    out.beacon = b;
    const target = this.#beacon?.tracker?.target()?.blockNumber;
    out.reason = beaconReason({ target, fetched: this.#headKnown === undefined, error: b.error, head, headAgeSec: out.headAgeSec ?? 0, staleHeadSec: this.#staleHeadSec });
    out.synced = out.reason === undefined;
    return out;
  }

  /** Closes every connection, timer and store; pending requests fail (4900). Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  #stopping: Promise<void> | undefined;

  async #stop(): Promise<void> {
    this.#stopped = true;
    this.#halt.abort(new ClientError('SCHEDULER_CLOSED', 'the client was stopped'));
    const r = this.#running;
    const p = this.#partial;
    this.#running = undefined;
    this.#partial = undefined;
    this.#headKnown = undefined;
    r?.methods.context.filters?.close();
    r?.feed.close();
    (r?.scheduler ?? p?.scheduler)?.close();
    const pool = r?.pool ?? p?.pool;
    pool?.removeAllListeners();
    await pool?.close();
    r?.chain.removeAllListeners();
    await r?.chain.close();
    await this.#beacon?.flushed();
    if (this.#connected > 0) {
      this.#connected = 0;
      this.emit('disconnect');
    }
  }
}
