import { LespError } from '../errors.js';

/** Why a store operation failed. */
export type StoreErrorCode = 'STORE_CLOSED' | 'STORE_IO' | 'STORE_FOREIGN_NAMESPACE' | 'STORE_BAD_NAME';

/** A failure of the embedded key-value store (I/O, use after close, misuse of namespaces). */
export class StoreError extends LespError {
  constructor(code: StoreErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
