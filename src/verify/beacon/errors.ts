import { LespError } from '../../errors.js';

/**
 * Why beacon light-client data was refused. Every code means "do not use this datum": the anchor
 * drops it and scores its source down. Names follow the consensus spec's asserts.
 */
export type BeaconErrorCode =
  /** SSZ or beacon-API JSON that does not decode to the expected container. */
  | 'BAD_ENCODING'
  /** A fork this light client has no containers for (before Capella there is no execution header). */
  | 'UNSUPPORTED_FORK'
  /** The bootstrap's header is not the trusted checkpoint block root. */
  | 'ROOT_MISMATCH'
  /** A Merkle branch (execution, finality, sync committee) does not lead to the root it must. */
  | 'BAD_BRANCH'
  /** Fewer sync-committee members signed than required. */
  | 'TOO_FEW_SIGNERS'
  /** The aggregate signature does not verify with the participants' keys, the domain and the attested header. */
  | 'BAD_SIGNATURE'
  /** Slots out of order: current ≥ signature > attested ≥ finalized does not hold. */
  | 'BAD_SLOT'
  /** The update is signed in a sync-committee period the store cannot verify (skips a period). */
  | 'WRONG_PERIOD'
  /** The update tells the store nothing new (not newer than its finalized header, no new committee). */
  | 'NOT_RELEVANT'
  /** A field that must be empty (the default container) is not, or one that must match the store does not. */
  | 'FIELD_MISMATCH'
  /** The trusted checkpoint is older than beacon nodes keep light-client data for: it cannot be synced from. */
  | 'CHECKPOINT_TOO_OLD';

export class BeaconError extends LespError {
  declare readonly code: BeaconErrorCode;

  constructor(code: BeaconErrorCode, field: string, detail: string, options: { cause?: unknown } = {}) {
    super(code, `${field}: ${detail}`, { field, cause: options.cause });
  }
}
