import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ProtocolError } from '../../../src/wire/errors.js';
import {
  MAX_PROOF_NODES,
  type GetProofsV2,
  type ProofsV2,
  decodeGetProofsV2,
  decodeProofsV2,
  encodeGetProofsV2,
  encodeProofsV2,
} from '../../../src/wire/proofs.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const enc = (x: unknown) => RLP.encode(x as never);
const hash = (b: number) => new Uint8Array(32).fill(b);

function rejects(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

describe('GetProofsV2', () => {
  // go-ethereum's les ProofReq{BHash, AccKey, Key, FromLevel}: an account proof has AccKey empty.
  it("encodes an account proof as go-ethereum's ProofReq [blockHash, \"\", keccak(address), fromLevel]", () => {
    const wire = enc([7, [[hash(1), '', hash(2), 0]]]);
    const msg: GetProofsV2 = { reqID: 7n, reqs: [{ blockHash: hash(1), accountKey: hash(2), storageKey: new Uint8Array(0), fromLevel: 0 }] };
    assert.deepEqual(encodeGetProofsV2(msg), wire);
    assert.deepEqual(decodeGetProofsV2(wire), msg);
  });

  it("decodes les.md's account form [blockHash, keccak(address), \"\", fromLevel] to the same request", () => {
    const msg: GetProofsV2 = { reqID: 7n, reqs: [{ blockHash: hash(1), accountKey: hash(2), storageKey: new Uint8Array(0), fromLevel: 3 }] };
    assert.deepEqual(decodeGetProofsV2(enc([7, [[hash(1), hash(2), '', 3]]])), msg);
  });

  it('encodes a storage proof as [blockHash, keccak(address), keccak(slot), fromLevel]', () => {
    const wire = enc([8, [[hash(1), hash(2), hash(3), 2], [hash(1), '', hash(4), 0]]]);
    const msg: GetProofsV2 = {
      reqID: 8n,
      reqs: [
        { blockHash: hash(1), accountKey: hash(2), storageKey: hash(3), fromLevel: 2 },
        { blockHash: hash(1), accountKey: hash(4), storageKey: new Uint8Array(0), fromLevel: 0 },
      ],
    };
    assert.deepEqual(encodeGetProofsV2(msg), wire);
    assert.deepEqual(decodeGetProofsV2(wire), msg);
  });

  it('preimage extension: two trailing items, the address and the slot (empty for an account)', () => {
    const addr = new Uint8Array(20).fill(9);
    const wire = enc([9, [[hash(1), '', hash(2), 0, addr, ''], [hash(1), hash(2), hash(3), 0, addr, hash(5)]]]);
    const msg: GetProofsV2 = {
      reqID: 9n,
      reqs: [
        { blockHash: hash(1), accountKey: hash(2), storageKey: new Uint8Array(0), fromLevel: 0, address: addr },
        { blockHash: hash(1), accountKey: hash(2), storageKey: hash(3), fromLevel: 0, address: addr, slot: hash(5) },
      ],
    };
    assert.deepEqual(encodeGetProofsV2(msg), wire);
    assert.deepEqual(decodeGetProofsV2(wire), msg);
    rejects(() => encodeGetProofsV2({ reqID: 1n, reqs: [{ ...msg.reqs[1]!, slot: undefined }] }), 'MALFORMED', 'reqs[0].slot');
  });

  const req = (r: unknown[]) => [7, [r]];
  const bad: Array<[string, unknown, string, string]> = [
    ['a storage key of 31 bytes', req([hash(1), hash(2), new Uint8Array(31), 0]), 'MALFORMED', 'reqs[0].key'],
    ['an account key of 20 bytes (an address, not its hash)', req([hash(1), new Uint8Array(20), '', 0]), 'MALFORMED', 'reqs[0].accKey'],
    ['both keys empty', req([hash(1), '', '', 0]), 'MALFORMED', 'reqs[0]'],
    ['5 items', req([hash(1), '', hash(2), 0, new Uint8Array(20)]), 'MALFORMED', 'reqs[0]'],
    ['7 items', req([hash(1), '', hash(2), 0, new Uint8Array(20), '', '']), 'LIMIT', 'reqs[0]'],
    ['a 32-byte address preimage', req([hash(1), '', hash(2), 0, hash(3), '']), 'MALFORMED', 'reqs[0].address'],
    ['a slot preimage on an account proof', req([hash(1), '', hash(2), 0, new Uint8Array(20), hash(3)]), 'MALFORMED', 'reqs[0].slot'],
    ['no slot preimage on a storage proof', req([hash(1), hash(2), hash(3), 0, new Uint8Array(20), '']), 'MALFORMED', 'reqs[0].slot'],
    ['a block hash that is a list', req([[hash(1)], hash(2), '', 0]), 'MALFORMED', 'reqs[0].blockHash'],
    ['a request of 3 items', req([hash(1), hash(2), '']), 'MALFORMED', 'reqs[0]'],
    ['a fromLevel with a leading zero', req([hash(1), hash(2), '', hex('0001')]), 'MALFORMED', 'reqs[0].fromLevel'],
    ['65 requests', [7, Array.from({ length: 65 }, () => [hash(1), hash(2), '', 0])], 'LIMIT', 'reqs'],
    ['requests that are bytes', [7, hash(1)], 'MALFORMED', 'reqs'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeGetProofsV2(enc(value)), code, field));
  }

  it('rejects truncated bytes and refuses to encode 65 requests or a 20-byte storage key', () => {
    rejects(() => decodeGetProofsV2(enc([7, [[hash(1), hash(2), '', 0]]]).subarray(0, 50)), 'MALFORMED', 'payload');
    const r = { blockHash: hash(1), accountKey: hash(2), storageKey: new Uint8Array(0), fromLevel: 0 };
    rejects(() => encodeGetProofsV2({ reqID: 1n, reqs: Array.from({ length: 65 }, () => r) }), 'LIMIT', 'reqs');
    rejects(() => encodeGetProofsV2({ reqID: 1n, reqs: [{ ...r, storageKey: new Uint8Array(20) }] }), 'MALFORMED', 'reqs[0].storageKey');
  });
});

describe('ProofsV2', () => {
  /** A real Merkle-Patricia proof from @ethereumjs/trie (secure-keyed like the state trie). */
  let proof: Uint8Array[];
  let root: Uint8Array;
  before(async () => {
    const trie = new Trie({ useKeyHashing: true });
    for (let i = 0; i < 64; i++) await trie.put(Uint8Array.of(i), new Uint8Array(40).fill(i + 1));
    proof = await trie.createProof(Uint8Array.of(7));
    root = trie.root();
  });

  it('reads nodes embedded as RLP lists (reference server) to their encodings: the first hashes to the root', () => {
    const wire = enc([9, 1234, proof.map((n) => RLP.decode(n))]);
    const msg = decodeProofsV2(wire);
    assert.deepEqual(msg, { reqID: 9n, bv: 1234, nodes: proof });
    assert.ok(proof.length >= 2);
    assert.deepEqual(keccak256(msg.nodes[0] as Uint8Array), root);
  });

  it('reads nodes sent as byte strings holding the encoding to the same nodes', () => {
    assert.deepEqual(decodeProofsV2(enc([9, 1234, proof])).nodes, proof);
  });

  it('encodes nodes raw: the spec layout [reqID, BV, [node, ...]] with each node the list it is', () => {
    const msg: ProofsV2 = { reqID: 9n, bv: 1234, nodes: proof };
    assert.deepEqual(encodeProofsV2(msg), enc([9, 1234, proof.map((n) => RLP.decode(n))]));
    assert.deepEqual(decodeProofsV2(encodeProofsV2(msg)), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['a byte-string node that is not RLP', [9, 1, [hex('8100')]], 'MALFORMED', 'nodes[0]'],
    ['a byte-string node that is RLP bytes, not a list', [9, 1, [enc(hex('01020304'))]], 'MALFORMED', 'nodes[0]'],
    ['an empty byte-string node', [9, 1, ['']], 'MALFORMED', 'nodes[0]'],
    ['nodes that are bytes', [9, 1, hex('c0')], 'MALFORMED', 'nodes'],
    [`${MAX_PROOF_NODES + 1} nodes`, [9, 1, Array.from({ length: MAX_PROOF_NODES + 1 }, () => [])], 'LIMIT', 'nodes'],
    ['a BV that is a list', [9, [], []], 'MALFORMED', 'bv'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeProofsV2(enc(value)), code, field));
  }

  it('rejects truncated bytes', () => {
    const wire = enc([9, 1234, proof.map((n) => RLP.decode(n))]);
    rejects(() => decodeProofsV2(wire.subarray(0, wire.length - 5)), 'MALFORMED', 'payload');
  });

  it('refuses to encode a node that is not one whole RLP list', () => {
    rejects(() => encodeProofsV2({ reqID: 1n, bv: 0, nodes: [hex('83646f67')] }), 'MALFORMED', 'nodes[0]');
    const n = proof[0] as Uint8Array;
    rejects(() => encodeProofsV2({ reqID: 1n, bv: 0, nodes: [n.subarray(0, n.length - 1)] }), 'MALFORMED', 'nodes[0]');
  });
});
