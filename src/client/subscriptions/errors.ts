/**
 * Why a subscription ended on its own. A subscription never skips: when it cannot deliver every
 * log (or header) of the canonical chain it ends with one of these, so the caller knows to
 * re-read the chain (eth_getLogs) and subscribe again.
 */
import { LespError } from '../../errors.js';

export type SubscriptionErrorCode =
  /** The head moved further than the engine fills in at once (`maxGap`). */
  | 'GAP_TOO_LARGE'
  /** A reorg reaches below the blocks the engine remembers (`window`): removals cannot be sent. */
  | 'REORG_TOO_DEEP'
  /** A header between the last delivered block and the new head could not be fetched. */
  | 'HEADER_UNAVAILABLE'
  /** A new block's logs could not be fetched. */
  | 'LOGS_UNAVAILABLE'
  /** A polled subscription was not read and its queue filled (`maxQueue`). */
  | 'QUEUE_OVERFLOW';

export class SubscriptionError extends LespError {
  declare readonly code: SubscriptionErrorCode;

  constructor(code: SubscriptionErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
