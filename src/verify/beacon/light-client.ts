/**
 * The light-client store of the consensus spec's sync protocol (Altair, with the Capella
 * execution header and Electra's gindices): initialize from a bootstrap, validate and process
 * updates, finality and optimistic updates, force an update after UPDATE_TIMEOUT. The function
 * bodies follow the spec's order so they can be read side by side; asserts become BeaconErrors.
 * Pure: the caller supplies the current slot.
 */
import { equalBytes } from '../../bytes.js';
import { type BeaconConfig, epochAtSlot, forkAtEpoch, forkAtLeast, forkAtSlot, periodAtSlot, slotsPerPeriod } from './config.js';
import { BeaconError } from './errors.js';
import { assertValidHeader, beaconRoot, defaultHeader, executionRoot, isDefaultHeader } from './header.js';
import { isValidNormalizedMerkleBranch, isZero, isZeroBranch } from './merkle.js';
import { CommitteeKeys, DOMAIN_SYNC_COMMITTEE, computeDomain, computeSigningRoot, fastAggregateVerify } from './signing.js';
import {
  CURRENT_SYNC_COMMITTEE_GINDEX,
  CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA,
  FINALIZED_ROOT_GINDEX,
  FINALIZED_ROOT_GINDEX_ELECTRA,
  type LightClientBootstrap,
  type LightClientFinalityUpdate,
  type LightClientHeader,
  type LightClientOptimisticUpdate,
  type LightClientUpdate,
  NEXT_SYNC_COMMITTEE_GINDEX,
  NEXT_SYNC_COMMITTEE_GINDEX_ELECTRA,
  type SyncCommittee,
  floorlog2,
  presetTypes,
} from './types.js';

export const MIN_SYNC_COMMITTEE_PARTICIPANTS = 1;

/** A sync committee with its root and its (lazily decompressed) keys. */
export interface Committee {
  readonly value: SyncCommittee;
  readonly root: Uint8Array;
  readonly keys: CommitteeKeys;
}

export interface LightClientOptions {
  /**
   * Refuse updates signed by fewer members than this (TOO_FEW_SIGNERS). The spec's minimum is 1;
   * a client that wants the supermajority assumption for every head it adopts asks for 2/3.
   */
  readonly minParticipants?: number;
}

/** What the store says about one header: slot, beacon block root, and the execution block it commits to. */
export interface BeaconHead {
  readonly slot: number;
  readonly beaconRoot: Uint8Array;
  readonly blockHash: Uint8Array;
  readonly blockNumber: number;
  readonly executionRoot: Uint8Array;
}

const electraAt = (config: BeaconConfig, slot: bigint): boolean => forkAtLeast(forkAtSlot(config, slot).name, 'electra');
const finalizedRootGindexAtSlot = (c: BeaconConfig, slot: bigint) => (electraAt(c, slot) ? FINALIZED_ROOT_GINDEX_ELECTRA : FINALIZED_ROOT_GINDEX);
const currentSyncCommitteeGindexAtSlot = (c: BeaconConfig, slot: bigint) =>
  electraAt(c, slot) ? CURRENT_SYNC_COMMITTEE_GINDEX_ELECTRA : CURRENT_SYNC_COMMITTEE_GINDEX;
const nextSyncCommitteeGindexAtSlot = (c: BeaconConfig, slot: bigint) => (electraAt(c, slot) ? NEXT_SYNC_COMMITTEE_GINDEX_ELECTRA : NEXT_SYNC_COMMITTEE_GINDEX);

const countBits = (bits: readonly boolean[]): number => bits.reduce((n, b) => (b ? n + 1 : n), 0);
const isSyncCommitteeUpdate = (u: LightClientUpdate): boolean => !isZeroBranch(u.next_sync_committee_branch);
const isFinalityUpdate = (u: LightClientUpdate): boolean => !isZeroBranch(u.finality_branch);
const isDefaultCommittee = (c: SyncCommittee): boolean => isZero(c.aggregate_pubkey) && c.pubkeys.every(isZero);

function toNumber(v: bigint, field: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new BeaconError('BAD_ENCODING', field, `${v} is too large`);
  return Number(v);
}

/** The BeaconHead of a verified header. */
export function beaconHead(config: BeaconConfig, header: LightClientHeader): BeaconHead {
  return {
    slot: toNumber(header.beacon.slot, 'beacon.slot'),
    beaconRoot: beaconRoot(header),
    blockHash: header.execution.block_hash,
    blockNumber: toNumber(header.execution.block_number, 'execution.block_number'),
    executionRoot: executionRoot(config, header),
  };
}

/** is_better_update: which of two valid updates the store keeps for a forced update. */
export function isBetterUpdate(config: BeaconConfig, newUpdate: LightClientUpdate, oldUpdate: LightClientUpdate): boolean {
  const max = newUpdate.sync_aggregate.sync_committee_bits.length;
  const newActive = countBits(newUpdate.sync_aggregate.sync_committee_bits);
  const oldActive = countBits(oldUpdate.sync_aggregate.sync_committee_bits);
  const newSuper = newActive * 3 >= max * 2;
  const oldSuper = oldActive * 3 >= max * 2;
  if (newSuper !== oldSuper) return newSuper;
  if (!newSuper && newActive !== oldActive) return newActive > oldActive;

  const relevant = (u: LightClientUpdate) =>
    isSyncCommitteeUpdate(u) && periodAtSlot(config, u.attested_header.beacon.slot) === periodAtSlot(config, u.signature_slot);
  const newRelevant = relevant(newUpdate);
  if (newRelevant !== relevant(oldUpdate)) return newRelevant;

  const newFinality = isFinalityUpdate(newUpdate);
  if (newFinality !== isFinalityUpdate(oldUpdate)) return newFinality;

  if (newFinality) {
    const committeeFinality = (u: LightClientUpdate) =>
      periodAtSlot(config, u.finalized_header.beacon.slot) === periodAtSlot(config, u.attested_header.beacon.slot);
    const n = committeeFinality(newUpdate);
    if (n !== committeeFinality(oldUpdate)) return n;
  }

  if (newActive !== oldActive) return newActive > oldActive;
  if (newUpdate.attested_header.beacon.slot !== oldUpdate.attested_header.beacon.slot) {
    return newUpdate.attested_header.beacon.slot < oldUpdate.attested_header.beacon.slot;
  }
  return newUpdate.signature_slot < oldUpdate.signature_slot;
}

export class LightClientStore {
  readonly config: BeaconConfig;
  readonly minParticipants: number;
  finalizedHeader: LightClientHeader;
  currentSyncCommittee: Committee;
  /** Unknown (the spec's default SyncCommittee()) until an update supplies it. */
  nextSyncCommittee: Committee | undefined;
  bestValidUpdate: { update: LightClientUpdate; next: Committee | undefined } | undefined;
  optimisticHeader: LightClientHeader;
  previousMaxActiveParticipants = 0;
  currentMaxActiveParticipants = 0;

  private constructor(config: BeaconConfig, header: LightClientHeader, current: Committee, options: LightClientOptions) {
    this.config = config;
    this.minParticipants = Math.max(MIN_SYNC_COMMITTEE_PARTICIPANTS, Math.ceil(options.minParticipants ?? MIN_SYNC_COMMITTEE_PARTICIPANTS));
    this.finalizedHeader = header;
    this.optimisticHeader = header;
    this.currentSyncCommittee = current;
  }

  /** initialize_light_client_store: the bootstrap must be the trusted block and prove its committee. */
  static initialize(config: BeaconConfig, trustedBlockRoot: Uint8Array, bootstrap: LightClientBootstrap, options: LightClientOptions = {}): LightClientStore {
    assertValidHeader(config, bootstrap.header, 'header');
    if (!equalBytes(beaconRoot(bootstrap.header), trustedBlockRoot)) {
      throw new BeaconError('ROOT_MISMATCH', 'header.beacon', 'the bootstrap is not the trusted block root');
    }
    const current = committee(config, bootstrap.current_sync_committee);
    if (
      !isValidNormalizedMerkleBranch(
        current.root,
        bootstrap.current_sync_committee_branch,
        currentSyncCommitteeGindexAtSlot(config, bootstrap.header.beacon.slot),
        bootstrap.header.beacon.state_root,
      )
    ) {
      throw new BeaconError('BAD_BRANCH', 'current_sync_committee_branch', 'the committee is not in the state of the trusted block');
    }
    return new LightClientStore(config, bootstrap.header, current, options);
  }

  get finalized(): BeaconHead {
    return beaconHead(this.config, this.finalizedHeader);
  }

  get optimistic(): BeaconHead {
    return beaconHead(this.config, this.optimisticHeader);
  }

  /** get_safety_threshold */
  get safetyThreshold(): number {
    return Math.floor(Math.max(this.previousMaxActiveParticipants, this.currentMaxActiveParticipants) / 2);
  }

  get storePeriod(): bigint {
    return periodAtSlot(this.config, this.finalizedHeader.beacon.slot);
  }

  /** validate_light_client_update; returns the update's next committee when it carries one. */
  validateUpdate(update: LightClientUpdate, currentSlot: bigint): Committee | undefined {
    const config = this.config;
    const bits = update.sync_aggregate.sync_committee_bits;
    if (bits.length !== config.preset.SYNC_COMMITTEE_SIZE) {
      throw new BeaconError('BAD_ENCODING', 'sync_aggregate.sync_committee_bits', `${bits.length} bits for a committee of ${config.preset.SYNC_COMMITTEE_SIZE}`);
    }
    const participants = countBits(bits);
    if (participants < this.minParticipants) {
      throw new BeaconError('TOO_FEW_SIGNERS', 'sync_aggregate.sync_committee_bits', `${participants} of ${bits.length} signed, ${this.minParticipants} needed`);
    }
    assertValidHeader(config, update.attested_header, 'attested_header');
    const attestedSlot = update.attested_header.beacon.slot;
    const finalizedSlot = update.finalized_header.beacon.slot;
    if (!(currentSlot >= update.signature_slot && update.signature_slot > attestedSlot && attestedSlot >= finalizedSlot)) {
      throw new BeaconError(
        'BAD_SLOT',
        'signature_slot',
        `need current ${currentSlot} ≥ signature ${update.signature_slot} > attested ${attestedSlot} ≥ finalized ${finalizedSlot}`,
      );
    }
    const storePeriod = this.storePeriod;
    const signaturePeriod = periodAtSlot(config, update.signature_slot);
    const nextKnown = this.nextSyncCommittee !== undefined;
    if (nextKnown ? signaturePeriod !== storePeriod && signaturePeriod !== storePeriod + 1n : signaturePeriod !== storePeriod) {
      throw new BeaconError('WRONG_PERIOD', 'signature_slot', `signed in period ${signaturePeriod}, the store is in ${storePeriod}${nextKnown ? ' (next committee known)' : ''}`);
    }

    const attestedPeriod = periodAtSlot(config, attestedSlot);
    const hasNextSyncCommittee = !nextKnown && isSyncCommitteeUpdate(update) && attestedPeriod === storePeriod;
    if (!(attestedSlot > this.finalizedHeader.beacon.slot || hasNextSyncCommittee)) {
      throw new BeaconError('NOT_RELEVANT', 'attested_header.beacon.slot', `slot ${attestedSlot} is not after the finalized ${this.finalizedHeader.beacon.slot}`);
    }

    if (!isFinalityUpdate(update)) {
      if (!isDefaultHeader(update.finalized_header)) throw new BeaconError('FIELD_MISMATCH', 'finalized_header', 'must be empty without a finality branch');
    } else {
      let finalizedRoot: Uint8Array;
      if (finalizedSlot === 0n) {
        if (!isDefaultHeader(update.finalized_header)) throw new BeaconError('FIELD_MISMATCH', 'finalized_header', 'the genesis checkpoint is an empty header');
        finalizedRoot = new Uint8Array(32);
      } else {
        assertValidHeader(config, update.finalized_header, 'finalized_header');
        finalizedRoot = beaconRoot(update.finalized_header);
      }
      if (!isValidNormalizedMerkleBranch(finalizedRoot, update.finality_branch, finalizedRootGindexAtSlot(config, attestedSlot), update.attested_header.beacon.state_root)) {
        throw new BeaconError('BAD_BRANCH', 'finality_branch', 'the finalized header is not the attested state\'s finalized checkpoint');
      }
    }

    let next: Committee | undefined;
    if (!isSyncCommitteeUpdate(update)) {
      if (!isDefaultCommittee(update.next_sync_committee)) throw new BeaconError('FIELD_MISMATCH', 'next_sync_committee', 'must be empty without a committee branch');
    } else {
      next = committee(config, update.next_sync_committee);
      if (this.nextSyncCommittee !== undefined && equalBytes(next.root, this.nextSyncCommittee.root)) next = this.nextSyncCommittee;
      if (attestedPeriod === storePeriod && nextKnown && next !== this.nextSyncCommittee) {
        throw new BeaconError('FIELD_MISMATCH', 'next_sync_committee', 'differs from the next committee the store holds');
      }
      if (!isValidNormalizedMerkleBranch(next.root, update.next_sync_committee_branch, nextSyncCommitteeGindexAtSlot(config, attestedSlot), update.attested_header.beacon.state_root)) {
        throw new BeaconError('BAD_BRANCH', 'next_sync_committee_branch', 'the committee is not in the attested state');
      }
    }

    const signers = signaturePeriod === storePeriod ? this.currentSyncCommittee : (this.nextSyncCommittee as Committee);
    const forkVersionSlot = (update.signature_slot > 1n ? update.signature_slot : 1n) - 1n;
    const forkVersion = forkAtEpoch(config, epochAtSlot(config, forkVersionSlot)).version;
    const domain = computeDomain(DOMAIN_SYNC_COMMITTEE, forkVersion, config.genesisValidatorsRoot);
    const signingRoot = computeSigningRoot(beaconRoot(update.attested_header), domain);
    if (!fastAggregateVerify(signers.keys, bits, signingRoot, update.sync_aggregate.sync_committee_signature)) {
      throw new BeaconError('BAD_SIGNATURE', 'sync_aggregate.sync_committee_signature', `not the committee's signature of the attested header (${participants} signers)`);
    }
    return next;
  }

  /** process_light_client_update */
  processUpdate(update: LightClientUpdate, currentSlot: bigint): void {
    const next = this.validateUpdate(update, currentSlot);
    const bits = update.sync_aggregate.sync_committee_bits;
    const participants = countBits(bits);
    if (this.bestValidUpdate === undefined || isBetterUpdate(this.config, update, this.bestValidUpdate.update)) {
      this.bestValidUpdate = { update, next };
    }
    this.currentMaxActiveParticipants = Math.max(this.currentMaxActiveParticipants, participants);
    if (participants > this.safetyThreshold && update.attested_header.beacon.slot > this.optimisticHeader.beacon.slot) {
      this.optimisticHeader = update.attested_header;
    }
    const hasFinalizedNextSyncCommittee =
      this.nextSyncCommittee === undefined &&
      isSyncCommitteeUpdate(update) &&
      isFinalityUpdate(update) &&
      periodAtSlot(this.config, update.finalized_header.beacon.slot) === periodAtSlot(this.config, update.attested_header.beacon.slot);
    if (participants * 3 >= bits.length * 2 && (update.finalized_header.beacon.slot > this.finalizedHeader.beacon.slot || hasFinalizedNextSyncCommittee)) {
      this.applyUpdate(update, next);
      this.bestValidUpdate = undefined;
    }
  }

  /** process_light_client_finality_update */
  processFinalityUpdate(update: LightClientFinalityUpdate, currentSlot: bigint): void {
    this.processUpdate(
      {
        attested_header: update.attested_header,
        next_sync_committee: this.#defaultCommittee(),
        next_sync_committee_branch: this.#zeroBranch(nextSyncCommitteeGindexAtSlot(this.config, update.attested_header.beacon.slot)),
        finalized_header: update.finalized_header,
        finality_branch: update.finality_branch,
        sync_aggregate: update.sync_aggregate,
        signature_slot: update.signature_slot,
      },
      currentSlot,
    );
  }

  /** process_light_client_optimistic_update */
  processOptimisticUpdate(update: LightClientOptimisticUpdate, currentSlot: bigint): void {
    const slot = update.attested_header.beacon.slot;
    this.processUpdate(
      {
        attested_header: update.attested_header,
        next_sync_committee: this.#defaultCommittee(),
        next_sync_committee_branch: this.#zeroBranch(nextSyncCommitteeGindexAtSlot(this.config, slot)),
        finalized_header: defaultHeader(),
        finality_branch: this.#zeroBranch(finalizedRootGindexAtSlot(this.config, slot)),
        sync_aggregate: update.sync_aggregate,
        signature_slot: update.signature_slot,
      },
      currentSlot,
    );
  }

  /** process_light_client_store_force_update: after UPDATE_TIMEOUT without finality, take the best update seen. */
  forceUpdate(currentSlot: bigint): void {
    const best = this.bestValidUpdate;
    if (currentSlot > this.finalizedHeader.beacon.slot + slotsPerPeriod(this.config.preset) && best !== undefined) {
      let update = best.update;
      if (update.finalized_header.beacon.slot <= this.finalizedHeader.beacon.slot) update = { ...update, finalized_header: update.attested_header };
      this.applyUpdate(update, best.next);
      this.bestValidUpdate = undefined;
    }
  }

  /** apply_light_client_update */
  private applyUpdate(update: LightClientUpdate, next: Committee | undefined): void {
    const storePeriod = this.storePeriod;
    const finalizedPeriod = periodAtSlot(this.config, update.finalized_header.beacon.slot);
    if (this.nextSyncCommittee === undefined) {
      if (finalizedPeriod !== storePeriod) {
        throw new BeaconError('WRONG_PERIOD', 'finalized_header.beacon.slot', `finalized in period ${finalizedPeriod} while the next committee of ${storePeriod} is unknown`);
      }
      this.nextSyncCommittee = next;
    } else if (finalizedPeriod === storePeriod + 1n) {
      this.currentSyncCommittee = this.nextSyncCommittee;
      this.nextSyncCommittee = next;
      this.previousMaxActiveParticipants = this.currentMaxActiveParticipants;
      this.currentMaxActiveParticipants = 0;
    }
    if (update.finalized_header.beacon.slot > this.finalizedHeader.beacon.slot) {
      this.finalizedHeader = update.finalized_header;
      if (this.finalizedHeader.beacon.slot > this.optimisticHeader.beacon.slot) this.optimisticHeader = this.finalizedHeader;
    }
  }

  #defaultCommittee(): SyncCommittee {
    return {
      pubkeys: Array.from({ length: this.config.preset.SYNC_COMMITTEE_SIZE }, () => new Uint8Array(48)),
      aggregate_pubkey: new Uint8Array(48),
    };
  }

  #zeroBranch(gindex: number): Uint8Array[] {
    return Array.from({ length: floorlog2(gindex) }, () => new Uint8Array(32));
  }
}

function committee(config: BeaconConfig, value: SyncCommittee): Committee {
  return { value, root: presetTypes(config.preset).SyncCommittee.merkleRoot(value), keys: new CommitteeKeys(value.pubkeys) };
}
