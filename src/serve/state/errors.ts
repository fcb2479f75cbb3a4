import { LespError } from '../../errors.js';

/**
 * Why the server could not serve state:
 * - STATE_BAD_KEY: a preimage or key of the wrong length;
 * - STATE_BAD_ALLOC: a genesis alloc that does not parse;
 * - STATE_WRONG_PROOF: the node answered a proof or code that does not check against the header.
 */
export type StateErrorCode = 'STATE_BAD_KEY' | 'STATE_BAD_ALLOC' | 'STATE_WRONG_PROOF';

export class StateError extends LespError {
  constructor(code: StateErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
