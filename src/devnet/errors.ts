/**
 * What a devnet fails with: one line naming what went wrong (anvil missing or not starting, a
 * node that does not answer, a port in use, a test method the devnet cannot follow).
 */
import { LespError } from '../errors.js';

export type DevnetErrorCode =
  | 'ANVIL_MISSING'
  | 'ANVIL_FAILED'
  | 'NODE_UNREACHABLE'
  | 'NODE_AT_GENESIS'
  | 'PORT_IN_USE'
  | 'BAD_OPTIONS'
  | 'STOPPED'
  | 'NOT_FOLLOWED';

export class DevnetError extends LespError {
  declare readonly code: DevnetErrorCode;

  constructor(code: DevnetErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
