import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ProtocolError } from '../../../src/wire/errors.js';
import {
  type BlockHeaders,
  type GetBlockHeaders,
  blockHeadersFromRlp,
  decodeBlockHeaders,
  decodeGetBlockHeaders,
  encodeBlockHeaders,
  encodeGetBlockHeaders,
} from '../../../src/wire/headers.js';
import { decodeRlp } from '../../../src/wire/rlp.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

function rejects(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

/** Ethereum mainnet genesis header fields; its hash is the well-known d4e56740…8fa3. */
const MAINNET_GENESIS_HASH = hex('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3');
const EMPTY_TRIE = hex('56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
const genesisFields: Uint8Array[] = [
  new Uint8Array(32),
  hex('1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'),
  new Uint8Array(20),
  hex('d7f8974fb5ac78d9ac099b9ad5018bedc2ce0a72dad1827a1709da30580f0544'),
  EMPTY_TRIE,
  EMPTY_TRIE,
  new Uint8Array(256),
  hex('0400000000'),
  new Uint8Array(0),
  hex('1388'),
  new Uint8Array(0),
  new Uint8Array(0),
  hex('11bbe8db4e347b4e8c937c1c8370e4b5ed33adb3db69cbdb7a38e1e50b1b82fa'),
  new Uint8Array(32),
  hex('0000000000000042'),
];
/** A Cancun-shaped header: the 15 fields plus baseFee, withdrawalsRoot, blobGasUsed, excessBlobGas, parentBeaconRoot. */
const cancunFields = [...genesisFields, hex('07'), EMPTY_TRIE, new Uint8Array(0), new Uint8Array(0), new Uint8Array(32)];

const enc = (x: unknown) => RLP.encode(x as never);

describe('GetBlockHeaders', () => {
  it('matches the spec layout [reqID, [block, maxHeaders, skip, reverse]] with a hash origin', () => {
    const wire = enc([1, [MAINNET_GENESIS_HASH, 192, 0, 0]]);
    const msg: GetBlockHeaders = { reqID: 1n, origin: { hash: MAINNET_GENESIS_HASH }, amount: 192, skip: 0, reverse: false };
    assert.deepEqual(encodeGetBlockHeaders(msg), wire);
    assert.deepEqual(decodeGetBlockHeaders(wire), msg);
  });

  it('matches the spec layout with a number origin, skip and reverse', () => {
    const wire = enc([0x0102030405060708n, [17034870, 10, 3, 1]]);
    const msg: GetBlockHeaders = { reqID: 0x0102030405060708n, origin: { number: 17034870 }, amount: 10, skip: 3, reverse: true };
    assert.deepEqual(encodeGetBlockHeaders(msg), wire);
    assert.deepEqual(decodeGetBlockHeaders(wire), msg);
  });

  it('round-trips block 0, the largest safe number and the largest 64-bit reqID', () => {
    for (const msg of [
      { reqID: 0n, origin: { number: 0 }, amount: 0, skip: 0, reverse: false },
      { reqID: (1n << 64n) - 1n, origin: { number: Number.MAX_SAFE_INTEGER }, amount: 1, skip: 2 ** 40, reverse: true },
    ] satisfies GetBlockHeaders[]) {
      assert.deepEqual(decodeGetBlockHeaders(encodeGetBlockHeaders(msg)), msg);
    }
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['a message that is bytes', hex('01'), 'MALFORMED', 'message'],
    ['a missing query', [1], 'MALFORMED', 'message'],
    ['a query that is bytes', [1, hex('05')], 'MALFORMED', 'query'],
    ['a query of 3 items', [1, [5, 1, 0]], 'MALFORMED', 'query'],
    ['an origin of 33 bytes', [1, [new Uint8Array(33), 1, 0, 0]], 'MALFORMED', 'origin'],
    ['an origin of 9 bytes (neither hash nor 64-bit number)', [1, [hex('010203040506070809'), 1, 0, 0]], 'MALFORMED', 'origin'],
    ['an origin that is a list', [1, [[5], 1, 0, 0]], 'MALFORMED', 'origin'],
    ['a number origin with a leading zero', [1, [hex('0005'), 1, 0, 0]], 'MALFORMED', 'origin'],
    ['an amount over 192', [1, [5, 193, 0, 0]], 'LIMIT', 'amount'],
    ['an amount with a leading zero', [1, [5, hex('0005'), 0, 0]], 'MALFORMED', 'amount'],
    ['a skip that is a list', [1, [5, 1, [], 0]], 'MALFORMED', 'skip'],
    ['reverse = 2', [1, [5, 1, 0, 2]], 'MALFORMED', 'reverse'],
    ['a reqID of 9 bytes', [hex('010203040506070809'), [5, 1, 0, 0]], 'MALFORMED', 'reqID'],
    ['a reqID with a leading zero', [hex('0001'), [5, 1, 0, 0]], 'MALFORMED', 'reqID'],
    ['an extra envelope item', [1, [5, 1, 0, 0], 7], 'MALFORMED', 'message'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeGetBlockHeaders(enc(value)), code, field));
  }

  it('rejects truncated bytes as malformed RLP', () => {
    const wire = enc([1, [MAINNET_GENESIS_HASH, 192, 0, 0]]);
    rejects(() => decodeGetBlockHeaders(wire.subarray(0, wire.length - 1)), 'MALFORMED', 'payload');
  });

  it('refuses to encode a request over its limit or with a short hash', () => {
    rejects(() => encodeGetBlockHeaders({ reqID: 1n, origin: { number: 1 }, amount: 193, skip: 0, reverse: false }), 'LIMIT', 'amount');
    rejects(() => encodeGetBlockHeaders({ reqID: 1n, origin: { hash: new Uint8Array(31) }, amount: 1, skip: 0, reverse: false }), 'MALFORMED', 'origin');
    rejects(() => encodeGetBlockHeaders({ reqID: 1n, origin: { number: 1 }, amount: 1, skip: -1, reverse: false }), 'MALFORMED', 'skip');
    rejects(() => encodeGetBlockHeaders({ reqID: 1n << 64n, origin: { number: 1 }, amount: 1, skip: 0, reverse: false }), 'MALFORMED', 'reqID');
  });
});

describe('BlockHeaders', () => {
  const wire = enc([7, 96_000_000, [genesisFields, cancunFields]]);

  it('carries the mainnet genesis header byte-exact: its keccak is the mainnet genesis hash', () => {
    const msg = decodeBlockHeaders(wire);
    assert.equal(msg.reqID, 7n);
    assert.equal(msg.bv, 96_000_000);
    assert.equal(msg.headers.length, 2);
    assert.deepEqual(keccak256(msg.headers[0] as Uint8Array), MAINNET_GENESIS_HASH);
  });

  it('encodes the spec layout [reqID, BV, [header, ...]] with each header embedded as its list', () => {
    const msg: BlockHeaders = { reqID: 7n, bv: 96_000_000, headers: [enc(genesisFields), enc(cancunFields)] };
    assert.deepEqual(encodeBlockHeaders(msg), wire);
    assert.deepEqual(blockHeadersFromRlp(decodeRlp(wire, 'BlockHeaders')), msg);
  });

  it('round-trips an empty reply', () => {
    const msg: BlockHeaders = { reqID: 1n, bv: 0, headers: [] };
    assert.deepEqual(decodeBlockHeaders(encodeBlockHeaders(msg)), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['a header of 14 fields', [7, 1, [genesisFields.slice(0, 14)]], 'MALFORMED', 'headers[0]'],
    ['a header of 25 fields', [7, 1, [[...cancunFields, ...genesisFields.slice(0, 5)]]], 'MALFORMED', 'headers[0]'],
    ['a header field that is a list', [7, 1, [genesisFields.map((f, i) => (i === 3 ? [f] : f))]], 'MALFORMED', 'headers[0][3]'],
    ['a header that is bytes', [7, 1, [enc(genesisFields)]], 'MALFORMED', 'headers[0]'],
    ['headers that are bytes', [7, 1, hex('00')], 'MALFORMED', 'headers'],
    ['193 headers', [7, 1, Array.from({ length: 193 }, () => genesisFields)], 'LIMIT', 'headers'],
    ['a BV with a leading zero', [7, hex('0001'), []], 'MALFORMED', 'bv'],
    ['a BV over 2^53-1', [7, 2n ** 53n, []], 'MALFORMED', 'bv'],
    ['a missing BV', [7, []], 'MALFORMED', 'message'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeBlockHeaders(enc(value)), code, field));
  }

  it('rejects truncated and extended bytes', () => {
    rejects(() => decodeBlockHeaders(wire.subarray(0, 100)), 'MALFORMED', 'payload');
    rejects(() => decodeBlockHeaders(Uint8Array.from([...wire, 0x80])), 'MALFORMED', 'payload');
  });

  it('refuses to encode a header that is not one whole RLP list', () => {
    const h = enc(genesisFields);
    rejects(() => encodeBlockHeaders({ reqID: 1n, bv: 0, headers: [h.subarray(0, h.length - 1)] }), 'MALFORMED', 'headers[0]');
    rejects(() => encodeBlockHeaders({ reqID: 1n, bv: 0, headers: [hex('8100')] }), 'MALFORMED', 'headers[0]');
  });
});
