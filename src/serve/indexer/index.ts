// The server's section indexers (CHT, BloomBits, BloomTrie) and the proofs GetHelperTrieProofs serves from them.
export { IndexerError, type IndexerErrorCode } from './errors.js';
export { SectionIndexer, type SectionIndexerEvents, type SectionIndexerOptions, type SectionRecord } from './indexer.js';
export { type IndexerLog, type ProgressStream, SectionProgress } from './progress.js';
export { HelperProofSet, trieProof } from './proofs.js';
export { type BuiltSection, type PreviousRoots, type SectionBlock, buildSection, readSectionBlocks } from './section-build.js';
export { type ChunkedInsertOptions, type NodeLookup, type TrieInsertResult, insertSorted, insertSortedInSteps } from './trie-insert.js';
