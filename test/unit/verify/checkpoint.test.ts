import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SigningKey, Wallet, getBytes, recoverAddress, solidityPackedKeccak256 } from 'ethers';
import { VerificationError, checkpointHash, signCheckpoint, verifyOracleSignatures } from '../../../src/verify/index.js';
import { assertRejects, flipByte, hex, toHex } from './helpers.js';

// Expected values are built with ethers (an independent keccak and ABI packing) from the
// formulas of DESIGN §4: keccak256(BE64(sectionIndex) ‖ sectionHead ‖ chtRoot ‖ bloomTrieRoot)
// and the EIP-191 v0 digest keccak256(0x19 ‖ 0x00 ‖ oracle ‖ BE64(index) ‖ hash).
const cp = {
  sectionIndex: 451,
  sectionHead: hex('0x' + '11'.repeat(32)),
  chtRoot: hex('0x' + '22'.repeat(32)),
  bloomTrieRoot: hex('0x' + '33'.repeat(32)),
};
const oracle = hex('0x9a9070028361f7aabeb3f2f2dc07f82c4a98a02a');
const wallets = [1, 2, 3, 4].map((i) => new Wallet('0x' + i.toString(16).padStart(64, '0')));
const trusted = wallets.slice(0, 3).map((w) => hex(w.address));

function ethersDigest(index: number, hash: Uint8Array): string {
  return solidityPackedKeccak256(['bytes1', 'bytes1', 'address', 'uint64', 'bytes32'], ['0x19', '0x00', toHex(oracle), index, toHex(hash)]);
}

/** r ‖ s ‖ v (27/28) by ethers. */
function ethersSign(w: Wallet, index: number, hash: Uint8Array): Uint8Array {
  const sig = w.signingKey.sign(ethersDigest(index, hash));
  return Uint8Array.from([...getBytes(sig.r), ...getBytes(sig.s), sig.v]);
}

describe('checkpoint hash', () => {
  it('is keccak256(BE64(sectionIndex) ‖ sectionHead ‖ chtRoot ‖ bloomTrieRoot)', () => {
    const want = solidityPackedKeccak256(['uint64', 'bytes32', 'bytes32', 'bytes32'], [451, toHex(cp.sectionHead), toHex(cp.chtRoot), toHex(cp.bloomTrieRoot)]);
    assert.equal(toHex(checkpointHash(cp)), want);
    assert.notEqual(toHex(checkpointHash({ ...cp, sectionIndex: 452 })), want);
    assert.notEqual(toHex(checkpointHash({ ...cp, chtRoot: flipByte(cp.chtRoot, 0) })), want);
    assertRejects(() => checkpointHash({ ...cp, chtRoot: new Uint8Array(31) }), 'BAD_ENCODING', 'checkpoint.chtRoot');
  });
});

describe('oracle signatures', () => {
  const index = 7;
  const hash = checkpointHash(cp);

  it('signCheckpoint signs the EIP-191 v0 digest (ethers recovers the signer)', () => {
    const sig = signCheckpoint(getBytes(wallets[0]?.privateKey as string), oracle, index, hash);
    assert.equal(sig.length, 65);
    assert.ok(sig[64] === 27 || sig[64] === 28);
    assert.equal(recoverAddress(ethersDigest(index, hash), toHex(sig)), wallets[0]?.address);
  });

  it('accepts threshold distinct trusted signers and returns them', () => {
    const sigs = [ethersSign(wallets[0] as Wallet, index, hash), ethersSign(wallets[2] as Wallet, index, hash)];
    const got = verifyOracleSignatures(oracle, index, hash, sigs, trusted, 2);
    assert.deepEqual(got.map(toHex).sort(), [trusted[0], trusted[2]].map((t) => toHex(t as Uint8Array)).sort());
  });

  it('accepts v as 0/1 as well as 27/28', () => {
    const sig = ethersSign(wallets[1] as Wallet, index, hash);
    sig[64] = (sig[64] as number) - 27;
    assert.equal(verifyOracleSignatures(oracle, index, hash, [sig], trusted, 1).length, 1);
  });

  it('does not count a signer twice', () => {
    const s = ethersSign(wallets[0] as Wallet, index, hash);
    assertRejects(() => verifyOracleSignatures(oracle, index, hash, [s, s], trusted, 2), 'THRESHOLD_NOT_MET', 'signatures');
  });

  it('does not count an untrusted signer', () => {
    const sigs = [ethersSign(wallets[0] as Wallet, index, hash), ethersSign(wallets[3] as Wallet, index, hash)];
    assertRejects(() => verifyOracleSignatures(oracle, index, hash, sigs, trusted, 2), 'THRESHOLD_NOT_MET');
  });

  it('does not count signatures over another index, hash or oracle', () => {
    const sigs = [ethersSign(wallets[0] as Wallet, index + 1, hash), ethersSign(wallets[1] as Wallet, index, hash)];
    assertRejects(() => verifyOracleSignatures(oracle, index, hash, sigs, trusted, 2), 'THRESHOLD_NOT_MET');
    const good = [ethersSign(wallets[0] as Wallet, index, hash), ethersSign(wallets[1] as Wallet, index, hash)];
    assertRejects(() => verifyOracleSignatures(oracle, index, flipByte(hash, 31), good, trusted, 2), 'THRESHOLD_NOT_MET');
    assertRejects(() => verifyOracleSignatures(flipByte(oracle, 0), index, hash, good, trusted, 2), 'THRESHOLD_NOT_MET');
  });

  it('rejects a signature with one byte changed or a malformed one', () => {
    const s = ethersSign(wallets[0] as Wallet, index, hash);
    // A changed r or s recovers another key (or none): either way it no longer counts.
    assert.throws(
      () => verifyOracleSignatures(oracle, index, hash, [flipByte(s, 10)], trusted, 1),
      (e: unknown) => e instanceof VerificationError && ['BAD_SIGNATURE', 'THRESHOLD_NOT_MET'].includes(e.code),
    );
    assertRejects(() => verifyOracleSignatures(oracle, index, hash, [s.subarray(0, 64)], trusted, 1), 'BAD_SIGNATURE', 'signatures[0]');
    const badV = s.slice();
    badV[64] = 29;
    assertRejects(() => verifyOracleSignatures(oracle, index, hash, [badV], trusted, 1), 'BAD_SIGNATURE', 'signatures[0]');
    const zeroR = s.slice();
    zeroR.fill(0, 0, 32);
    assertRejects(() => verifyOracleSignatures(oracle, index, hash, [zeroR], trusted, 1), 'BAD_SIGNATURE', 'signatures[0]');
  });

  it('recovers the same signer as SigningKey.recoverPublicKey', () => {
    const s = ethersSign(wallets[2] as Wallet, index, hash);
    const pub = SigningKey.recoverPublicKey(ethersDigest(index, hash), toHex(s));
    assert.equal(pub, wallets[2]?.signingKey.publicKey);
  });
});
