/**
 * Drives the StateTracker (src/serve/state) from the chain follower's 'block' events, so the node
 * is polled once, by the follower, and never again by `tracker.sync()`.
 *
 * Per newly canonical block, in order: a block whose state the tracker holds becomes its head
 * again (a reorg back onto a known branch); a block whose parent state it holds is applied; a
 * block at or below the tracker's head without either is older than the tracker's start state and
 * is skipped. A block further ahead (blocks missed while a dump loaded, or after a failed apply)
 * first replays the canonical blocks between — from our store's hashes, each block's head fields
 * fetched by hash — up to `maxCatchUp` blocks.
 */
import type { ChainLog } from './follower.js';
import type { BlockEvent, ChainFollower } from './follower.js';
import type { ChainStore } from './store.js';
import { type RpcBlockHead, fetchBlockHead } from '../rpc/block.js';
import type { NodeRpcClient } from '../rpc/client.js';
import { toHex } from '../rpc/hex.js';
import type { StateTracker } from '../state/tracker.js';
import { equalBytes } from '../../verify/bytes.js';

export interface StateFeedOptions {
  follower: ChainFollower;
  tracker: StateTracker;
  rpc: NodeRpcClient;
  /** Most blocks replayed to close a gap. Default 1024. */
  maxCatchUp?: number;
  log?: ChainLog;
}

const silent: ChainLog = { info() {}, warn() {}, error() {} };

export class StateFeed {
  readonly stats = { applied: 0, reselected: 0, skipped: 0, replayed: 0, failed: 0 };
  private readonly tracker: StateTracker;
  private readonly store: ChainStore;
  private readonly rpc: NodeRpcClient;
  private readonly follower: ChainFollower;
  private readonly maxCatchUp: number;
  private readonly log: ChainLog;
  private queue: Promise<void> = Promise.resolve();
  private readonly listener = (ev: BlockEvent) => {
    this.queue = this.queue.then(() => this.apply(ev.head)).catch((e: unknown) => {
      this.stats.failed++;
      this.log.error({ number: ev.number, err: (e as Error).message }, 'state feed: block not applied; a later block retries it');
    });
  };

  constructor(options: StateFeedOptions) {
    this.tracker = options.tracker;
    this.follower = options.follower;
    this.store = options.follower.store;
    this.rpc = options.rpc;
    this.maxCatchUp = options.maxCatchUp ?? 1024;
    this.log = options.log ?? silent;
    this.follower.on('block', this.listener);
  }

  /** Resolves when every block delivered so far has been handled. */
  async idle(): Promise<void> {
    let q: Promise<void>;
    do {
      q = this.queue;
      await q;
    } while (q !== this.queue);
  }

  /** Stops listening and waits for the blocks already queued. */
  async detach(): Promise<void> {
    this.follower.off('block', this.listener);
    await this.idle();
  }

  private async apply(b: RpcBlockHead): Promise<void> {
    if ((await this.tracker.blockState(b.hash)) !== undefined) {
      if (!equalBytes(this.tracker.head.hash, b.hash)) {
        await this.tracker.applyBlock(b);
        this.stats.reselected++;
      }
      return;
    }
    if ((await this.tracker.blockState(b.parentHash)) !== undefined) {
      await this.tracker.applyBlock(b);
      this.stats.applied++;
      return;
    }
    const th = this.tracker.head;
    if (b.number <= th.number) {
      this.stats.skipped++;
      return;
    }
    const gap = b.number - th.number - 1;
    const onOurChain = await this.store.canonicalHash(th.number);
    if (gap > this.maxCatchUp || onOurChain === undefined || !equalBytes(onOurChain, th.hash)) {
      this.stats.skipped++;
      this.log.warn({ number: b.number, stateHead: th.number, gap }, 'state feed: cannot reach this block from the state head; skipped');
      return;
    }
    for (let n = th.number + 1; n < b.number; n++) {
      const hash = await this.store.canonicalHash(n);
      const head = hash === undefined ? undefined : await fetchBlockHead(this.rpc, hash);
      if (head === undefined || !equalBytes(head.hash, hash as Uint8Array)) {
        this.log.warn({ number: n, hash: hash === undefined ? undefined : toHex(hash) }, 'state feed: missed block not available; skipped');
        this.stats.skipped++;
        return;
      }
      await this.tracker.applyBlock(head);
      this.stats.replayed++;
    }
    await this.tracker.applyBlock(b);
    this.stats.applied++;
  }
}
