import { LespError } from '../../errors.js';

/** Why an on-demand request could not give a verified answer. */
export type OdrErrorCode =
  /** An item the client built is unusable (block outside its section, bit index out of range). */
  | 'BAD_ITEM'
  /** No connected server can answer this item. */
  | 'NO_SERVER'
  /** A transaction could not be handed to any relaying server. */
  | 'NOT_RELAYED'
  /** A server's "included" tx status did not hold against the verified block body. */
  | 'BAD_INCLUSION';

/** An ODR failure that is not a bad reply (those are VerificationError / ProtocolError). */
export class OdrError extends LespError {
  declare readonly code: OdrErrorCode;

  constructor(code: OdrErrorCode, field: string, detail: string, options: { cause?: unknown } = {}) {
    super(code, `${field}: ${detail}`, { field, cause: options.cause });
  }
}
