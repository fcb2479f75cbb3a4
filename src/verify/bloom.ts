/**
 * The 2048-bit header bloom and its BloomBits rotation (DESIGN §4). Bloom bit b is byte
 * 255 − ⌊b/8⌋, mask 1 << (b mod 8) of the 256-byte logsBloom. A section's vector b has one bit
 * per block, MSB first: bit j (byte ⌊j/8⌋, mask 0x80 >> (j mod 8)) is bloom bit b of block j.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { VerificationError } from './errors.js';

export const BLOOM_BYTES = 256;
export const BLOOM_BITS = 2048;

/** The three bloom bits an address or topic sets: ((h[2i] << 8) | h[2i+1]) & 2047 of keccak256(x). */
export function bloomBitIndexes(x: Uint8Array): [number, number, number] {
  const h = keccak256(x);
  const at = (i: number) => (((h[2 * i] as number) << 8) | (h[2 * i + 1] as number)) & 2047;
  return [at(0), at(1), at(2)];
}

export function bloomHasBit(logsBloom: Uint8Array, bitIndex: number): boolean {
  return ((logsBloom[BLOOM_BYTES - 1 - (bitIndex >> 3)] as number) & (1 << (bitIndex & 7))) !== 0;
}

/** Whether a bloom may contain `x` (all three of its bits set). */
export function bloomMayContain(logsBloom: Uint8Array, x: Uint8Array): boolean {
  return bloomBitIndexes(x).every((b) => bloomHasBit(logsBloom, b));
}

/**
 * Rotates the blooms of one section, block by block, into its 2048 bit vectors. The server's
 * indexer adds each block's bloom as it goes and reads the vectors when the section is full.
 */
export class BloomBitsGenerator {
  private readonly vectors: Uint8Array[];
  private added = 0;

  constructor(readonly sectionSize: number) {
    if (!Number.isSafeInteger(sectionSize) || sectionSize <= 0 || sectionSize % 8 !== 0) {
      throw new RangeError(`section size ${sectionSize} must be a positive multiple of 8`);
    }
    this.vectors = Array.from({ length: BLOOM_BITS }, () => new Uint8Array(sectionSize / 8));
  }

  /** Add the bloom of the block at `index` within the section; blocks come in order. */
  addBloom(index: number, logsBloom: Uint8Array): void {
    if (index !== this.added) throw new RangeError(`bloom ${index} added out of order (expected ${this.added})`);
    if (logsBloom.length !== BLOOM_BYTES) throw new VerificationError('BAD_ENCODING', 'logsBloom', `expected ${BLOOM_BYTES} bytes`);
    const byte = index >> 3;
    const mask = 0x80 >> (index & 7);
    // Blooms are sparse: walk only the set bits.
    for (let i = 0; i < BLOOM_BYTES; i++) {
      let v = logsBloom[BLOOM_BYTES - 1 - i] as number;
      while (v !== 0) {
        const low = v & -v;
        const bit = 8 * i + (31 - Math.clz32(low));
        (this.vectors[bit] as Uint8Array)[byte] = ((this.vectors[bit] as Uint8Array)[byte] as number) | mask;
        v ^= low;
      }
    }
    this.added++;
  }

  get complete(): boolean {
    return this.added === this.sectionSize;
  }

  /** Vector of bloom bit `bitIndex` (uncompressed, sectionSize/8 bytes); the section must be complete. */
  bitset(bitIndex: number): Uint8Array {
    if (!this.complete) throw new RangeError(`section has ${this.added} of ${this.sectionSize} blooms`);
    const v = this.vectors[bitIndex];
    if (v === undefined) throw new RangeError(`bloom bit ${bitIndex} is not 0..2047`);
    return v;
  }
}

/** All 2048 vectors of a section from its `sectionSize` blooms, in block order. */
export function transposeBlooms(blooms: readonly Uint8Array[], sectionSize = blooms.length): Uint8Array[] {
  if (blooms.length !== sectionSize) throw new RangeError(`${blooms.length} blooms for a section of ${sectionSize}`);
  const gen = new BloomBitsGenerator(sectionSize);
  blooms.forEach((b, i) => gen.addBloom(i, b));
  return Array.from({ length: BLOOM_BITS }, (_, b) => gen.bitset(b));
}
