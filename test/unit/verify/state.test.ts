import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import {
  EMPTY_CODE_HASH,
  EMPTY_TRIE_ROOT,
  ProofNodeSet,
  decodeAccount,
  encodeAccount,
  readAccount,
  readStorage,
  verifyAccountProof,
  verifyCode,
  verifyStorageProof,
} from '../../../src/verify/index.js';
import { encodeUint } from '../../../src/wire/rlp.js';
import { assertRejects, flipByte, hex, mergeProofs, minimalProof, randomBytes, rng, toHex } from './helpers.js';

// A secure (hashed-key) state trie and one storage trie built with @ethereumjs/trie.
const next = rng(5);
const code = hex('0x6080604052348015600f57600080fd5b50');
const addresses = Array.from({ length: 200 }, () => randomBytes(next, 20));
const slots = Array.from({ length: 50 }, (_, i) => ({ slot: BigInt(i * 7 + 1), value: BigInt(1 + Math.floor(next() * 1e9)) ** 3n }));
let state: Trie;
let storage: Trie;
const accountRlp = (i: number, storageRoot: Uint8Array, codeHash: Uint8Array) =>
  RLP.encode([encodeUint(i), encodeUint(10n ** 18n * BigInt(i + 1)), storageRoot, codeHash]);
const slot32 = (s: bigint) => hex(s.toString(16).padStart(64, '0'));

before(async () => {
  storage = new Trie({ useKeyHashing: true });
  for (const { slot, value } of slots) await storage.put(slot32(slot), RLP.encode(encodeUint(value)));
  state = new Trie({ useKeyHashing: true });
  for (let i = 0; i < addresses.length; i++) {
    const withCode = i === 0;
    await state.put(addresses[i] as Uint8Array, accountRlp(i, withCode ? storage.root() : EMPTY_TRIE_ROOT, withCode ? keccak256(code) : EMPTY_CODE_HASH));
  }
});

describe('state proofs', () => {
  it('proves accounts by address and by account key', async () => {
    for (let i = 0; i < 20; i++) {
      const a = addresses[i] as Uint8Array;
      const acc = verifyAccountProof(state.root(), a, await minimalProof(state, a));
      assert.equal(acc?.nonce, BigInt(i));
      assert.equal(acc?.balance, 10n ** 18n * BigInt(i + 1));
      assert.deepEqual(verifyAccountProof(state.root(), keccak256(a), await minimalProof(state, a)), acc);
    }
  });

  it('encodeAccount writes the state-trie value rlp([nonce, balance, storageRoot, codeHash])', () => {
    const rlp = accountRlp(3, EMPTY_TRIE_ROOT, EMPTY_CODE_HASH);
    const acc = decodeAccount(rlp);
    assert.deepEqual(encodeAccount(acc), rlp);
    assert.deepEqual(acc, { nonce: 3n, balance: 4n * 10n ** 18n, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH });
  });

  it('proves an absent account absent', async () => {
    const a = randomBytes(next, 20);
    assert.equal(verifyAccountProof(state.root(), a, await minimalProof(state, a)), undefined);
  });

  it('proves storage under the proven storageRoot, and absent slots as 0', async () => {
    const acc = verifyAccountProof(state.root(), addresses[0] as Uint8Array, await minimalProof(state, addresses[0] as Uint8Array));
    assert.ok(acc);
    for (const { slot, value } of slots.slice(0, 10)) {
      assert.equal(verifyStorageProof(acc.storageRoot, { slot }, await minimalProof(storage, slot32(slot))), value);
      assert.equal(verifyStorageProof(acc.storageRoot, { slot: slot32(slot) }, await minimalProof(storage, slot32(slot))), value);
      assert.equal(verifyStorageProof(acc.storageRoot, { key: keccak256(slot32(slot)) }, await minimalProof(storage, slot32(slot))), value);
    }
    assert.equal(verifyStorageProof(acc.storageRoot, { slot: 2n }, await minimalProof(storage, slot32(2n))), 0n);
    verifyCode(code, acc.codeHash);
  });

  it('batches accounts and slots of one GetProofsV2 answer over one node set', async () => {
    const a0 = addresses[0] as Uint8Array;
    const a1 = addresses[1] as Uint8Array;
    const nodes = mergeProofs(
      await minimalProof(state, a0),
      await minimalProof(state, a1),
      await minimalProof(storage, slot32(1n)),
      await minimalProof(storage, slot32(8n)),
    );
    const set = new ProofNodeSet(nodes);
    const acc = readAccount(set, state.root(), a0);
    assert.ok(acc);
    assert.equal(readAccount(set, state.root(), a1)?.nonce, 1n);
    assert.equal(readStorage(set, acc.storageRoot, { slot: 1n }), slots[0]?.value);
    assert.equal(readStorage(set, acc.storageRoot, { slot: 8n }), slots[1]?.value);
    set.assertAllUsed();
  });

  it('rejects an account proof with one byte changed, and an account value that is not an account', async () => {
    const a = addresses[2] as Uint8Array;
    const p = await minimalProof(state, a);
    const last = p.length - 1;
    assertRejects(() => verifyAccountProof(state.root(), a, p.map((n, i) => (i === last ? flipByte(n, n.length - 3) : n))), 'BAD_PROOF');
    assertRejects(() => decodeAccount(RLP.encode([Uint8Array.of(1), Uint8Array.of(2), new Uint8Array(32)])), 'BAD_ENCODING', 'account');
    assertRejects(() => decodeAccount(RLP.encode([Uint8Array.of(0, 1), Uint8Array.of(2), new Uint8Array(32), new Uint8Array(32)])), 'BAD_ENCODING', 'account.nonce');
    assertRejects(() => decodeAccount(RLP.encode([Uint8Array.of(1), Uint8Array.of(2), new Uint8Array(31), new Uint8Array(32)])), 'BAD_ENCODING', 'account.storageRoot');
  });

  it('reads a stored zero as 0 (anvil keeps cleared slots) and rejects a non-integer value', async () => {
    const t = new Trie({ useKeyHashing: true });
    await t.put(slot32(1n), RLP.encode(new Uint8Array(0)));
    await t.put(slot32(2n), RLP.encode([Uint8Array.of(1)]));
    const p1 = await minimalProof(t, slot32(1n));
    assert.equal(verifyStorageProof(t.root(), { slot: 1n }, p1), 0n);
    const p2 = await minimalProof(t, slot32(2n));
    assertRejects(() => verifyStorageProof(t.root(), { slot: 2n }, p2), 'BAD_ENCODING', 'storage');
  });

  it('verifyCode rejects code with one byte changed', () => {
    assertRejects(() => verifyCode(flipByte(code, 3), keccak256(code)), 'HASH_MISMATCH', 'code');
    assert.equal(toHex(EMPTY_CODE_HASH), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
  });

  it('refuses account references that are neither an address nor a key', () => {
    assertRejects(() => verifyAccountProof(state.root(), new Uint8Array(21), []), 'BAD_ENCODING', 'account');
  });
});
