import { LespError } from '../../errors.js';

/** Why the header chain cannot give (or accept) a header. */
export type ChainErrorCode =
  /** Neither the network config nor the options name a genesis hash. */
  | 'NO_GENESIS'
  /** The store holds the chain of another network (its genesis differs). */
  | 'STORE_MISMATCH'
  /** The header asked for is beyond the head, or no trusted section / window reaches it. */
  | 'NOT_AVAILABLE'
  /** Linking back to an old header would pass the back-fill budget (per call, or per minute for all callers). */
  | 'LIMIT_EXCEEDED'
  /** Linked headers contradict a trust anchor (genesis, checkpoint, trusted section head). */
  | 'ANCHOR_MISMATCH'
  /** The checkpoint oracle has no checkpoint, or its data is malformed. */
  | 'ORACLE_EMPTY'
  /** No server supplied checkpoint contents that hash to the oracle's signed hash. */
  | 'ORACLE_CONTENTS';

export class ChainError extends LespError {
  declare readonly code: ChainErrorCode;

  constructor(code: ChainErrorCode, field: string, detail: string, options: { cause?: unknown } = {}) {
    super(code, `${field}: ${detail}`, { field, cause: options.cause });
  }
}
