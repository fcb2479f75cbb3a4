// snappyHead decompresses only a block's first bytes; snappyjs (the library devp2p uses) is the
// reference: its compressor makes the blocks (literals and all three copy forms), its decompressor
// gives the expected bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as snappy from 'snappyjs';
import { snappyHead } from '../../../src/net/les-protocol.js';

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('snappyHead', () => {
  it('gives the first n bytes snappyjs decompresses to, for random, repetitive and mixed inputs', () => {
    const next = rng(7);
    for (let round = 0; round < 300; round++) {
      const size = Math.floor(next() * 5000);
      const input = new Uint8Array(size);
      const alphabet = 1 + Math.floor(next() * 255);
      for (let i = 0; i < size; i++) input[i] = next() < 0.5 && i > 70 ? (input[i - 1 - Math.floor(next() * 70)] as number) : Math.floor(next() * alphabet);
      const block = snappy.compress(input);
      const full = snappy.uncompress(block);
      for (const n of [0, 1, 5, 32, 100, size + 10]) {
        assert.deepEqual(snappyHead(block, n), full.subarray(0, Math.min(n, size)), `round ${round}, n ${n}`);
      }
    }
  });

  it('reads the head of a 9.5 MiB block without decompressing the rest', () => {
    const big = new Uint8Array(Math.floor(9.5 * 2 ** 20)).fill(0x61);
    big.set([0xfb, 0x00, 0x98, 0x00, 0x00, 0x82, 0x12, 0x34], 0);
    const block = snappy.compress(big);
    assert.deepEqual(snappyHead(block, 32), big.subarray(0, 32));
  });

  it('is undefined for a truncated or malformed block', () => {
    const block = snappy.compress(new Uint8Array(200).map((_, i) => i % 7));
    assert.equal(snappyHead(block.subarray(0, 3), 100), undefined);
    assert.equal(snappyHead(Uint8Array.of(0x10, 0x01, 0x05), 10), undefined); // a copy before any output
    assert.equal(snappyHead(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), 10), undefined);
  });
});
