import { LespError } from '../../errors.js';

/**
 * Why the client pool refused a management call (`field` names the offending input):
 * - POOL_BAD_PARAM: an id, key or number out of range — nothing was changed;
 * - POOL_NOT_CONNECTED: a client parameter for a client that is not connected;
 * - POOL_NO_CAPACITY: the capacity asked for cannot be made free, even by dropping every
 *   lower-priority client;
 * - POOL_BAD_OPTIONS: a pool option out of range at construction.
 */
export type PoolErrorCode = 'POOL_BAD_PARAM' | 'POOL_NOT_CONNECTED' | 'POOL_NO_CAPACITY' | 'POOL_BAD_OPTIONS';

export class PoolError extends LespError {
  constructor(code: PoolErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
