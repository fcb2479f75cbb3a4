import { LespError } from '../../errors.js';

/**
 * Why the server's state copy could not do something:
 * - STATE_MISSING_NODE: a trie node reachable from a root is not in the store (unknown or pruned root);
 * - STATE_BAD_NODE / STATE_CORRUPT_RECORD: stored bytes that do not decode (a damaged store);
 * - STATE_BAD_KEY: a proof request key of the wrong length;
 * - STATE_BAD_DUMP / STATE_BAD_ALLOC / STATE_BAD_TRACE: node or file input that does not parse;
 * - STATE_DUMP_RACE: the chain kept moving while a dump was taken;
 * - STATE_UNKNOWN_PARENT: a block whose parent state is not held;
 * - STATE_NOT_FOUND: the node does not have a block asked for;
 * - STATE_WRONG_PROOF: the node answered a proof or code that does not check against the header.
 */
export type StateErrorCode =
  | 'STATE_MISSING_NODE'
  | 'STATE_BAD_NODE'
  | 'STATE_CORRUPT_RECORD'
  | 'STATE_BAD_KEY'
  | 'STATE_BAD_DUMP'
  | 'STATE_BAD_ALLOC'
  | 'STATE_BAD_TRACE'
  | 'STATE_DUMP_RACE'
  | 'STATE_UNKNOWN_PARENT'
  | 'STATE_NOT_FOUND'
  | 'STATE_WRONG_PROOF';

export class StateError extends LespError {
  constructor(code: StateErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/** A reader failure callback (see rpc/hex.ts) producing a StateError of this code. */
export function stateFail(code: StateErrorCode, what: string): (field: string, detail: string) => StateError {
  return (field, detail) => new StateError(code, `${what} ${field}: ${detail}`, { field });
}
