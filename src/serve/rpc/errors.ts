import { LespError } from '../../errors.js';

/**
 * How a call to the execution node failed:
 * - NODE_RPC_ERROR: the node answered with a JSON-RPC error (`rpcCode`, `data` carry it);
 * - NODE_UNREACHABLE: no HTTP answer (connection refused, reset, DNS);
 * - NODE_TIMEOUT: no answer within the call's timeout;
 * - NODE_HTTP_ERROR: an HTTP status other than 200 (`httpStatus`);
 * - NODE_BAD_RESPONSE: an answer that is not the JSON-RPC or the value shape asked for (`field`).
 */
export type NodeRpcErrorCode = 'NODE_RPC_ERROR' | 'NODE_UNREACHABLE' | 'NODE_TIMEOUT' | 'NODE_HTTP_ERROR' | 'NODE_BAD_RESPONSE';

export class NodeRpcError extends LespError {
  readonly method: string;
  /** The JSON-RPC error code, for NODE_RPC_ERROR. */
  readonly rpcCode: number | undefined;
  readonly data: unknown;
  readonly httpStatus: number | undefined;

  constructor(
    code: NodeRpcErrorCode,
    method: string,
    message: string,
    options: { field?: string; rpcCode?: number; data?: unknown; httpStatus?: number; cause?: unknown } = {},
  ) {
    super(code, `${method}: ${message}`, { field: options.field, cause: options.cause });
    this.method = method;
    this.rpcCode = options.rpcCode;
    this.data = options.data;
    this.httpStatus = options.httpStatus;
  }

  /** True when nothing reached the node or nothing came back: a read may be tried again. */
  get transient(): boolean {
    return (
      this.code === 'NODE_UNREACHABLE' ||
      this.code === 'NODE_TIMEOUT' ||
      (this.code === 'NODE_HTTP_ERROR' && (this.httpStatus === 429 || (this.httpStatus ?? 0) >= 500))
    );
  }
}

/** JSON-RPC's "method not found". */
export const METHOD_NOT_FOUND = -32601;

/**
 * Whether a node's error says it has no such method (as opposed to refusing these parameters):
 * -32601 by the spec, and the messages nodes use instead (Hardhat: -32004 "Method … is not
 * supported"; others: "does not exist/is not available", "unsupported method").
 */
export function isMissingMethod(e: unknown): boolean {
  if (!(e instanceof NodeRpcError) || e.code !== 'NODE_RPC_ERROR') return false;
  if (e.rpcCode === METHOD_NOT_FOUND) return true;
  return /method .*(not (supported|found|available|exist)|does not exist|unsupported)|unsupported method|no such method/i.test(e.message);
}

/**
 * Whether the node says it pruned this block's body and receipts (go-ethereum with
 * `--history.chain postmerge`, EIP-4444: code 4444, "pruned history unavailable"); its header is
 * still there (`eth_getHeaderByNumber`).
 */
export function isPrunedHistory(e: unknown): boolean {
  return e instanceof NodeRpcError && e.code === 'NODE_RPC_ERROR' && (e.rpcCode === 4444 || /pruned history unavailable/i.test(e.message));
}
