import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BloomBitsGenerator, bloomBitIndexes, bloomHasBit, bloomMayContain, transposeBlooms } from '../../../src/verify/index.js';
import { randomBytes, rng } from './helpers.js';

describe('bloom bits', () => {
  it('takes the three indexes from the first six bytes of keccak256(x)', () => {
    // keccak256("") = c5d2 4601 86f7 ...: 0xc5d2 & 2047 = 1490, 0x4601 & 2047 = 1537, 0x86f7 & 2047 = 1783.
    assert.deepEqual(bloomBitIndexes(new Uint8Array(0)), [1490, 1537, 1783]);
  });

  it('reads bloom bit b at byte 255 - b/8, mask 1 << (b mod 8)', () => {
    const bloom = new Uint8Array(256);
    bloom[255 - (1490 >> 3)] = 1 << (1490 % 8); // byte 69, mask 0x04
    assert.equal(bloom[69], 0x04);
    assert.equal(bloomHasBit(bloom, 1490), true);
    assert.equal(bloomHasBit(bloom, 1491), false);
    assert.equal(bloomHasBit(bloom, 1537), false);
    bloom[255 - (1537 >> 3)] = (bloom[255 - (1537 >> 3)] as number) | (1 << (1537 % 8));
    bloom[255 - (1783 >> 3)] = (bloom[255 - (1783 >> 3)] as number) | (1 << (1783 % 8));
    assert.equal(bloomMayContain(bloom, new Uint8Array(0)), true);
    bloom[69] = 0;
    assert.equal(bloomMayContain(bloom, new Uint8Array(0)), false);
  });

  it('transposes a section: vector b, bit j (MSB first) = bloom bit b of block j', () => {
    const next = rng(11);
    const sectionSize = 64;
    const blooms = Array.from({ length: sectionSize }, (_, j) => (j % 5 === 0 ? new Uint8Array(256) : randomBytes(next, 256).map((x) => (next() < 0.05 ? x : 0))));
    const vectors = transposeBlooms(blooms, sectionSize);
    assert.equal(vectors.length, 2048);
    for (let b = 0; b < 2048; b++) {
      const v = vectors[b] as Uint8Array;
      assert.equal(v.length, sectionSize / 8);
      for (let j = 0; j < sectionSize; j++) {
        const bit = ((v[j >> 3] as number) & (0x80 >> (j % 8))) !== 0;
        assert.equal(bit, bloomHasBit(blooms[j] as Uint8Array, b), `vector ${b} block ${j}`);
      }
    }
  });

  it('the generator refuses blooms out of order, short blooms and reads before the section is full', () => {
    const gen = new BloomBitsGenerator(16);
    assert.throws(() => gen.addBloom(1, new Uint8Array(256)), RangeError);
    assert.throws(() => gen.addBloom(0, new Uint8Array(255)));
    gen.addBloom(0, new Uint8Array(256));
    assert.throws(() => gen.bitset(0), RangeError);
    assert.throws(() => new BloomBitsGenerator(12), RangeError);
  });
});
