/** The ODR request kinds (one declarative OdrKind per kind of question) and the Odr facade. */
export { type BlockItem, bodyKind, receiptsKind } from './bodies.js';
export { type CachedAccount, type OdrCacheSizes, OdrCaches } from './caches.js';
export { servesChain, servesSection, servesState } from './common.js';
export { OdrError, type OdrErrorCode } from './errors.js';
export { OdrFacade, type OdrFacadeOptions } from './facade.js';
export { type HeaderByHashItem, type HeaderRangeItem, headerByHashKind, headerRange, headerRangeKind } from './headers.js';
export {
  type BloomBitsItem,
  type ChtHeaderItem,
  type TrieRootItem,
  bloomBitsKind,
  chtHeaderKind,
  sectionEnd,
  trieRootKind,
} from './helper-tries.js';
export { type CodeItem, type StateProofItem, type StateProofResult, codeKind, stateProofKind } from './state.js';
export { type TxStatusReport, checkIncluded, combineStatuses } from './tx-status.js';
export { type SendTxItem, type TxHashItem, sendTxKind, txStatusKind } from './tx.js';
