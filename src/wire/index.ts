/** The public API of src/wire: LES message codes, limits, RLP readers and every message codec. */
export * from './announce.js';
export * from './beacon.js';
export * from './bodies.js';
export * from './codes.js';
export * from './contract-codes.js';
export * from './envelope.js';
export * from './errors.js';
export * from './headers.js';
export * from './helper-trie.js';
export * from './limits.js';
export * from './messages.js';
export * from './proofs.js';
export * from './receipts.js';
export * from './rlp.js';
export * from './status.js';
export * from './stop-resume.js';
export * from './tx.js';
