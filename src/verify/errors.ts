import { LespError } from '../errors.js';

/**
 * Why data was refused. Every code means "do not use this answer"; a client scores the server down
 * and asks another one.
 */
export type VerificationErrorCode =
  /** A hash of the data differs from the trusted one (header, code, CHT header). */
  | 'HASH_MISMATCH'
  /** A trie root built from the data differs from the header's root. */
  | 'ROOT_MISMATCH'
  /** A Merkle proof is missing a node, walks a malformed node, or proves the wrong thing. */
  | 'BAD_PROOF'
  /** A proof set carries a node that no requested key needed (or a duplicate). */
  | 'UNUSED_PROOF_NODES'
  /** Bytes that do not decode to the expected shape (RLP, lengths, canonical integers). */
  | 'BAD_ENCODING'
  /** A signature that is malformed, does not recover, or is by the wrong key. */
  | 'BAD_SIGNATURE'
  /** Fewer distinct trusted signers than the threshold. */
  | 'THRESHOLD_NOT_MET'
  /** A field that must equal a requested value does not (e.g. a CHT header's number). */
  | 'FIELD_MISMATCH';

/** The one error `src/verify` throws: names the datum at fault (`field`, e.g. `header.stateRoot`). */
export class VerificationError extends LespError {
  declare readonly code: VerificationErrorCode;

  constructor(code: VerificationErrorCode, field: string, detail: string, options: { cause?: unknown } = {}) {
    super(code, `${field}: ${detail}`, { field, cause: options.cause });
  }
}

/**
 * A proof walk reached a node the answer does not carry. Still BAD_PROOF for a caller that needs
 * the key proven; a batch reader tells it apart from a wrong node, since a server that stops part
 * way through a batch leaves its tail unproven without lying.
 */
export class MissingNodeError extends VerificationError {
  constructor(field: string, detail: string) {
    super('BAD_PROOF', field, detail);
  }
}
