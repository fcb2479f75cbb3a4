import { LespError } from '../../errors.js';

/**
 * Why the section indexers could not do something:
 * - INDEXER_NOT_BUILT: a section index that is not built (yet, or any more after a rollback);
 * - INDEXER_BAD_KEY / INDEXER_BAD_LEVEL / INDEXER_BAD_BIT: a serving request with a key of the
 *   wrong length, a bad fromLevel, a bloom bit outside 0..2047;
 * - INDEXER_MISSING_BLOCK / INDEXER_BAD_BLOCK: the chain store lacks a block of a section that
 *   should be buildable, or returned one of the wrong shape;
 * - INDEXER_CHAIN_UNSTABLE: the canonical chain kept changing under a section being built;
 * - INDEXER_MISSING_NODE / INDEXER_CORRUPT_RECORD: stored data that is missing or does not decode;
 * - INDEXER_BAD_CONFIG: a store built with another section size, or bad options;
 * - INDEXER_UNSORTED: trie entries handed to the bulk insert out of order (a bug).
 */
export type IndexerErrorCode =
  | 'INDEXER_NOT_BUILT'
  | 'INDEXER_BAD_KEY'
  | 'INDEXER_BAD_LEVEL'
  | 'INDEXER_BAD_BIT'
  | 'INDEXER_MISSING_BLOCK'
  | 'INDEXER_BAD_BLOCK'
  | 'INDEXER_CHAIN_UNSTABLE'
  | 'INDEXER_MISSING_NODE'
  | 'INDEXER_CORRUPT_RECORD'
  | 'INDEXER_BAD_CONFIG'
  | 'INDEXER_UNSORTED';

export class IndexerError extends LespError {
  constructor(code: IndexerErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
