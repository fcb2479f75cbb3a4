/**
 * The client's eth_* methods: one table that the LesProvider, the EIP-1193 object and the
 * JSON-RPC proxy all dispatch to. Every answer is built only from Odr / HeaderChainView answers,
 * so each is verified (DESIGN §5). Errors map to JSON-RPC codes through `toRpcError` (errors.ts).
 */
import { blockMethods } from './blocks.js';
import type { MethodDeps } from './context.js';
import { feeMethods } from './fees.js';
import { filterMethods } from './filters.js';
import { logMethods } from './logs.js';
import { miscMethods } from './misc.js';
import { stateMethods } from './state.js';
import { type MethodSpec, type Methods, buildMethods } from './table.js';
import { transactionMethods } from './transactions.js';

/** Every method, in one declarative list. */
export const METHOD_SPECS: readonly MethodSpec[] = [
  ...miscMethods,
  ...stateMethods,
  ...blockMethods,
  ...transactionMethods,
  ...logMethods,
  ...filterMethods,
  ...feeMethods,
];

export function createMethods(deps: MethodDeps): Methods {
  return buildMethods(deps, METHOD_SPECS);
}

export type { CallHandler, MethodContext, MethodDeps, MethodsConfig, MethodsOdr, StateProof } from './context.js';
export type { MethodSpec, Methods } from './table.js';
export {
  type ErrorSurface,
  type MethodErrorCode,
  type RpcErrorObject,
  ExecutionRevertedError,
  InvalidParamsError,
  MethodError,
  MethodNotFoundError,
  RPC_ERROR_TABLE,
  VERIFICATION_FAILED_RPC_CODE,
  toRpcError,
} from './errors.js';
export { formatHeader } from './block-format.js';
export { formatLog } from './receipt-format.js';
