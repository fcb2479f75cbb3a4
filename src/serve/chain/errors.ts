import { LespError } from '../../errors.js';

/**
 * Why the chain store or follower could not do something:
 * - CHAIN_BAD_BLOCK: the node's block, body or receipts failed a check (hash, roots, shape);
 *   nothing of it was stored. `number`/`hash` name the block when known.
 * - CHAIN_NO_ANCESTOR: the node's chain shares no block with ours (another network or genesis);
 * - CHAIN_GENESIS_MISMATCH: the node's block 0 is not the configured genesis;
 * - CHAIN_REORG_TOO_DEEP: a reorg deeper than the follower's limit;
 * - CHAIN_CORRUPT: stored bytes that do not decode (a damaged store);
 * - CHAIN_UNLINKED: a write whose first block's parent is not the stored block below it;
 * - CHAIN_BAD_URL: a node URL that is not http(s):// or ws(s)://.
 */
export type ChainErrorCode =
  | 'CHAIN_BAD_BLOCK'
  | 'CHAIN_NO_ANCESTOR'
  | 'CHAIN_GENESIS_MISMATCH'
  | 'CHAIN_REORG_TOO_DEEP'
  | 'CHAIN_CORRUPT'
  | 'CHAIN_UNLINKED'
  | 'CHAIN_BAD_URL';

export class ChainError extends LespError {
  declare readonly code: ChainErrorCode;
  /** The block concerned, when known. */
  readonly number: number | undefined;
  readonly hash: string | undefined;

  constructor(code: ChainErrorCode, message: string, options: { field?: string; number?: number; hash?: string; cause?: unknown } = {}) {
    super(code, message, { field: options.field, cause: options.cause });
    this.number = options.number;
    this.hash = options.hash;
  }
}
