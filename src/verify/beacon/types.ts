/**
 * The light-client containers of the consensus spec (Capella, Deneb, Electra forms), built for a
 * preset: SYNC_COMMITTEE_SIZE sizes the committee vector and the participation bits, the fork sets
 * the branch depths (Electra's larger BeaconState moved the finality and committee gindices one
 * level down). SSZ coding and hash_tree_root are micro-eth-signer's (pure JS on noble hashes).
 */
import * as ssz from 'micro-eth-signer/ssz.js';
import { type BeaconPreset, type ForkName, forkAtLeast } from './config.js';
import { BeaconError } from './errors.js';

export interface BeaconBlockHeader {
  slot: bigint;
  proposer_index: bigint;
  parent_root: Uint8Array;
  state_root: Uint8Array;
  body_root: Uint8Array;
}

/** Deneb's ExecutionPayloadHeader (Electra and Fulu keep it); a Capella one is held with the blob fields 0. */
export interface ExecutionPayloadHeader {
  parent_hash: Uint8Array;
  fee_recipient: Uint8Array;
  state_root: Uint8Array;
  receipts_root: Uint8Array;
  logs_bloom: Uint8Array;
  prev_randao: Uint8Array;
  block_number: bigint;
  gas_limit: bigint;
  gas_used: bigint;
  timestamp: bigint;
  extra_data: Uint8Array;
  base_fee_per_gas: bigint;
  block_hash: Uint8Array;
  transactions_root: Uint8Array;
  withdrawals_root: Uint8Array;
  blob_gas_used: bigint;
  excess_blob_gas: bigint;
}

export interface LightClientHeader {
  beacon: BeaconBlockHeader;
  execution: ExecutionPayloadHeader;
  execution_branch: Uint8Array[];
}

export interface SyncCommittee {
  pubkeys: Uint8Array[];
  aggregate_pubkey: Uint8Array;
}

export interface SyncAggregate {
  sync_committee_bits: boolean[];
  sync_committee_signature: Uint8Array;
}

export interface LightClientBootstrap {
  header: LightClientHeader;
  current_sync_committee: SyncCommittee;
  current_sync_committee_branch: Uint8Array[];
}

export interface LightClientUpdate {
  attested_header: LightClientHeader;
  next_sync_committee: SyncCommittee;
  next_sync_committee_branch: Uint8Array[];
  finalized_header: LightClientHeader;
  finality_branch: Uint8Array[];
  sync_aggregate: SyncAggregate;
  signature_slot: bigint;
}

export interface LightClientFinalityUpdate {
  attested_header: LightClientHeader;
  finalized_header: LightClientHeader;
  finality_branch: Uint8Array[];
  sync_aggregate: SyncAggregate;
  signature_slot: bigint;
}

export interface LightClientOptimisticUpdate {
  attested_header: LightClientHeader;
  sync_aggregate: SyncAggregate;
  signature_slot: bigint;
}

/** The three SSZ forms of the light-client containers. */
export type LightClientForm = 'capella' | 'deneb' | 'electra';

/** The form a fork's light-client data is encoded in; none before Capella (no execution header to anchor). */
export function lightClientForm(fork: ForkName): LightClientForm {
  if (forkAtLeast(fork, 'electra')) return 'electra';
  if (forkAtLeast(fork, 'deneb')) return 'deneb';
  if (forkAtLeast(fork, 'capella')) return 'capella';
  throw new BeaconError('UNSUPPORTED_FORK', 'version', `${fork}: light-client data before capella carries no execution header`);
}

export const EXECUTION_PAYLOAD_GINDEX = 25;
export const FINALIZED_ROOT_GINDEX = 105;
export const CURRENT_SYNC_COMMITTEE_GINDEX = 54;
export const NEXT_SYNC_COMMITTEE_GINDEX = 55;
export const FINALIZED_ROOT_GINDEX_ELECTRA = 169;
export const CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA = 86;
export const NEXT_SYNC_COMMITTEE_GINDEX_ELECTRA = 87;

export const floorlog2 = (n: number): number => 31 - Math.clz32(n);

const B32 = ssz.bytevector(32);
const branch = (gindex: number) => ssz.vector(floorlog2(gindex), B32);

export const BeaconBlockHeaderType = ssz.container({
  slot: ssz.uint64,
  proposer_index: ssz.uint64,
  parent_root: B32,
  state_root: B32,
  body_root: B32,
});

const capellaExecutionFields = {
  parent_hash: B32,
  fee_recipient: ssz.bytevector(20),
  state_root: B32,
  receipts_root: B32,
  logs_bloom: ssz.bytevector(256),
  prev_randao: B32,
  block_number: ssz.uint64,
  gas_limit: ssz.uint64,
  gas_used: ssz.uint64,
  timestamp: ssz.uint64,
  extra_data: ssz.bytelist(32),
  base_fee_per_gas: ssz.uint256,
  block_hash: B32,
  transactions_root: B32,
  withdrawals_root: B32,
};
export const CapellaExecutionPayloadHeaderType = ssz.container(capellaExecutionFields);
export const DenebExecutionPayloadHeaderType = ssz.container({
  ...capellaExecutionFields,
  blob_gas_used: ssz.uint64,
  excess_blob_gas: ssz.uint64,
});

export const ForkDataType = ssz.container({ current_version: ssz.bytevector(4), genesis_validators_root: B32 });
export const SigningDataType = ssz.container({ object_root: B32, domain: B32 });

/**
 * The containers of one form, typed by the values they code. Named explicitly: the inferred type of
 * these nested containers is too large for the compiler to write into a declaration file. A Capella
 * form's headers code without the blob fields; decode.ts normalizes them to the Deneb shape.
 */
export interface FormTypes {
  readonly SyncCommittee: ssz.SSZCoder<SyncCommittee>;
  readonly SyncAggregate: ssz.SSZCoder<SyncAggregate>;
  readonly LightClientHeader: ssz.SSZCoder<LightClientHeader>;
  readonly LightClientBootstrap: ssz.SSZCoder<LightClientBootstrap>;
  readonly LightClientUpdate: ssz.SSZCoder<LightClientUpdate>;
  readonly LightClientFinalityUpdate: ssz.SSZCoder<LightClientFinalityUpdate>;
  readonly LightClientOptimisticUpdate: ssz.SSZCoder<LightClientOptimisticUpdate>;
}

function formTypes(size: number, form: LightClientForm): FormTypes {
  const electra = form === 'electra';
  const SyncCommittee = ssz.container({ pubkeys: ssz.vector(size, ssz.bytevector(48)), aggregate_pubkey: ssz.bytevector(48) });
  const SyncAggregate = ssz.container({ sync_committee_bits: ssz.bitvector(size), sync_committee_signature: ssz.bytevector(96) });
  const LightClientHeader = ssz.container({
    beacon: BeaconBlockHeaderType,
    execution: form === 'capella' ? CapellaExecutionPayloadHeaderType : DenebExecutionPayloadHeaderType,
    execution_branch: branch(EXECUTION_PAYLOAD_GINDEX),
  });
  const currentBranch = branch(electra ? CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA : CURRENT_SYNC_COMMITTEE_GINDEX);
  const nextBranch = branch(electra ? NEXT_SYNC_COMMITTEE_GINDEX_ELECTRA : NEXT_SYNC_COMMITTEE_GINDEX);
  const finalityBranch = branch(electra ? FINALIZED_ROOT_GINDEX_ELECTRA : FINALIZED_ROOT_GINDEX);
  const types = {
    SyncCommittee,
    SyncAggregate,
    LightClientHeader,
    LightClientBootstrap: ssz.container({
      header: LightClientHeader,
      current_sync_committee: SyncCommittee,
      current_sync_committee_branch: currentBranch,
    }),
    LightClientUpdate: ssz.container({
      attested_header: LightClientHeader,
      next_sync_committee: SyncCommittee,
      next_sync_committee_branch: nextBranch,
      finalized_header: LightClientHeader,
      finality_branch: finalityBranch,
      sync_aggregate: SyncAggregate,
      signature_slot: ssz.uint64,
    }),
    LightClientFinalityUpdate: ssz.container({
      attested_header: LightClientHeader,
      finalized_header: LightClientHeader,
      finality_branch: finalityBranch,
      sync_aggregate: SyncAggregate,
      signature_slot: ssz.uint64,
    }),
    LightClientOptimisticUpdate: ssz.container({
      attested_header: LightClientHeader,
      sync_aggregate: SyncAggregate,
      signature_slot: ssz.uint64,
    }),
  };
  return types as unknown as FormTypes;
}

/** The containers of one preset, by form; SyncCommittee and SyncAggregate are the same in every form. */
export interface PresetTypes {
  readonly SyncCommittee: FormTypes['SyncCommittee'];
  readonly SyncAggregate: FormTypes['SyncAggregate'];
  readonly forms: Readonly<Record<LightClientForm, FormTypes>>;
}

const cache = new Map<number, PresetTypes>();

export function presetTypes(preset: BeaconPreset): PresetTypes {
  const size = preset.SYNC_COMMITTEE_SIZE;
  let t = cache.get(size);
  if (t === undefined) {
    const deneb = formTypes(size, 'deneb');
    t = {
      SyncCommittee: deneb.SyncCommittee,
      SyncAggregate: deneb.SyncAggregate,
      forms: { capella: formTypes(size, 'capella'), deneb, electra: formTypes(size, 'electra') },
    };
    cache.set(size, t);
  }
  return t;
}
