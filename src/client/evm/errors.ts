/**
 * Errors of the local EVM. A reverted call is the methods layer's ExecutionRevertedError (code 3,
 * data = revert bytes); a call that cannot run or fails without reverting (out of gas, invalid
 * opcode, too little balance for gas × price + value, intrinsic gas above the limit) is
 * CallFailedError — -32000 with geth's words, as geth and anvil answer; EvmError is what goes
 * wrong in the EVM machinery itself.
 */
import { LespError } from '../../errors.js';
import { MethodError } from '../methods/errors.js';

export type EvmErrorCode =
  /** @ethereumjs/evm or its 10.x util/common could not be loaded. */
  | 'EVM_UNAVAILABLE'
  /** The network's hardfork is unknown to the EVM. */
  | 'BAD_HARDFORK'
  /** A call needed more rounds of state fetching than allowed (`maxStateRounds`). */
  | 'STATE_ROUNDS_EXCEEDED'
  /** The caller's AbortSignal fired while the call ran (the EVM stopped). */
  | 'ABORTED';

export class EvmError extends LespError {
  declare readonly code: EvmErrorCode;

  constructor(code: EvmErrorCode, field: string, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { field, cause: options.cause });
  }
}

/**
 * The call did not revert but failed or could not start. Mapped to -32000 (the methods table's
 * TX_REJECTED row) with the message as geth words it, e.g. "out of gas",
 * "insufficient funds for gas * price + value", "gas required exceeds allowance (30000000)".
 */
export class CallFailedError extends MethodError {
  constructor(message: string, field?: string) {
    super('TX_REJECTED', message, field === undefined ? {} : { field });
  }
}

/** A duration as go-ethereum prints one (time.Duration): 5s, 1.5s, 500ms. */
function goDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/**
 * The request ran past the EVM time limit (`evmTimeoutMs`, geth's --rpc.evmtimeout): -32000 with
 * geth's words, "execution aborted (timeout = 5s)"; data.code EXECUTION_TIMEOUT.
 */
export class CallTimeoutError extends MethodError {
  constructor(readonly timeoutMs: number) {
    super('EXECUTION_TIMEOUT', `execution aborted (timeout = ${goDuration(timeoutMs)})`, { field: 'evmTimeoutMs' });
  }
}

/** The caller's AbortSignal fired; `cause` is the signal's reason. */
export class CallAbortedError extends EvmError {
  constructor(reason: unknown) {
    super('ABORTED', 'signal', 'the call was aborted by its caller', { cause: reason });
  }
}
