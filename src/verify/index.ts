// The pure verifiers: everything a client checks before it uses an answer, and the builders a
// server uses to compute the same roots and proofs.
export { MissingNodeError, VerificationError, type VerificationErrorCode } from './errors.js';
export {
  type BlockHeader,
  HEADER_FIELD_COUNTS,
  decodeHeader,
  decodeHeaderItem,
  encodeHeader,
  headerHash,
  headerToItem,
  verifyHeaderHash,
} from './header.js';
export { headerFromRpc } from './header-rpc.js';
export { RPC_TX_TYPES, type RpcJson, rpcArray, rpcData, rpcObject, rpcQuantity, txFromRpc } from './tx-rpc.js';
export { receiptFromRpc, receiptObjectFromRpc } from './receipt-rpc.js';
export { EMPTY_TRIE_ROOT, orderedTrieRoot, trieRoot } from './trie-builder.js';
export { type Log, type Receipt, decodeReceipt, decodeReceiptItem, encodeReceipt, typedItemBytes } from './receipts.js';
export {
  type BlockBody,
  type Withdrawal,
  EMPTY_UNCLE_HASH,
  decodeWithdrawalItem,
  encodeWithdrawal,
  receiptsRoot,
  transactionsRoot,
  uncleHash,
  verifyBody,
  verifyReceipts,
  withdrawalToItem,
  withdrawalsRoot,
} from './roots.js';
export {
  type NodeLookup,
  type NodeSource,
  type WalkOptions,
  ProofNodeSet,
  collectProof,
  decodeTrieNode,
  walkTrie,
} from './proof.js';
export {
  type Account,
  type AccountRef,
  type SlotRef,
  EMPTY_CODE_HASH,
  accountKey,
  decodeAccount,
  emptyAccount,
  encodeAccount,
  readAccount,
  readStorage,
  storageKey,
  verifyAccountProof,
  verifyCode,
  verifyStorageProof,
} from './state.js';
export { compressBloomBits, decompressBloomBits } from './bloombits.js';
export { BLOOM_BITS, BLOOM_BYTES, BloomBitsGenerator, bloomBitIndexes, bloomHasBit, bloomMayContain, transposeBlooms } from './bloom.js';
export {
  type ChtEntry,
  bloomTrieKey,
  checkChtHeader,
  chtKey,
  decodeChtValue,
  encodeChtValue,
  readBloomBits,
  readChtEntry,
  verifyBloomBitsProof,
  verifyChtHeader,
  verifyChtProof,
} from './helper-tries.js';
export {
  type Checkpoint,
  checkpointHash,
  oracleSigningDigest,
  signCheckpoint,
  verifyOracleSignatures,
} from './checkpoint.js';
export { type AnnouncedHead, signAnnounce, verifyAnnounceSignature } from './announce-signature.js';
export { publicKeyOf, publicKeyToAddress } from './signature.js';
