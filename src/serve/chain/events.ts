/** What the chain follower tells the rest of the server: typed events and its log interface. */
import type { RpcBlockHead } from '../rpc/block.js';
import type { BlockHeader } from '../../verify/header.js';
import type { ChainError } from './errors.js';

/** pino-compatible. */
export interface ChainLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface HeadEvent {
  hash: Uint8Array;
  number: number;
  td: bigint;
  /** Blocks rolled back from the previous head (0: the new head extends it). */
  reorgDepth: number;
  /** True while filling history (the node's head is further than `eagerBlocks` away). */
  catchingUp: boolean;
}

export interface BlockEvent {
  hash: Uint8Array;
  number: number;
  td: bigint;
  header: BlockHeader;
  /** The block's head fields as src/serve/rpc parses them. */
  head: RpcBlockHead;
}

export interface RejectedEvent {
  number: number | undefined;
  hash: string | undefined;
  code: string;
  field: string | undefined;
  message: string;
}

export interface ChainFollowerEvents {
  head: [HeadEvent];
  block: [BlockEvent];
  rejected: [RejectedEvent];
  /** The node failed or answered nonsense; following retries on the next wake-up. */
  syncError: [Error];
  /** Following stopped for good: the node is on another chain (no ancestor, wrong genesis, reorg too deep). */
  halted: [ChainError];
  subscription: [{ up: boolean; reason?: string }];
  /** The history below the recent segment grew (`result`: the gap is still open, closed, or the segment was dropped). */
  history: [HistoryEvent];
}

export interface HistoryEvent {
  /** Highest block stored contiguously from genesis. */
  filled: number;
  /** First block of the recent segment (the gap is filled..anchor). */
  anchor: number;
  result: 'open' | 'joined' | 'dropped';
}
