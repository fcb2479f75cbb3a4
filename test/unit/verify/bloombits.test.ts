import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compressBloomBits, decompressBloomBits } from '../../../src/verify/index.js';
import { assertRejects, rng } from './helpers.js';

/** Sparse random data: each byte non-zero with probability `density`. */
function sparse(next: () => number, len: number, density: number): Uint8Array {
  return Uint8Array.from({ length: len }, () => (next() < density ? 1 + Math.floor(next() * 255) : 0));
}

describe('BloomBits compression (spec CompressBytes)', () => {
  it('round-trips random sparse data of many lengths and densities', () => {
    const next = rng(1);
    for (const len of [0, 1, 2, 7, 8, 9, 15, 16, 17, 100, 1000, 4096]) {
      for (const density of [0, 0.001, 0.01, 0.1, 0.5, 1]) {
        const data = sparse(next, len, density);
        const c = compressBloomBits(data);
        assert.ok(c.length <= data.length, 'never longer than the data');
        assert.deepEqual(decompressBloomBits(c, len), data, `len ${len} density ${density}`);
      }
    }
  });

  it('compresses an all-zero vector to nothing, and nothing back to zeros', () => {
    assert.equal(compressBloomBits(new Uint8Array(4096)).length, 0);
    assert.deepEqual(decompressBloomBits(new Uint8Array(0), 4096), new Uint8Array(4096));
  });

  it('encodes a hand-worked example from the spec pseudo-code', () => {
    // 16 bytes, only byte 0 = 5: nonZeroBitset = [0x80, 0x00]; its own bitset = [0x80] (one
    // byte, kept), its non-zero bytes = [0x80]; then the data's non-zero bytes = [0x05].
    const data = new Uint8Array(16);
    data[0] = 5;
    assert.deepEqual(compressBloomBits(data), Uint8Array.of(0x80, 0x80, 0x05));
    assert.deepEqual(decompressBloomBits(Uint8Array.of(0x80, 0x80, 0x05), 16), data);
  });

  it('keeps data raw when compression does not make it shorter', () => {
    const dense = Uint8Array.from({ length: 32 }, (_, i) => i + 1);
    assert.deepEqual(compressBloomBits(dense), dense);
    assert.deepEqual(decompressBloomBits(dense, 32), dense);
    assert.deepEqual(compressBloomBits(Uint8Array.of(7)), Uint8Array.of(7));
  });

  const errors: Array<[string, Uint8Array, number]> = [
    ['data longer than the target', new Uint8Array(20).fill(1), 16],
    ['a bitset naming more non-zero bytes than present', Uint8Array.of(0x80, 0x80), 16],
    ['bytes no bit refers to', Uint8Array.of(0x80, 0x80, 0x05, 0x07), 16],
    ['a zero byte where the bitset promises a non-zero one', Uint8Array.of(0x80, 0x80, 0x00), 16],
    // target 9 → a 2-byte bitset whose bit 9 would put a byte past the end.
    ['a bitset naming a byte past the target', Uint8Array.of(0x40, 0x40, 0x05), 9],
  ];
  for (const [what, data, target] of errors) {
    it(`rejects ${what}`, () => assertRejects(() => decompressBloomBits(data, target), 'BAD_ENCODING', 'bloomBits'));
  }

  it('rejects a compressed vector with one byte changed (or decodes it to different data)', () => {
    const next = rng(3);
    const data = sparse(next, 4096, 0.01);
    const c = compressBloomBits(data);
    for (let i = 0; i < c.length; i++) {
      const changed = c.slice();
      changed[i] = (changed[i] as number) ^ 0x01;
      let out: Uint8Array | undefined;
      try {
        out = decompressBloomBits(changed, 4096);
      } catch {
        continue;
      }
      assert.notDeepEqual(out, data, `byte ${i} changed but decoded to the same data`);
    }
  });
});
