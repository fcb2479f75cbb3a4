/**
 * Errors of the JSON-RPC proxy itself (the envelope, limits, transport), and the one function that
 * turns anything thrown while answering a call into the JSON-RPC error object the caller sees.
 * Errors of the methods layer go through its table (client/methods/errors.ts, DESIGN §7), so the
 * proxy and the EIP-1193 object give the same codes.
 */
import { LespError } from '../errors.js';
import { type RpcErrorObject, toRpcError } from '../client/methods/errors.js';

export type { RpcErrorObject };

export type ProxyErrorCode =
  | 'PARSE_ERROR'
  | 'INVALID_REQUEST'
  | 'BATCH_TOO_LARGE'
  | 'BODY_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'ORIGIN_NOT_ALLOWED'
  | 'REQUEST_TIMEOUT'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'UPSTREAM_FAILED'
  | 'SUBSCRIPTION_LIMIT'
  | 'BAD_OPTIONS';

/** JSON-RPC code of each proxy error (JSON-RPC 2.0 and EIP-1474 codes). */
const PROXY_RPC_CODES: Readonly<Record<ProxyErrorCode, number>> = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  BATCH_TOO_LARGE: -32600,
  BODY_TOO_LARGE: -32600,
  UNSUPPORTED_MEDIA_TYPE: -32600,
  ORIGIN_NOT_ALLOWED: -32600,
  // The request itself never arrived whole: not a call that ran out of time.
  REQUEST_TIMEOUT: -32600,
  // As the methods layer's TIMEOUT: no answer in time.
  TIMEOUT: -32002,
  ABORTED: -32603,
  UPSTREAM_FAILED: -32603,
  SUBSCRIPTION_LIMIT: -32005,
  BAD_OPTIONS: -32603,
};

export class ProxyError extends LespError {
  declare readonly code: ProxyErrorCode;

  constructor(code: ProxyErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }

  get rpcCode(): number {
    return PROXY_RPC_CODES[this.code];
  }
}

/**
 * An error answer from the `--upstream` node, passed through as it came (code, message, data):
 * the operator opted in to that node's answers for that method.
 */
export class UpstreamRpcError extends LespError {
  constructor(
    readonly rpcCode: number,
    message: string,
    readonly rpcData?: unknown,
  ) {
    super('UPSTREAM_ERROR', message);
  }
}

/** The JSON-RPC error object for anything thrown while answering a call. */
export function rpcErrorOf(err: unknown): RpcErrorObject {
  if (err instanceof ProxyError) return { code: err.rpcCode, message: err.message };
  if (err instanceof UpstreamRpcError) {
    return err.rpcData === undefined ? { code: err.rpcCode, message: err.message } : { code: err.rpcCode, message: err.message, data: err.rpcData };
  }
  return toRpcError(err, 'proxy');
}
