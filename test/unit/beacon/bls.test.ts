/**
 * FastAggregateVerify for a mainnet-sized (512-key) sync committee, and what it costs here. The
 * committee's secret keys are 1..512 so the keys (i·G) and any subset's aggregate signature
 * ((Σ i)·H(m)) are cheap to make; the verifier sees only compressed keys and the signature.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { CommitteeKeys, fastAggregateVerify } from '../../../src/verify/beacon/index.js';

const SIZE = 512;
const DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
const sigs = bls12_381.longSignatures;

const pubkeys: Uint8Array[] = [];
for (let i = 0, p = bls12_381.G1.Point.BASE; i < SIZE; i++, p = p.add(bls12_381.G1.Point.BASE)) pubkeys.push(p.toBytes(true));

const scalar = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * (31 - i))) & 0xffn));
function sign(message: Uint8Array, bits: readonly boolean[]): Uint8Array {
  const sk = bits.reduce((s, b, i) => (b ? s + BigInt(i + 1) : s), 0n);
  return sigs.sign(sigs.hash(message, DST), scalar(sk)).toBytes(true);
}

const message = Uint8Array.from({ length: 32 }, (_, i) => i);
const all = new Array<boolean>(SIZE).fill(true);
const most = all.map((_, i) => i % 5 !== 0); // 409 of 512 signed

describe('FastAggregateVerify, 512-key committee', () => {
  it('verifies all and part of the committee; times a cold committee (keys decompressed) and a warm one', () => {
    const keys = new CommitteeKeys(pubkeys);
    const sigAll = sign(message, all);
    let t = performance.now();
    assert.equal(fastAggregateVerify(keys, all, message, sigAll), true);
    const cold = performance.now() - t;
    const sigMost = sign(message, most);
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      assert.equal(fastAggregateVerify(keys, most, message, sigMost), true);
      warm.push(performance.now() - t);
    }
    console.log(`512 keys: first verify ${cold.toFixed(0)} ms (decompressing the keys), then ${warm.map((w) => w.toFixed(0)).join(' / ')} ms per update`);
  });

  it('refuses a signature of another message, of other signers, or with an invalid key among the signers', () => {
    const keys = new CommitteeKeys(pubkeys);
    const sigMost = sign(message, most);
    assert.equal(fastAggregateVerify(keys, most, message.map((b) => b ^ 1), sigMost), false);
    assert.equal(fastAggregateVerify(keys, all, message, sigMost), false, 'bits claim signers that did not sign');
    assert.equal(fastAggregateVerify(keys, most, message, new Uint8Array(96)), false, 'not a signature');
    const infinity = new Uint8Array(48);
    infinity[0] = 0xc0;
    const withBad = new CommitteeKeys(pubkeys.map((p, i) => (i === 1 ? infinity : p)));
    assert.equal(fastAggregateVerify(withBad, most, message, sigMost), false, 'the identity is not a key');
    assert.equal(fastAggregateVerify(keys, all.map(() => false), message, sigMost), false, 'no signers');
  });
});
