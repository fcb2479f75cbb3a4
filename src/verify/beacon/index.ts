// The beacon chain's light-client sync protocol, pure: containers by preset and fork, Merkle
// branches, the sync committee's signature, the spec's store and update processing.
export {
  type BeaconConfig,
  type BeaconFork,
  type BeaconPreset,
  FORK_ORDER,
  type ForkName,
  MAINNET_BEACON_CONFIG,
  SEPOLIA_BEACON_CONFIG,
  HOLESKY_BEACON_CONFIG,
  HOODI_BEACON_CONFIG,
  BEACON_CONFIGS,
  MAINNET_PRESET,
  MINIMAL_PRESET,
  beaconConfig,
  epochAtSlot,
  forkAtEpoch,
  forkAtLeast,
  forkAtSlot,
  periodAtSlot,
  slotsPerPeriod,
} from './config.js';
export { BeaconError, type BeaconErrorCode } from './errors.js';
export { fromBeaconJson, toBeaconJson } from './api-json.js';
export { type LightClientKind, type LightClientValues, decodeLightClient, encodeLightClient, lightClientType } from './decode.js';
export { assertValidHeader, beaconRoot, executionRoot } from './header.js';
export {
  type BeaconHead,
  type Committee,
  LightClientStore,
  type LightClientOptions,
  MIN_SYNC_COMMITTEE_PARTICIPANTS,
  beaconHead,
  isBetterUpdate,
} from './light-client.js';
export { isValidMerkleBranch, isValidNormalizedMerkleBranch } from './merkle.js';
export { CommitteeKeys, DOMAIN_SYNC_COMMITTEE, computeDomain, computeForkDigest, computeSigningRoot, fastAggregateVerify } from './signing.js';
export type {
  BeaconBlockHeader,
  ExecutionPayloadHeader,
  LightClientBootstrap,
  LightClientFinalityUpdate,
  LightClientForm,
  LightClientHeader,
  LightClientOptimisticUpdate,
  LightClientUpdate,
  SyncAggregate,
  SyncCommittee,
} from './types.js';
export { lightClientForm, presetTypes } from './types.js';
