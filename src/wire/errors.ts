import { LespError } from '../errors.js';

/** Why a message was refused. `limit` and `too-large` are charged like malformed requests by a server. */
export type ProtocolErrorCode = 'MALFORMED' | 'LIMIT' | 'TOO_LARGE' | 'UNSUPPORTED';

/**
 * The one error a decoder throws for untrusted bytes: names the LES message and the field at
 * fault (a path such as `reqs[3].key`).
 */
export class ProtocolError extends LespError {
  readonly messageName: string;

  constructor(
    code: ProtocolErrorCode,
    messageName: string,
    field: string,
    detail: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, `${messageName}.${field}: ${detail}`, { field, cause: options.cause });
    this.messageName = messageName;
  }
}
