// The chain side of the LES server: the chain store and the follower that keeps it in step with
// an execution node, plus the hooks the rest of the server uses (events, SectionSource).
export { ChainError, type ChainErrorCode } from './errors.js';
export { type SectionSource } from './section-source.js';
export { type StoredBody, type TxLocation } from './codec.js';
export {
  type BlockFetcher,
  type ChainBlock,
  type ChainHead,
  type ChainStoreOptions,
  type CommitResult,
  type StoredHeader,
  ChainStore,
} from './store.js';
export { type CheckedHeader, checkedBody, checkedHeader, checkedReceipts } from './block-json.js';
export { type FetchedBlock, type HeaderBatch, type NodeBlockSourceOptions, type ReceiptsMethod, NodeBlockSource } from './source.js';
export { type NewHeadsOptions, NewHeadsSubscription } from './subscription.js';
export {
  type BlockEvent,
  type ChainFollowerEvents,
  type ChainFollowerOptions,
  type ChainLog,
  type HeadEvent,
  type RejectedEvent,
  ChainFollower,
} from './follower.js';
export { type NodeEndpoints, nodeEndpoints } from './endpoints.js';
export { type FillProgressStream, type FillRate, FillProgress } from './fill-progress.js';
