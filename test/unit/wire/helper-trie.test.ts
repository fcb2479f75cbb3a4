import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ProtocolError } from '../../../src/wire/errors.js';
import {
  type GetHelperTrieProofs,
  type HelperTrieProofs,
  decodeGetHelperTrieProofs,
  decodeHelperTrieProofs,
  encodeGetHelperTrieProofs,
  encodeHelperTrieProofs,
} from '../../../src/wire/helper-trie.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const enc = (x: unknown) => RLP.encode(x as never);

function rejects(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

/** CHT key: block number as 8-byte big-endian (spec). Block 100000 = 0x0186a0. */
const CHT_KEY = hex('00000000000186a0');
/** BloomBits key: 2-byte bit index ‖ 8-byte section index (spec). Bit 2047, section 3. */
const BLOOM_KEY = hex('07ff0000000000000003');
/** The mainnet genesis header (hash d4e56740…8fa3), as a CHT auxReq 2 answer carries it. */
const GENESIS_HEADER = enc([
  new Uint8Array(32),
  hex('1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'),
  new Uint8Array(20),
  hex('d7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544'),
  hex('56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'),
  hex('56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421'),
  new Uint8Array(256),
  hex('0400000000'),
  new Uint8Array(0),
  hex('1388'),
  new Uint8Array(0),
  new Uint8Array(0),
  hex('11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa'),
  new Uint8Array(32),
  hex('0000000000000042'),
]);

describe('GetHelperTrieProofs', () => {
  it('matches the spec layout [reqID, [[subType, sectionIdx, key, fromLevel, auxReq], ...]]', () => {
    const wire = enc([8, [[0, 3, CHT_KEY, 0, 2], [1, 3, BLOOM_KEY, 1, 0]]]);
    const msg: GetHelperTrieProofs = {
      reqID: 8n,
      reqs: [
        { subType: 0, sectionIdx: 3, key: CHT_KEY, fromLevel: 0, auxReq: 2 },
        { subType: 1, sectionIdx: 3, key: BLOOM_KEY, fromLevel: 1, auxReq: 0 },
      ],
    };
    assert.deepEqual(encodeGetHelperTrieProofs(msg), wire);
    assert.deepEqual(decodeGetHelperTrieProofs(wire), msg);
  });

  const req = (r: unknown[]) => [8, [r]];
  const bad: Array<[string, unknown, string, string]> = [
    ['an unknown helper trie type 2', req([2, 3, CHT_KEY, 0, 0]), 'UNSUPPORTED', 'reqs[0].subType'],
    ['a CHT key of 10 bytes', req([0, 3, BLOOM_KEY, 0, 0]), 'MALFORMED', 'reqs[0].key'],
    ['a BloomBits key of 8 bytes', req([1, 3, CHT_KEY, 0, 0]), 'MALFORMED', 'reqs[0].key'],
    ['a key that is a list', req([0, 3, [CHT_KEY], 0, 0]), 'MALFORMED', 'reqs[0].key'],
    ['a request of 4 items', req([0, 3, CHT_KEY, 0]), 'MALFORMED', 'reqs[0]'],
    ['a sectionIdx with a leading zero', req([0, hex('0003'), CHT_KEY, 0, 0]), 'MALFORMED', 'reqs[0].sectionIdx'],
    ['an auxReq over 2^53-1', req([0, 3, CHT_KEY, 0, 2n ** 60n]), 'MALFORMED', 'reqs[0].auxReq'],
    ['65 requests', [8, Array.from({ length: 65 }, () => [0, 3, CHT_KEY, 0, 0])], 'LIMIT', 'reqs'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeGetHelperTrieProofs(enc(value)), code, field));
  }

  it('rejects truncated bytes and refuses to encode an unknown type or a wrong key length', () => {
    rejects(() => decodeGetHelperTrieProofs(enc(req([0, 3, CHT_KEY, 0, 0])).subarray(0, 9)), 'MALFORMED', 'payload');
    const r = { subType: 0 as const, sectionIdx: 3, key: CHT_KEY, fromLevel: 0, auxReq: 0 };
    rejects(() => encodeGetHelperTrieProofs({ reqID: 1n, reqs: [{ ...r, subType: 5 as never }] }), 'UNSUPPORTED', 'reqs[0].subType');
    rejects(() => encodeGetHelperTrieProofs({ reqID: 1n, reqs: [{ ...r, key: BLOOM_KEY }] }), 'MALFORMED', 'reqs[0].key');
    rejects(() => encodeGetHelperTrieProofs({ reqID: 1n, reqs: Array.from({ length: 65 }, () => r) }), 'LIMIT', 'reqs');
  });
});

describe('HelperTrieProofs', () => {
  /** A CHT-like plain trie (unhashed 8-byte keys), proof from @ethereumjs/trie. */
  let proof: Uint8Array[];
  let root: Uint8Array;
  before(async () => {
    const trie = new Trie();
    for (let n = 0; n < 50; n++) {
      const key = new Uint8Array(8);
      new DataView(key.buffer).setBigUint64(0, BigInt(n * 1000));
      await trie.put(key, enc([new Uint8Array(32).fill(n), n * 17]));
    }
    const key = new Uint8Array(8);
    new DataView(key.buffer).setBigUint64(0, 7000n);
    proof = await trie.createProof(key);
    root = trie.root();
  });

  it('reads the spec layout [reqID, BV, [[node, ...], [auxData, ...]]]: nodes raw, the header as a byte string', () => {
    const wire = enc([8, 4321, [proof.map((n) => RLP.decode(n)), [GENESIS_HEADER]]]);
    const msg = decodeHelperTrieProofs(wire);
    assert.deepEqual(msg, { reqID: 8n, bv: 4321, nodes: proof, auxData: [GENESIS_HEADER] });
    assert.deepEqual(keccak256(msg.nodes[0] as Uint8Array), root);
    assert.deepEqual(keccak256(msg.auxData[0] as Uint8Array), hex('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'));
  });

  it('encodes to the same layout and round-trips (including an empty answer)', () => {
    const msg: HelperTrieProofs = { reqID: 8n, bv: 4321, nodes: proof, auxData: [GENESIS_HEADER] };
    assert.deepEqual(encodeHelperTrieProofs(msg), enc([8, 4321, [proof.map((n) => RLP.decode(n)), [GENESIS_HEADER]]]));
    assert.deepEqual(decodeHelperTrieProofs(encodeHelperTrieProofs(msg)), msg);
    const empty: HelperTrieProofs = { reqID: 1n, bv: 0, nodes: [], auxData: [] };
    assert.deepEqual(decodeHelperTrieProofs(encodeHelperTrieProofs(empty)), empty);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['proofs of 1 item', [8, 1, [[]]], 'MALFORMED', 'proofs'],
    ['proofs that are bytes', [8, 1, hex('c0')], 'MALFORMED', 'proofs'],
    ['auxData given as a list (a raw header)', [8, 1, [[], [RLP.decode(GENESIS_HEADER)]]], 'MALFORMED', 'auxData[0]'],
    ['65 auxData', [8, 1, [[], Array.from({ length: 65 }, () => hex('01'))]], 'LIMIT', 'auxData'],
    ['a byte-string node that is not a list', [8, 1, [[hex('8180')], []]], 'MALFORMED', 'nodes[0]'],
    ['nodes that are bytes', [8, 1, [hex('01'), []]], 'MALFORMED', 'nodes'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeHelperTrieProofs(enc(value)), code, field));
  }

  it('rejects truncated bytes', () => {
    const wire = enc([8, 4321, [proof.map((n) => RLP.decode(n)), [GENESIS_HEADER]]]);
    rejects(() => decodeHelperTrieProofs(wire.subarray(0, wire.length - 1)), 'MALFORMED', 'payload');
  });
});
