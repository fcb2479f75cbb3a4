import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import {
  ProofNodeSet,
  bloomTrieKey,
  chtKey,
  compressBloomBits,
  encodeHeader,
  headerFromRpc,
  readBloomBits,
  readChtEntry,
  verifyBloomBitsProof,
  verifyChtHeader,
  verifyChtProof,
} from '../../../src/verify/index.js';
import { encodeUint } from '../../../src/wire/rlp.js';
import { assertRejects, flipByte, hex, mergeProofs, minimalProof, randomBytes, rng, toHex } from './helpers.js';

// Real mainnet data: block 18,722,845 (JSON quoted in dfinity/evm-rpc-canister tests/tests.rs)
// and the total difficulty every post-merge mainnet block has, 58750003716598352816469.
const BLOCK = 18722845;
const BLOCK_HASH = '0xc3674be7b9d95580d7f23c03d32e946f2b453679ee6505e3a778f003c5a3cfae';
const TTD = 58750003716598352816469n;
const headerRlp = encodeHeader(
  headerFromRpc({
    baseFeePerGas: '0xd7232aa34',
    difficulty: '0x0',
    extraData: '0x546974616e2028746974616e6275696c6465722e78797a29',
    gasLimit: '0x1c9c380',
    gasUsed: '0xa768c4',
    logsBloom:
      '0x3e6b8420e1a13038902c24d6c2a9720a7ad4860cdc870cd5c0490011e43631134f608935bd83171247407da2c15d85014f9984608c03684c74aad48b20bc24022134cdca5f2e9d2dee3b502a8ccd39eff8040b1d96601c460e119c408c620b44fa14053013220847045556ea70484e67ec012c322830cf56ef75e09bd0db28a00f238adfa587c9f80d7e30d3aba2863e63a5cad78954555966b1055a4936643366a0bb0b1bac68d0e6267fc5bf8304d404b0c69041125219aa70562e6a5a6362331a414a96d0716990a10161b87dd9568046a742d4280014975e232b6001a0360970e569d54404b27807d7a44c949ac507879d9d41ec8842122da6772101bc8b',
    miner: '0x388c818ca8b9251b393131c08a736a67ccb19297',
    mixHash: '0x516a58424d4883a3614da00a9c6f18cd5cd54335a08388229a993a8ecf05042f',
    nonce: '0x0000000000000000',
    number: '0x11db01d',
    parentHash: '0x43325027f6adf9befb223f8ae80db057daddcd7b48e41f60cd94bfa8877181ae',
    receiptsRoot: '0x66934c3fd9c547036fe0e56ad01bc43c84b170be7c4030a86805ddcdab149929',
    sha3Uncles: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
    stateRoot: '0x13552447dd62f11ad885f21a583c4fa34144efe923c7e35fb018d6710f06b2b6',
    timestamp: '0x656f96f3',
    withdrawalsRoot: '0xecae44b2c53871003c5cc75285995764034c9b5978a904229d36c1280b141d48',
    transactionsRoot: '0x93a1ad3d067009259b508cc95fde63b5efd7e9d8b55754314c173fdde8c0826a',
  }),
);

describe('helper trie keys', () => {
  it('CHT key = 8-byte big-endian block number; BloomTrie key = BE16(bit) ‖ BE64(section)', () => {
    assert.equal(toHex(chtKey(0x0102)), '0x0000000000000102');
    assert.equal(toHex(chtKey(BLOCK)), '0x00000000011db01d');
    assert.equal(toHex(bloomTrieKey(0x0102, 3)), '0x01020000000000000003');
    assert.equal(toHex(bloomTrieKey(2047, 0)), '0x07ff0000000000000000');
  });
});

describe('CHT proofs', () => {
  const next = rng(21);
  let cht: Trie;
  const fillers = Array.from({ length: 300 }, (_, i) => BLOCK - 150 + i).filter((n) => n !== BLOCK);
  before(async () => {
    // A plain (unhashed-key) trie, built with @ethereumjs/trie.
    cht = new Trie();
    for (const n of fillers) await cht.put(chtKey(n), RLP.encode([randomBytes(next, 32), encodeUint(TTD)]));
    await cht.put(chtKey(BLOCK), RLP.encode([hex(BLOCK_HASH), encodeUint(TTD)]));
    // Block 5 maps to the hash of block 18722845, so a header with the right hash has the wrong number.
    await cht.put(chtKey(5), RLP.encode([hex(BLOCK_HASH), encodeUint(1n)]));
    await cht.put(chtKey(6), RLP.encode([Uint8Array.of(1)]));
  });

  it('proves [hash, td] of a block and its auxData header', async () => {
    const p = await minimalProof(cht, chtKey(BLOCK));
    const e = verifyChtProof(cht.root(), BLOCK, p);
    assert.equal(toHex(e.hash), BLOCK_HASH);
    assert.equal(e.td, TTD);
    const h = verifyChtHeader(cht.root(), BLOCK, p, headerRlp);
    assert.equal(h.header.number, BLOCK);
    assert.equal(h.td, TTD);
  });

  it('rejects a header with one byte changed, a header under the wrong number, and an absent block', async () => {
    const p = await minimalProof(cht, chtKey(BLOCK));
    assertRejects(() => verifyChtHeader(cht.root(), BLOCK, p, flipByte(headerRlp, headerRlp.length - 40)), 'HASH_MISMATCH', 'auxData.header');
    const p5 = await minimalProof(cht, chtKey(5));
    assertRejects(() => verifyChtHeader(cht.root(), 5, p5, headerRlp), 'FIELD_MISMATCH', 'auxData.header.number');
    const p7 = await minimalProof(cht, chtKey(7));
    assertRejects(() => verifyChtProof(cht.root(), 7, p7), 'BAD_PROOF', 'cht');
  });

  it('rejects a CHT proof with one byte changed, and a CHT value that is not [hash, td]', async () => {
    const p = await minimalProof(cht, chtKey(BLOCK));
    assertRejects(() => verifyChtProof(cht.root(), BLOCK, p.map((n, i) => (i === p.length - 1 ? flipByte(n, 4) : n))), 'BAD_PROOF');
    const p6 = await minimalProof(cht, chtKey(6));
    assertRejects(() => verifyChtProof(cht.root(), 6, p6), 'BAD_ENCODING', 'cht');
  });

  it('serves a batch of CHT keys from one node set', async () => {
    const blocks = [BLOCK, fillers[0] as number, fillers[100] as number];
    const set = new ProofNodeSet(mergeProofs(...(await Promise.all(blocks.map((n) => minimalProof(cht, chtKey(n)))))));
    for (const n of blocks) assert.equal(readChtEntry(set, cht.root(), n).td, TTD);
    set.assertAllUsed();
  });
});

describe('BloomBits proofs', () => {
  const next = rng(33);
  const sectionSize = 1024; // 128-byte vectors
  const vectors = new Map<string, Uint8Array>();
  let bt: Trie;
  before(async () => {
    bt = new Trie();
    for (let s = 0; s < 3; s++) {
      for (let b = 0; b < 2048; b += 7) {
        const v = Uint8Array.from({ length: sectionSize / 8 }, () => (next() < 0.03 ? 1 + Math.floor(next() * 255) : 0));
        if (v.every((x) => x === 0)) continue;
        vectors.set(`${b}/${s}`, v);
        await bt.put(bloomTrieKey(b, s), compressBloomBits(v));
      }
    }
    await bt.put(bloomTrieKey(1, 0), new Uint8Array(sectionSize / 8)); // raw zeros: never built by a server
    await bt.put(bloomTrieKey(2, 0), Uint8Array.of(0x80, 0x80)); // does not decompress
  });

  it('proves stored vectors (decompressed) and absent ones as zeros', async () => {
    for (const [b, s] of [[0, 0], [7, 1], [2044, 2]] as const) {
      const v = vectors.get(`${b}/${s}`);
      assert.ok(v);
      assert.deepEqual(verifyBloomBitsProof(bt.root(), b, s, await minimalProof(bt, bloomTrieKey(b, s)), sectionSize), v);
    }
    assert.deepEqual(verifyBloomBitsProof(bt.root(), 3, 1, await minimalProof(bt, bloomTrieKey(3, 1)), sectionSize), new Uint8Array(128));
  });

  it('rejects a tampered proof, an all-zero stored vector and a vector that does not decompress', async () => {
    const p = await minimalProof(bt, bloomTrieKey(7, 1));
    assertRejects(() => verifyBloomBitsProof(bt.root(), 7, 1, p.map((n, i) => (i === 0 ? flipByte(n, 9) : n)), sectionSize), 'BAD_PROOF');
    const p1 = await minimalProof(bt, bloomTrieKey(1, 0));
    assertRejects(() => verifyBloomBitsProof(bt.root(), 1, 0, p1, sectionSize), 'BAD_ENCODING', 'bloomBits');
    const p2 = await minimalProof(bt, bloomTrieKey(2, 0));
    assertRejects(() => verifyBloomBitsProof(bt.root(), 2, 0, p2, sectionSize), 'BAD_ENCODING', 'bloomBits');
  });

  it('reads the three vectors of one address from one node set', async () => {
    const keys = [[14, 0], [21, 0], [28, 0]] as const;
    const set = new ProofNodeSet(mergeProofs(...(await Promise.all(keys.map(([b, s]) => minimalProof(bt, bloomTrieKey(b, s)))))));
    for (const [b, s] of keys) assert.deepEqual(readBloomBits(set, bt.root(), b, s, sectionSize), vectors.get(`${b}/${s}`) ?? new Uint8Array(128));
    set.assertAllUsed();
  });
});
