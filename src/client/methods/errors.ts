/**
 * The errors the eth_* methods throw, and the one table (DESIGN §7) that turns any error into the
 * JSON-RPC error a caller sees. The proxy (`surface: 'proxy'`) and the EIP-1193 object
 * (`surface: 'eip1193'`) both call `toRpcError`; they differ only where EIP-1193 defines its own
 * provider codes (4200 unsupported method, 4900 disconnected).
 *
 * Codes (EIP-1474 where it has one):
 *   -32602 invalid params (INVALID_PARAMS, field = the param's name)
 *   -32601 / 4200 method does not exist (METHOD_NOT_FOUND)
 *   -32002 / 4900 no server connected that can answer (NO_SERVER); the client did not start
 *          (START_TIMEOUT, NO_USABLE_SERVER: the message names each server's reason)
 *   -32002 no verified answer in time (TIMEOUT)
 *   -32040 VERIFICATION FAILED: every server that could answer sent data that failed
 *          verification (the scheduler's VERIFICATION_FAILED, or a VerificationError here). Our
 *          own code in the implementation-defined range; stable, documented.
 *   -32005 limit exceeded (LIMIT_EXCEEDED: log range, results, proof keys; FILTER_LIMIT: live filters)
 *   -32000 header not found / not canonical / tx rejected by the servers (geth's code and words);
 *          a subscription ended rather than skip (GAP_TOO_LARGE, REORG_TOO_DEEP, HEADER_UNAVAILABLE,
 *          LOGS_UNAVAILABLE, QUEUE_OVERFLOW); an unknown or expired filter id (FILTER_NOT_FOUND,
 *          geth's "filter not found")
 *   -32000 the local EVM's time limit passed (EXECUTION_TIMEOUT: "execution aborted (timeout = 5s)")
 *   3      execution reverted, data = revert bytes (EXECUTION_REVERTED, thrown by the CallHandler)
 *   -32603 anything else (internal error)
 */
import { LespError } from '../../errors.js';
import { VerificationError } from '../../verify/errors.js';

/** Our documented code for "verification failed on every server that could answer". */
export const VERIFICATION_FAILED_RPC_CODE = -32040;

export type MethodErrorCode =
  | 'INVALID_PARAMS'
  | 'METHOD_NOT_FOUND'
  | 'LIMIT_EXCEEDED'
  | 'BLOCK_NOT_FOUND'
  | 'NOT_CANONICAL'
  | 'TX_REJECTED'
  | 'EXECUTION_TIMEOUT'
  | 'EXECUTION_REVERTED';

/** An error of the methods layer; `rpcData` goes to the JSON-RPC error's `data`. */
export class MethodError extends LespError {
  declare readonly code: MethodErrorCode;
  readonly rpcData: unknown;

  constructor(code: MethodErrorCode, message: string, options: { field?: string; data?: unknown; cause?: unknown } = {}) {
    super(code, message, { field: options.field, cause: options.cause });
    this.rpcData = options.data;
  }
}

/** A parameter is malformed; `field` is its name (e.g. `address`, `filter.topics[1]`). */
export class InvalidParamsError extends MethodError {
  constructor(field: string, detail: string) {
    super('INVALID_PARAMS', `invalid argument ${field}: ${detail}`, { field });
  }
}

export class MethodNotFoundError extends MethodError {
  constructor(method: string) {
    super('METHOD_NOT_FOUND', `the method ${method} does not exist/is not available`, { field: 'method' });
  }
}

/** For the CallHandler: a reverted call (code 3, data = the revert bytes as 0x-hex). */
export class ExecutionRevertedError extends MethodError {
  constructor(revertData: string, reason?: string) {
    super('EXECUTION_REVERTED', reason === undefined || reason === '' ? 'execution reverted' : `execution reverted: ${reason}`, { data: revertData });
  }
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export type ErrorSurface = 'proxy' | 'eip1193';

interface Mapping {
  proxy: number;
  eip1193: number;
  /** Replaces the error's own message (hides internals such as a server id). */
  message?: string;
}

/** LespError code → JSON-RPC codes. The one place DESIGN §7 is applied. */
export const RPC_ERROR_TABLE: Readonly<Record<string, Mapping>> = {
  INVALID_PARAMS: { proxy: -32602, eip1193: -32602 },
  METHOD_NOT_FOUND: { proxy: -32601, eip1193: 4200 },
  LIMIT_EXCEEDED: { proxy: -32005, eip1193: -32005 },
  BLOCK_NOT_FOUND: { proxy: -32000, eip1193: -32000 },
  NOT_CANONICAL: { proxy: -32000, eip1193: -32000 },
  TX_REJECTED: { proxy: -32000, eip1193: -32000 },
  EXECUTION_TIMEOUT: { proxy: -32000, eip1193: -32000 },
  EXECUTION_REVERTED: { proxy: 3, eip1193: 3 },
  // Scheduler / ODR / chain codes.
  NO_SERVER: { proxy: -32002, eip1193: 4900, message: 'no LES server connected that can answer' },
  // The client could not start: its message names each server's reason (the caller's own config).
  START_TIMEOUT: { proxy: -32002, eip1193: 4900 },
  NO_USABLE_SERVER: { proxy: -32002, eip1193: 4900 },
  NOT_SERVED: { proxy: -32000, eip1193: -32000, message: "no connected LES server serves this data (outside the servers' windows)" },
  SCHEDULER_CLOSED: { proxy: -32002, eip1193: 4900, message: 'the provider is closed' },
  NOT_RELAYED: { proxy: -32002, eip1193: 4900, message: 'no LES server took the transaction' },
  TIMEOUT: { proxy: -32002, eip1193: -32002, message: 'no verified answer in time' },
  VERIFICATION_FAILED: { proxy: VERIFICATION_FAILED_RPC_CODE, eip1193: VERIFICATION_FAILED_RPC_CODE, message: 'verification failed on every server that could answer' },
  BAD_INCLUSION: { proxy: VERIFICATION_FAILED_RPC_CODE, eip1193: VERIFICATION_FAILED_RPC_CODE, message: 'verification failed on every server that could answer' },
  NOT_AVAILABLE: { proxy: -32000, eip1193: -32000, message: 'header not found' },
  // A subscription that ended rather than skip (client/subscriptions): its own message says why.
  GAP_TOO_LARGE: { proxy: -32000, eip1193: -32000 },
  REORG_TOO_DEEP: { proxy: -32000, eip1193: -32000 },
  HEADER_UNAVAILABLE: { proxy: -32000, eip1193: -32000 },
  LOGS_UNAVAILABLE: { proxy: -32000, eip1193: -32000 },
  QUEUE_OVERFLOW: { proxy: -32000, eip1193: -32000 },
  // Polled filters (client/subscriptions/filters.ts).
  FILTER_NOT_FOUND: { proxy: -32000, eip1193: -32000, message: 'filter not found' },
  FILTER_LIMIT: { proxy: -32005, eip1193: -32005 },
};

const INTERNAL: Mapping = { proxy: -32603, eip1193: -32603, message: 'internal error' };

/** The JSON-RPC error object for any thrown value. */
export function toRpcError(err: unknown, surface: ErrorSurface = 'proxy'): RpcErrorObject {
  if (err instanceof VerificationError) {
    const m = RPC_ERROR_TABLE.VERIFICATION_FAILED as Mapping;
    return { code: m[surface], message: m.message as string, data: { code: 'VERIFICATION_FAILED', field: err.field } };
  }
  if (err instanceof LespError) {
    const m = RPC_ERROR_TABLE[err.code] ?? INTERNAL;
    const out: RpcErrorObject = { code: m[surface], message: m.message ?? err.message };
    if (err instanceof MethodError && err.rpcData !== undefined) out.data = err.rpcData;
    else if (m !== INTERNAL) out.data = { code: err.code, ...(err.field === undefined ? {} : { field: err.field }) };
    return out;
  }
  return { code: INTERNAL[surface], message: INTERNAL.message as string };
}
