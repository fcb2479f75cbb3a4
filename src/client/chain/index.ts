/** The trusted header chain: window, anchors, head agreement, sections, checkpoint oracle, persistence. */
export { DEFAULT_TRUSTED_FRACTION, HeadVotes, type QuorumOptions, TrustQuorum, type Vote, requiredVotes } from './agreement.js';
export { ChainError, type ChainErrorCode } from './errors.js';
export { type AdoptResult, HeaderChain, type HeaderChainOptions } from './header-chain.js';
export { type AnnounceOutcome, type AnnounceSink, HeadTracker } from './head-tracker.js';
export {
  type OracleCheckpoint,
  type OracleLayout,
  REFERENCE_ORACLE_LAYOUT,
  matchesOracle,
  readOracleCheckpoint,
  trustOracleCheckpoint,
} from './oracle.js';
export { type SectionRoots, agreedSectionRoots, eligibleSection, updateSections } from './sections.js';
export { ChainStore, type ChainWrite } from './store.js';
export { BeaconAnchor, type BeaconAnchorOptions, type BeaconHeads, type BeaconSourceFault } from './beacon-anchor.js';
export { type BeaconHeadOptions, BeaconHeadTracker, type BeaconHeadsSource } from './beacon-head.js';
export { MAX_REQUEST_LIGHT_CLIENT_UPDATES, RestBeaconSource, type RestBeaconSourceOptions } from './beacon-rest.js';
export { LesBeaconSource, type LesBeaconSourceOptions, beaconQueryKind } from './beacon-les.js';
export { type BeaconSource, BeaconSourceError, type BeaconSourceErrorCode } from './beacon-source.js';
