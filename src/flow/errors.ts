import { LespError } from '../errors.js';

/**
 * Why the flow-control arithmetic refused an input. These are caller bugs or a peer's nonsense
 * (a code missing from its MRC table, a reqID used twice), never a flow-control breach: breaches
 * are ordinary results (`canSend` false, `accept` rejected).
 */
export type FlowErrorCode =
  | 'UNKNOWN_CODE'
  | 'INVALID_NUMBER'
  | 'DUPLICATE_REQID'
  | 'UNKNOWN_REQID'
  | 'STOPPED'
  | 'CLOCK_BACKWARDS';

export class FlowError extends LespError {
  constructor(code: FlowErrorCode, field: string, detail: string) {
    super(code, `flow control: ${field}: ${detail}`, { field });
  }
}

/** A cost, BL, BV or MRR: finite and not negative (fractions allowed, the wire floors them). */
export function checkAmount(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new FlowError('INVALID_NUMBER', field, `${value} is not a finite non-negative number`);
  }
  return value;
}

/** An item count: a non-negative safe integer. */
export function checkCount(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new FlowError('INVALID_NUMBER', field, `${value} is not a non-negative integer`);
  }
  return value;
}
