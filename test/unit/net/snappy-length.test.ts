import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as snappy from 'snappyjs';
import { snappyDeclaredLength } from '../../../src/net/les-protocol.js';

describe('snappyDeclaredLength', () => {
  it('reads the length snappyjs writes into its blocks', () => {
    for (const n of [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 10 * 1024 * 1024]) {
      assert.equal(snappyDeclaredLength(snappy.compress(new Uint8Array(n).fill(n & 0xff))), n, `length ${n}`);
    }
  });

  it('reads a 5-byte varint beyond 2^31', () => {
    assert.equal(snappyDeclaredLength(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])), 2 ** 32 - 1);
  });

  it('returns -1 for an empty, truncated or over-long varint', () => {
    assert.equal(snappyDeclaredLength(new Uint8Array()), -1);
    assert.equal(snappyDeclaredLength(Uint8Array.from([0x80, 0x80])), -1);
    assert.equal(snappyDeclaredLength(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])), -1);
  });
});
