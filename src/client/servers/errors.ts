/** Why a server-pool call was refused (management input, lifecycle). */
import { LespError } from '../../errors.js';

export type ServerPoolErrorCode = 'UNKNOWN_SERVER' | 'ALREADY_ADDED' | 'POOL_CLOSED' | 'BAD_OPTIONS';

export class ServerPoolError extends LespError {
  declare readonly code: ServerPoolErrorCode;

  constructor(code: ServerPoolErrorCode, field: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { field, cause: options.cause });
  }
}

/** An announce refused as bad form (LES spec): head not above the last one, bad or missing signature. */
export class BadAnnounceError extends LespError {
  constructor(field: string, message: string, options: { cause?: unknown } = {}) {
    super('BAD_ANNOUNCE', message, { field, cause: options.cause });
  }
}
