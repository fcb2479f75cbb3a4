/**
 * The LES helper tries (DESIGN §4). Both are plain tries: keys are used as given, not hashed.
 *   CHT:        key = BE64(blockNumber), value = rlp([blockHash, totalDifficulty])
 *   BloomTrie:  key = BE16(bloomBitIndex) ‖ BE64(sectionIndex), value = compressed bit vector;
 *               all-zero vectors are absent, so absence proves zeros.
 * `read*` walk one key of a batch's proof set (call `assertAllUsed()` after the batch);
 * `verify*` check a proof for one key on its own.
 */
import { equalBytes, hex0x, uintBE } from './bytes.js';
import { decompressBloomBits } from './bloombits.js';
import { VerificationError } from './errors.js';
import { type BlockHeader, HEADER_BOUNDS, decodeHeader, headerHash } from './header.js';
import { ProofNodeSet, type WalkOptions } from './proof.js';
import { decodeRlpItem, encodeRlpItem, encodeUint, readBigUint, readBytes, readList } from './rlp.js';

export interface ChtEntry {
  hash: Uint8Array;
  td: bigint;
}

export function chtKey(blockNumber: number): Uint8Array {
  return uintBE(blockNumber, 8);
}

export function encodeChtValue(entry: ChtEntry): Uint8Array {
  if (entry.hash.length !== 32) throw new VerificationError('BAD_ENCODING', 'cht.hash', 'expected 32 bytes');
  return encodeRlpItem([entry.hash, encodeUint(entry.td)]);
}

export function decodeChtValue(rlp: Uint8Array, field = 'cht'): ChtEntry {
  const [hash, td] = readList(decodeRlpItem(rlp, field, { maxItems: 64, maxDepth: 2 }), field, { len: 2 });
  return { hash: readBytes(hash, `${field}.hash`, { len: 32 }), td: readBigUint(td, `${field}.td`, 32) };
}

export function bloomTrieKey(bitIndex: number, sectionIndex: number): Uint8Array {
  if (!Number.isInteger(bitIndex) || bitIndex < 0 || bitIndex > 2047) throw new RangeError(`bloom bit ${bitIndex} is not 0..2047`);
  const key = new Uint8Array(10);
  key.set(uintBE(bitIndex, 2), 0);
  key.set(uintBE(sectionIndex, 8), 2);
  return key;
}

/** The CHT entry of `blockNumber`; a CHT covering the block must hold it, so absence is BAD_PROOF. */
export function readChtEntry(set: ProofNodeSet, chtRoot: Uint8Array, blockNumber: number, options: WalkOptions = {}): ChtEntry {
  const field = options.field ?? 'cht';
  const value = set.walk(chtRoot, chtKey(blockNumber), { ...options, field });
  if (value === undefined) throw new VerificationError('BAD_PROOF', field, `block ${blockNumber} is proven absent from the CHT`);
  return decodeChtValue(value, field);
}

export function verifyChtProof(chtRoot: Uint8Array, blockNumber: number, nodes: readonly Uint8Array[]): ChtEntry {
  const set = new ProofNodeSet(nodes, 'chtProof');
  const entry = readChtEntry(set, chtRoot, blockNumber);
  set.assertAllUsed();
  return entry;
}

/**
 * The header sent as auxData (auxReq 2) must hash to the CHT's hash for the block and carry the
 * requested number. The hash is checked on the raw bytes first: only the header the CHT proves is
 * ever decoded, whatever else a server sends.
 */
export function checkChtHeader(entry: ChtEntry, blockNumber: number, headerRlp: Uint8Array): BlockHeader {
  // Hashing costs ~0.1 s per MB here: no header is that large, so do not hash one that is.
  if (headerRlp.length > HEADER_BOUNDS.maxBytes) {
    throw new VerificationError('BAD_ENCODING', 'auxData.header', `${headerRlp.length} bytes, no header is over ${HEADER_BOUNDS.maxBytes}`);
  }
  const got = headerHash(headerRlp);
  if (!equalBytes(got, entry.hash)) {
    throw new VerificationError('HASH_MISMATCH', 'auxData.header', `hash ${hex0x(got)} is not the CHT's ${hex0x(entry.hash)}`);
  }
  const header = decodeHeader(headerRlp);
  if (header.number !== blockNumber) {
    throw new VerificationError('FIELD_MISMATCH', 'auxData.header.number', `header ${header.number}, requested ${blockNumber}`);
  }
  return header;
}

/** A CHT proof plus its auxData header, on their own. */
export function verifyChtHeader(
  chtRoot: Uint8Array,
  blockNumber: number,
  nodes: readonly Uint8Array[],
  headerRlp: Uint8Array,
): { header: BlockHeader; hash: Uint8Array; td: bigint } {
  const entry = verifyChtProof(chtRoot, blockNumber, nodes);
  return { header: checkChtHeader(entry, blockNumber, headerRlp), hash: entry.hash, td: entry.td };
}

/** The decompressed vector (sectionSize/8 bytes) of one bloom bit in one section; absent = zeros. */
export function readBloomBits(
  set: ProofNodeSet,
  bloomTrieRoot: Uint8Array,
  bitIndex: number,
  sectionIndex: number,
  sectionSize: number,
  options: WalkOptions = {},
): Uint8Array {
  if (!Number.isSafeInteger(sectionSize) || sectionSize <= 0 || sectionSize % 8 !== 0) {
    throw new RangeError(`section size ${sectionSize} must be a positive multiple of 8`);
  }
  const field = options.field ?? 'bloomBits';
  const value = set.walk(bloomTrieRoot, bloomTrieKey(bitIndex, sectionIndex), { ...options, field });
  if (value === undefined) return new Uint8Array(sectionSize / 8);
  const vector = decompressBloomBits(value, sectionSize / 8);
  // All-zero vectors are never stored; one that decodes to zeros is not what a server builds.
  if (vector.every((b) => b === 0)) throw new VerificationError('BAD_ENCODING', field, 'stored vector is all zeros');
  return vector;
}

export function verifyBloomBitsProof(
  bloomTrieRoot: Uint8Array,
  bitIndex: number,
  sectionIndex: number,
  nodes: readonly Uint8Array[],
  sectionSize: number,
): Uint8Array {
  const set = new ProofNodeSet(nodes, 'bloomBitsProof');
  const vector = readBloomBits(set, bloomTrieRoot, bitIndex, sectionIndex, sectionSize);
  set.assertAllUsed();
  return vector;
}
