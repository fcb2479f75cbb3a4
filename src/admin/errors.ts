/**
 * JSON-RPC errors of the management endpoint. Codes: the JSON-RPC 2.0 ones (-32700 parse error,
 * -32600 invalid request, -32601 method not found, -32602 invalid params, -32603 internal) and
 * -32001 for every refusal of access (no token, a wrong, revoked or expired token, a token without
 * the permission) — always with the same message and no detail, over HTTP 401. -32000 is a server
 * condition (no checkpoint yet, not configured).
 */
import { LespError } from '../errors.js';

export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  Unauthorized: -32001,
  ServerError: -32000,
} as const;

export const UNAUTHORIZED_MESSAGE = 'unauthorized';

export class AdminRpcError extends LespError {
  readonly rpcCode: number;
  readonly data: unknown;

  constructor(rpcCode: number, message: string, options: { field?: string; data?: unknown } = {}) {
    super('ADMIN_RPC', message, { field: options.field });
    this.rpcCode = rpcCode;
    this.data = options.data;
  }
}

/** -32602 naming the field. */
export function invalidParams(field: string, detail: string): AdminRpcError {
  return new AdminRpcError(RpcCode.InvalidParams, `${field}: ${detail}`, { field, data: { field } });
}
