/**
 * What every method handler gets: the verified data sources (Odr, HeaderChainView), the
 * configuration with its defaults filled in, the pending-transaction pool, and block resolution
 * (tags, numbers, hashes, EIP-1898 objects → a verified header).
 */
import { LRUCache } from 'lru-cache';
import type { HeaderChainView, Odr, VerifiedHeader } from '../contracts.js';
export type { StateProof } from '../contracts.js';
import { LespError } from '../../errors.js';
import type { SubscriptionEngine } from '../subscriptions/engine.js';
import { FilterRegistry } from '../subscriptions/filters.js';
import { MethodError } from './errors.js';
import type { BlockNumberRef, BlockRef } from './params.js';
import { PendingPool } from './pending.js';
import type { ParsedTx } from './tx-format.js';

/** The Odr as the methods use it: the contract's (proof and bloomBits' dataSection included). */
export type MethodsOdr = Odr;

/**
 * eth_call & co, injected by the EVM code: gets the raw params, the resolved, verified header and
 * the caller's signal (aborting stops the EVM).
 */
export type CallHandler = (
  method: 'eth_call' | 'eth_estimateGas' | 'eth_createAccessList',
  params: readonly unknown[],
  header: VerifiedHeader,
  signal?: AbortSignal,
) => Promise<unknown>;

export interface MethodsConfig {
  chainId: bigint;
  networkId: bigint;
  /** `finalized` = latest − finalityDepth (default 64: two beacon epochs). */
  finalityDepth?: number;
  /** `safe` = latest − safeDepth (default: finalityDepth). */
  safeDepth?: number;
  clientVersion?: string;
  /** Most blocks one eth_getLogs range may span (default 1,048,576). */
  maxLogBlockRange?: number;
  /** Most logs one eth_getLogs answer may hold (default 10,000; more is -32005). */
  maxLogs?: number;
  /** Most headers above the last trusted section one eth_getLogs scans by their blooms (default 65,536). */
  maxHeaderScan?: number;
  /** Most blocks of eth_feeHistory (default 1024, as geth). */
  maxFeeHistory?: number;
  /** Gas price oracle: blocks looked at (default 20) and the percentile taken (default 60), as geth's. */
  gasPriceBlocks?: number;
  gasPricePercentile?: number;
  /** Lowest suggested priority fee (default 1 gwei, as anvil and ethers). */
  minPriorityFee?: bigint;
  /** Syncing when the trusted servers' head is more than this many blocks ahead (default 2). */
  syncTolerance?: number;
  /** Most storage keys of one eth_getProof (default 1024). */
  maxProofKeys?: number;
  /** ODR requests one method keeps in flight (default 16). */
  concurrency?: number;
  /** Sent transactions remembered until included (default 1024). */
  pendingLimit?: number;
  /** A filter not polled for this long is uninstalled (default 300,000 ms, geth's filterTimeout). */
  filterTimeoutMs?: number;
  /** Most live filters of eth_newFilter & co (default 256). */
  maxFilters?: number;
}

/** Sync state by trusted word only (never an untrusted server's announce). */
export interface SyncView {
  /** The highest head as many trusted servers as the quorum needs have announced, if they have. */
  highest: number | undefined;
  /** Why no head can be agreed now (too few trusted servers connected). */
  stalled?: string;
}

/** A block named from outside the header chain (the beacon chain's finalized execution block). */
export interface NamedBlock {
  number: number;
  hash: Uint8Array;
}

export interface MethodDeps {
  odr: MethodsOdr;
  chain: HeaderChainView;
  config: MethodsConfig;
  call?: CallHandler;
  /** How far the trusted servers say the chain goes, and why the head cannot advance (eth_syncing). */
  sync?: () => SyncView;
  /** The subscription engine filters are built on (absent = no eth_newFilter & co). */
  feed?: SubscriptionEngine;
  /** The network's fork at a block (e.g. 'prague', 'bpo1'): blob fee parameters; absent = read from the header's shape. */
  forkAt?: (blockNumber: number, timestamp: number) => string;
  /** LES servers connected now (net_peerCount); absent = 0. */
  peerCount?: () => number;
  /** The block the `finalized` and `safe` tags name (the beacon anchor's); absent = head − finalityDepth / safeDepth. */
  finalized?: () => NamedBlock | undefined;
}

export type ResolvedConfig = Required<MethodsConfig>;

export interface MethodContext {
  odr: MethodsOdr;
  chain: HeaderChainView;
  config: ResolvedConfig;
  call: CallHandler | undefined;
  sync: (() => SyncView) | undefined;
  pending: PendingPool;
  /** eth_newFilter & co (undefined without a subscription engine). */
  filters: FilterRegistry<ParsedTx> | undefined;
  /** Parsed transactions (sender recovered) of recent blocks, by block hash. */
  parsed: LRUCache<string, ParsedTx[]>;
  /** The head when the client last noticed it was behind (eth_syncing's startingBlock). */
  syncStart: number | undefined;
  forkAt: ((blockNumber: number, timestamp: number) => string) | undefined;
  peerCount: (() => number) | undefined;
  finalized: (() => NamedBlock | undefined) | undefined;
}

/** The network's fork name at this block, when the client knows its schedule. */
export function forkOf(ctx: MethodContext, vh: VerifiedHeader): string | undefined {
  return ctx.forkAt?.(vh.header.number, vh.header.timestamp);
}

export function resolveConfig(c: MethodsConfig): ResolvedConfig {
  const finalityDepth = c.finalityDepth ?? 64;
  return {
    chainId: c.chainId,
    networkId: c.networkId,
    finalityDepth,
    safeDepth: c.safeDepth ?? finalityDepth,
    clientVersion: c.clientVersion ?? 'les-provider/0.1.0',
    maxLogBlockRange: c.maxLogBlockRange ?? 1 << 20,
    maxLogs: c.maxLogs ?? 10_000,
    maxHeaderScan: c.maxHeaderScan ?? 1 << 16,
    maxFeeHistory: c.maxFeeHistory ?? 1024,
    gasPriceBlocks: c.gasPriceBlocks ?? 20,
    gasPricePercentile: c.gasPricePercentile ?? 60,
    minPriorityFee: c.minPriorityFee ?? 1_000_000_000n,
    syncTolerance: c.syncTolerance ?? 2,
    maxProofKeys: c.maxProofKeys ?? 1024,
    concurrency: c.concurrency ?? 16,
    pendingLimit: c.pendingLimit ?? 1024,
    filterTimeoutMs: c.filterTimeoutMs ?? 300_000,
    maxFilters: c.maxFilters ?? 256,
  };
}

export function createContext(deps: MethodDeps): MethodContext {
  const config = resolveConfig(deps.config);
  const pending = new PendingPool(config.pendingLimit);
  return {
    odr: deps.odr,
    chain: deps.chain,
    config,
    call: deps.call,
    sync: deps.sync,
    pending,
    filters: deps.feed === undefined ? undefined : new FilterRegistry<ParsedTx>(deps.feed, pending, { timeoutMs: config.filterTimeoutMs, maxFilters: config.maxFilters }),
    parsed: new LRUCache({ max: 64 }),
    syncStart: undefined,
    forkAt: deps.forkAt,
    peerCount: deps.peerCount,
    finalized: deps.finalized,
  };
}

/** The block number a tag or number names (may be above the head: the caller checks). */
export function blockNumberOf(ctx: MethodContext, ref: BlockNumberRef): number {
  if (ref.kind === 'number') return ref.number;
  const head = ctx.chain.head().header.number;
  switch (ref.tag) {
    case 'latest':
    case 'pending':
      return head;
    case 'safe':
      return ctx.finalized?.()?.number ?? Math.max(0, head - ctx.config.safeDepth);
    case 'finalized':
      return ctx.finalized?.()?.number ?? Math.max(0, head - ctx.config.finalityDepth);
    case 'earliest':
      return 0;
  }
}

const equalHash = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

const notAvailable = (e: unknown) => e instanceof LespError && e.code === 'NOT_AVAILABLE';

/** The verified header a block param names, or `undefined` when there is no such block. */
export async function findHeader(ctx: MethodContext, ref: BlockRef): Promise<VerifiedHeader | undefined> {
  if (ref.kind !== 'hash') {
    const n = blockNumberOf(ctx, ref);
    const head = ctx.chain.head();
    if (n > head.header.number) return undefined;
    let found: VerifiedHeader;
    try {
      found = n === head.header.number ? head : await ctx.chain.headerByNumber(n);
    } catch (e) {
      if (notAvailable(e)) return undefined;
      throw e;
    }
    // The canonical block at the finalized number must be the finalized block itself.
    const named = ref.kind === 'tag' && (ref.tag === 'finalized' || ref.tag === 'safe') ? ctx.finalized?.() : undefined;
    if (named !== undefined && !equalHash(found.hash, named.hash)) {
      throw new MethodError('BLOCK_NOT_FOUND', `the canonical block ${n} is not the finalized block`, { field: 'block' });
    }
    return found;
  }
  // Canonical only (HeaderChainView.headerByHash): a side block or a forged header is "not found",
  // whether or not EIP-1898's requireCanonical was asked.
  try {
    return await ctx.chain.headerByHash(ref.hash);
  } catch (e) {
    if (notAvailable(e)) return undefined;
    throw e;
  }
}

/** As findHeader, for state reads: a missing block is an error (geth: "header not found"). */
export async function requireHeader(ctx: MethodContext, ref: BlockRef): Promise<VerifiedHeader> {
  const header = await findHeader(ctx, ref);
  if (header === undefined) throw new MethodError('BLOCK_NOT_FOUND', 'header not found', { field: 'block' });
  return header;
}
