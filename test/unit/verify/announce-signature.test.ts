import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SigningKey, encodeRlp, getBytes, keccak256, toBeArray } from 'ethers';
import { publicKeyOf, signAnnounce, verifyAnnounceSignature } from '../../../src/verify/index.js';
import { assertRejects, flipByte, hex, toHex } from './helpers.js';

// The signed payload is built with ethers' RLP from the spec: rlp([headHash, headNumber, headTd]).
const key = new SigningKey('0x' + 'ab'.repeat(32));
const other = new SigningKey('0x' + 'cd'.repeat(32));
const nodeId = (k: SigningKey) => getBytes(k.publicKey).subarray(1);
const head = { headHash: hex('0x' + '5a'.repeat(32)), headNumber: 18722845, headTd: 58750003716598352816469n };
const digest = keccak256(encodeRlp([toHex(head.headHash), toHex(toBeArray(head.headNumber)), toHex(toBeArray(head.headTd))]));

describe('signed announces', () => {
  it('signAnnounce signs keccak256(rlp([hash, number, td])) with the node key (v = 0/1)', () => {
    const sig = signAnnounce(getBytes(key.privateKey), head);
    assert.ok(sig[64] === 0 || sig[64] === 1);
    const asEthers = Uint8Array.from([...sig.subarray(0, 64), (sig[64] as number) + 27]);
    assert.equal(SigningKey.recoverPublicKey(digest, toHex(asEthers)), key.publicKey);
    assert.deepEqual(publicKeyOf(getBytes(key.privateKey)), nodeId(key));
  });

  it('verifies a signature made by ethers (v = 27/28) against the node ID', () => {
    const s = key.sign(digest);
    const signature = Uint8Array.from([...getBytes(s.r), ...getBytes(s.s), s.v]);
    verifyAnnounceSignature({ ...head, signature }, nodeId(key));
  });

  it('rejects another node, another head, one changed byte, a missing or malformed signature', () => {
    const signature = signAnnounce(getBytes(key.privateKey), head);
    assertRejects(() => verifyAnnounceSignature({ ...head, signature }, nodeId(other)), 'BAD_SIGNATURE', 'sign');
    assertRejects(() => verifyAnnounceSignature({ ...head, headTd: head.headTd + 1n, signature }, nodeId(key)), 'BAD_SIGNATURE', 'sign');
    assertRejects(() => verifyAnnounceSignature({ ...head, headHash: flipByte(head.headHash, 0), signature }, nodeId(key)), 'BAD_SIGNATURE', 'sign');
    assertRejects(() => verifyAnnounceSignature({ ...head, signature: flipByte(signature, 5) }, nodeId(key)), 'BAD_SIGNATURE', 'sign');
    assertRejects(() => verifyAnnounceSignature(head, nodeId(key)), 'BAD_SIGNATURE', 'sign');
    assertRejects(() => verifyAnnounceSignature({ ...head, signature: signature.subarray(0, 64) }, nodeId(key)), 'BAD_SIGNATURE', 'sign');
    assertRejects(() => verifyAnnounceSignature({ ...head, signature }, new Uint8Array(65)), 'BAD_ENCODING', 'nodeId');
  });
});
