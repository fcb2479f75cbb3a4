/**
 * The backend a LesServer serves from, opened on one store: the chain store and its follower of
 * the execution node, the node's state (proofs from its eth_getProof, the window it can prove, the
 * preimage index filled from the follower's blocks), and the section indexers built from the chain
 * store. Head events are handled one at a time, in order: the indexers are scheduled (told of
 * replaced canonical blocks after a reorg), the head snapshot is refreshed, the head's preimages
 * are indexed, then `onHead` hears of it (announces).
 *
 * A store far behind the node takes a recent segment first and fills the history below it while
 * serving (see the chain follower): `open` returns once the segment is at the node's head; the
 * sections are built from the filled history only (`historyHead`), so a section never spans the gap.
 */
import type { NetworkConfig } from '../../config/network.js';
import type { KvStore } from '../../store/kv.js';
import { ChainFollower, ChainStore, type HeadEvent as ChainHeadEvent, nodeEndpoints } from '../chain/index.js';
import { type ProgressStream, SectionIndexer } from '../indexer/index.js';
import { NodeRpcClient } from '../rpc/client.js';
import { NodeRpcError } from '../rpc/errors.js';
import { readSafeNumber } from '../rpc/hex.js';
import { NodeStateProver } from '../state/node-prover.js';
import { PreimageFeed } from '../state/preimage-feed.js';
import { PreimageIndex, allocPreimages } from '../state/preimages.js';
import { NodeStateReader } from '../state/reader.js';
import type { StateWindow } from '../state/window.js';
import { probeNode } from '../probe.js';
import { ChainStoreReader, IndexerReader, NodeTxPool } from './adapters.js';
import type { HeadEvent, ServeBackend } from './backend.js';
import { ServeError } from './errors.js';
import type { ServeLog } from './handlers/types.js';

export interface StackOptions {
  rpcUrl: string;
  store: KvStore;
  network: NetworkConfig;
  log: ServeLog;
  /** Follower poll interval. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Where the header fill's and the indexers' progress bars go (a TTY only); null for none. */
  progressStream?: ProgressStream | null;
  /** A genesis file or alloc whose addresses and slots seed the preimage index. */
  genesisAlloc?: unknown;
  /** The operator's serveRecentState (0: as far back as the node proves). */
  recentState?: number;
  /** Blocks behind the node's head at start whose preimages are indexed. Default 8192. */
  preimageHistory?: number;
  /** Aborting ends `open` (the header fill in progress stops after its batch; nothing is left running). */
  signal?: AbortSignal;
  /** The follower's recent segment (0: fill the history before serving). Default 128. */
  recentBlocks?: number;
  /** Missing headers beyond which the segment is taken first. Default 2000. */
  historyGapMin?: number;
  /** Called for every head after the state has caught up with it (not while filling history). */
  onHead(head: HeadEvent): Promise<void> | void;
}

interface StackParts {
  rpc: NodeRpcClient;
  chainStore: ChainStore;
  follower: ChainFollower;
  preimages: PreimageIndex;
  feed: PreimageFeed;
  prover: NodeStateProver;
  stateWindow: StateWindow;
  indexer: SectionIndexer;
  chain: ChainStoreReader;
  state: NodeStateReader;
  options: StackOptions;
}

export class ServeStack {
  readonly rpc: NodeRpcClient;
  readonly chainStore: ChainStore;
  readonly follower: ChainFollower;
  readonly preimages: PreimageIndex;
  readonly feed: PreimageFeed;
  readonly prover: NodeStateProver;
  readonly stateWindow: StateWindow;
  readonly state: NodeStateReader;
  readonly indexer: SectionIndexer;
  readonly backend: ServeBackend;
  readonly #chain: ChainStoreReader;
  readonly #options: StackOptions;
  #heads: Promise<void> = Promise.resolve();
  #lastHead: { number: number } | undefined;

  private constructor(parts: StackParts) {
    this.rpc = parts.rpc;
    this.chainStore = parts.chainStore;
    this.follower = parts.follower;
    this.preimages = parts.preimages;
    this.feed = parts.feed;
    this.prover = parts.prover;
    this.stateWindow = parts.stateWindow;
    this.state = parts.state;
    this.indexer = parts.indexer;
    this.#chain = parts.chain;
    this.#options = parts.options;
    this.backend = { chain: parts.chain, state: parts.state, helperTries: new IndexerReader(parts.indexer), txPool: new NodeTxPool(parts.rpc) };
    this.#lastHead = parts.chain.head();
  }

  /** Opens every component and brings the chain store to the node's head. Fails fast when the node does not answer. */
  static async open(options: StackOptions): Promise<ServeStack> {
    const { store, network, log, signal } = options;
    const stopped = (): void => {
      if (signal?.aborted === true) throw new ServeError('SERVE_STOPPED', 'stopped while starting', { field: 'signal' });
    };
    const endpoints = nodeEndpoints(options.rpcUrl);
    const rpc = new NodeRpcClient({ url: endpoints.httpUrl, retries: 0, timeoutMs: 30_000 });
    await checkNode(rpc, network);
    stopped();
    const chainStore = await ChainStore.open({ store: store.namespace('chain') });
    const nodeHead = readSafeNumber(await rpc.call('eth_blockNumber'), 'result', (field, detail) => new NodeRpcError('NODE_BAD_RESPONSE', 'eth_blockNumber', detail, { field }));
    const node = await probeNode(rpc, { head: nodeHead, wsUrl: endpoints.wsUrl, pollIntervalMs: options.pollIntervalMs });
    stopped();
    const stateWindow = node.state;
    log.info({ since: stateWindow.since, recent: stateWindow.recent, receipts: node.receipts, served: node.lines }, `serving from ${rpc.url}: ${node.summary}`);
    const follower = new ChainFollower({
      store: chainStore,
      rpc,
      wsUrl: endpoints.wsUrl,
      genesisHash: network.genesisHash,
      finalTotalDifficulty: network.finalTotalDifficulty,
      pollIntervalMs: options.pollIntervalMs,
      receipts: node.receipts,
      rawTxFallback: node.rawTx,
      progressStream: options.progressStream,
      recentBlocks: options.recentBlocks ?? 128,
      historyGapMin: options.historyGapMin,
      log,
    });
    const preimages = new PreimageIndex(store.namespace('preimages'));
    const feed = new PreimageFeed({ follower, rpc, index: preimages, fromBlock: Math.max(0, nodeHead - (options.preimageHistory ?? 8192)), log });
    const prover = new NodeStateProver({ rpc, log });
    // Sections are built from the history filled from genesis, never across the gap below a recent segment.
    const sectionSource = { headNumber: () => chainStore.historyHead(), canonicalEntry: (n: number) => chainStore.canonicalEntry(n) };
    const indexer = await SectionIndexer.open({ store: store.namespace('indexer'), source: sectionSource, network, log, progressStream: options.progressStream });
    const abort = (): void => void follower.stop();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      if (options.genesisAlloc !== undefined) await preimages.add(allocPreimages(options.genesisAlloc));
      await follower.syncOnce();
      stopped();
      if (follower.halted !== undefined) throw follower.halted;
      const chain = await ChainStoreReader.open(chainStore);
      if (chain === undefined) throw new ServeError('SERVE_NODE_UNREACHABLE', 'the node has no blocks to serve', { field: 'rpc' });
      await feed.idle();
      const state = new NodeStateReader({ chain: chainStore, prover, preimages, window: stateWindow, recentState: options.recentState ?? 0, head: () => chain.head().number });
      const stack = new ServeStack({ rpc, chainStore, follower, preimages, feed, prover, stateWindow, indexer, chain, state, options });
      follower.on('head', (ev) => stack.#queueHead(ev));
      follower.on('history', (ev) => {
        if (ev.result !== 'open') stack.#onHistoryDone();
        else indexer.schedule();
      });
      return stack;
    } catch (err) {
      await follower.stop();
      await feed.detach();
      await indexer.stop();
      throw err;
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /** The history fill below the recent segment: where it is and its rate; undefined once every header is stored. */
  history(): { filled: number; anchor: number; headersPerSecond: number } | undefined {
    return this.follower.history.progress();
  }

  /** Resolves when the history fill has ended (every header stored, or stopped). */
  async historyIdle(): Promise<void> {
    await this.follower.history.idle();
  }

  /** Starts following the node and building sections. */
  start(): void {
    this.indexer.schedule();
    this.follower.start();
  }

  /** Resolves when queued head events, state blocks and section builds are done. */
  async idle(): Promise<void> {
    await this.follower.syncOnce();
    await this.feed.idle();
    await this.#heads;
    await this.indexer.idle();
  }

  /** Stops following and waits for work in progress; the store belongs to the caller. */
  async stop(): Promise<void> {
    await this.follower.stop();
    await this.feed.detach();
    await this.#heads;
    await this.indexer.stop();
  }

  /** The gap closed (or its segment was dropped): the head snapshot takes the rewritten TD, the sections start. */
  #onHistoryDone(): void {
    const h = this.chainStore.head();
    if (h !== undefined) this.#queueHead({ ...h, reorgDepth: 0, catchingUp: true });
  }

  #queueHead(ev: ChainHeadEvent): void {
    this.#heads = this.#heads.then(() => this.#onHead(ev)).catch((err: unknown) => {
      this.#options.log.error({ err, number: ev.number }, 'serve: head event not handled');
    });
  }

  async #onHead(ev: ChainHeadEvent): Promise<void> {
    const prev = this.#lastHead;
    this.#lastHead = { number: ev.number };
    if (ev.reorgDepth > 0 && prev !== undefined) {
      const from = prev.number - ev.reorgDepth + 1;
      this.indexer.canonicalChanged(from).catch((err: unknown) => this.#options.log.error({ err, from }, 'serve: helper-trie sections not checked after a reorg'));
    }
    else this.indexer.schedule();
    const header = await this.chainStore.headerByHash(ev.hash);
    if (header === undefined) return;
    const head = { hash: ev.hash, number: ev.number, td: ev.td, timestamp: header.header.timestamp };
    this.#chain.setHead(head);
    if (ev.catchingUp) return;
    await this.feed.idle();
    await this.#options.onHead({ ...head, reorgDepth: ev.reorgDepth });
  }
}

/** The node answers and is on the configured chain. */
async function checkNode(rpc: NodeRpcClient, network: NetworkConfig): Promise<void> {
  let chainId: bigint;
  try {
    chainId = BigInt(await rpc.call<string>('eth_chainId', [], { timeoutMs: 5000 }));
  } catch (cause) {
    throw new ServeError('SERVE_NODE_UNREACHABLE', `the node at ${rpc.url} does not answer: ${(cause as Error).message}`, { field: 'rpc', cause });
  }
  if (chainId !== network.chainId) {
    throw new ServeError('SERVE_BAD_OPTIONS', `the node's chain id is ${chainId}, network ${network.name} expects ${network.chainId}`, { field: 'network' });
  }
}
