import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/wire/errors.js';
import {
  type SendTxV2,
  type TxStatus,
  canonicalFromWire,
  decodeGetTxStatus,
  decodeSendTxV2,
  decodeTxStatus,
  encodeGetTxStatus,
  encodeSendTxV2,
  encodeTxStatus,
  wireEncodingOfCanonical,
} from '../../../src/wire/tx.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const enc = (x: unknown) => RLP.encode(x as never);
const hash = (b: number) => new Uint8Array(32).fill(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

function rejects(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

/** EIP-155's signed example transaction (legacy). */
const LEGACY = hex(
  'f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
);
/** An EIP-2930 envelope: type 0x01 then an RLP list (contents irrelevant to the wire layer). */
const TYPED = Uint8Array.from([0x01, ...enc([hex('01'), hex('02')])]);

describe('canonical form ⇄ wire item', () => {
  it('a legacy item is a list whose encoding is the canonical form; a typed one a byte string kept as is', () => {
    assert.deepEqual(canonicalFromWire(RLP.decode(LEGACY) as never, 'T', 'x'), LEGACY);
    assert.deepEqual(canonicalFromWire(TYPED, 'T', 'x'), TYPED);
    assert.deepEqual(wireEncodingOfCanonical(LEGACY, 'T', 'x'), LEGACY);
    assert.deepEqual(wireEncodingOfCanonical(TYPED, 'T', 'x'), enc(TYPED));
  });

  it('refuses a byte string that is not a typed envelope (empty, or type byte above 0x7f)', () => {
    rejects(() => canonicalFromWire(new Uint8Array(0), 'T', 'x'), 'MALFORMED', 'x');
    rejects(() => canonicalFromWire(hex('80'), 'T', 'x'), 'MALFORMED', 'x');
    rejects(() => canonicalFromWire(undefined, 'T', 'x'), 'MALFORMED', 'x');
    rejects(() => wireEncodingOfCanonical(hex('b0'), 'T', 'x'), 'MALFORMED', 'x');
    rejects(() => wireEncodingOfCanonical(new Uint8Array(0), 'T', 'x'), 'MALFORMED', 'x');
  });
});

describe('SendTxV2', () => {
  const wire = enc([4, [RLP.decode(LEGACY), TYPED]]);
  const msg: SendTxV2 = { reqID: 4n, txs: [LEGACY, TYPED] };

  it('matches the spec layout [reqID, [txdata, ...]] in wire form', () => {
    assert.deepEqual(encodeSendTxV2(msg), wire);
    assert.deepEqual(decodeSendTxV2(wire), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['65 transactions', [4, Array.from({ length: 65 }, () => TYPED)], 'LIMIT', 'txs'],
    ['transactions that are bytes', [4, TYPED], 'MALFORMED', 'txs'],
    ['a typed tx with type 0xb8', [4, [hex('b8')]], 'MALFORMED', 'txs[0]'],
    ['an empty transaction', [4, [new Uint8Array(0)]], 'MALFORMED', 'txs[0]'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeSendTxV2(enc(value)), code, field));
  }

  it('rejects truncated bytes and refuses to encode 65 transactions', () => {
    rejects(() => decodeSendTxV2(wire.subarray(0, 40)), 'MALFORMED', 'payload');
    rejects(() => encodeSendTxV2({ reqID: 1n, txs: Array.from({ length: 65 }, () => TYPED) }), 'LIMIT', 'txs');
  });
});

describe('GetTxStatus', () => {
  it('matches the spec layout [reqID, [txHash, ...]]', () => {
    const wire = enc([5, [hash(1), hash(2)]]);
    assert.deepEqual(encodeGetTxStatus({ reqID: 5n, hashes: [hash(1), hash(2)] }), wire);
    assert.deepEqual(decodeGetTxStatus(wire), { reqID: 5n, hashes: [hash(1), hash(2)] });
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['257 hashes', [5, Array.from({ length: 257 }, () => hash(1))], 'LIMIT', 'hashes'],
    ['a hash of 31 bytes', [5, [new Uint8Array(31)]], 'MALFORMED', 'hashes[0]'],
    ['a hash that is a list', [5, [[]]], 'MALFORMED', 'hashes[0]'],
    ['a reqID with a leading zero', [hex('0005'), []], 'MALFORMED', 'reqID'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeGetTxStatus(enc(value)), code, field));
  }

  it('accepts 256 hashes and rejects truncated bytes', () => {
    assert.equal(decodeGetTxStatus(enc([5, Array.from({ length: 256 }, () => hash(3))])).hashes.length, 256);
    rejects(() => decodeGetTxStatus(enc([5, [hash(1)]]).subarray(0, 30)), 'MALFORMED', 'payload');
  });
});

describe('TxStatus', () => {
  const lookup = { blockHash: hash(9), blockNumber: 100, txIndex: 2 };
  const typed: TxStatus = {
    reqID: 6n,
    bv: 1000,
    statuses: [
      { status: 0 },
      { status: 1 },
      { status: 2 },
      { status: 3, lookup },
      { status: 4, error: 'insufficient funds for gas * price + value' },
    ],
  };
  // The spec: [status, data], data = rlp([blockHash, blockNumber, txIndex]) for included, the message for error.
  const specWire = enc([
    6,
    1000,
    [[0, ''], [1, ''], [2, ''], [3, enc([hash(9), 100, 2])], [4, utf8('insufficient funds for gas * price + value')]],
  ]);

  it("encodes the spec's shape [status, data] and decodes it", () => {
    assert.deepEqual(encodeTxStatus(typed), specWire);
    assert.deepEqual(decodeTxStatus(specWire), typed);
  });

  it("decodes the reference server's shape [status, lookup or [], error], a failed send being Unknown + error", () => {
    const refWire = enc([
      6,
      1000,
      [[0, [], ''], [1, [], ''], [2, [], ''], [3, [hash(9), 100, 2], ''], [0, [], 'insufficient funds for gas * price + value']],
    ]);
    assert.deepEqual(decodeTxStatus(refWire), typed);
  });

  it('decodes both shapes mixed in one reply, and an empty reply', () => {
    assert.deepEqual(decodeTxStatus(enc([1, 2, [[3, [hash(9), 100, 2], ''], [0, '']]])).statuses, [{ status: 3, lookup }, { status: 0 }]);
    assert.deepEqual(decodeTxStatus(enc([1, 2, []])), { reqID: 1n, bv: 2, statuses: [] });
  });

  const entry = (e: unknown) => [6, 1, [e]];
  const bad: Array<[string, unknown, string, string]> = [
    ['status 5', entry([5, '']), 'MALFORMED', 'statuses[0].status'],
    ['an entry of 1 item', entry([0]), 'MALFORMED', 'statuses[0]'],
    ['an entry of 4 items', entry([0, [], '', '']), 'MALFORMED', 'statuses[0]'],
    ['an entry that is bytes', entry(hex('00')), 'MALFORMED', 'statuses[0]'],
    ['spec: data that is a list', entry([3, [hash(9), 100, 2]]), 'MALFORMED', 'statuses[0].data'],
    ['spec: included with data that is not RLP', entry([3, hex('8100')]), 'MALFORMED', 'statuses[0].data'],
    ['spec: included with empty data', entry([3, '']), 'MALFORMED', 'statuses[0].data'],
    ['spec: included with a 2-item lookup', entry([3, enc([hash(9), 100])]), 'MALFORMED', 'statuses[0].data'],
    ['spec: included with a 31-byte block hash', entry([3, enc([new Uint8Array(31), 100, 2])]), 'MALFORMED', 'statuses[0].data.blockHash'],
    ['spec: included with a non-canonical block number', entry([3, enc([hash(9), hex('0064'), 2])]), 'MALFORMED', 'statuses[0].data.blockNumber'],
    ['reference: a lookup that is bytes', entry([3, hash(9), '']), 'MALFORMED', 'statuses[0].lookup'],
    ['reference: an error that is a list', entry([0, [], []]), 'MALFORMED', 'statuses[0].error'],
    ['reference: a lookup with status pending', entry([2, [hash(9), 100, 2], '']), 'MALFORMED', 'statuses[0].lookup'],
    ['reference: included without a lookup', entry([3, [], '']), 'MALFORMED', 'statuses[0].lookup'],
    ['reference: an error with status pending', entry([2, [], 'boom']), 'MALFORMED', 'statuses[0].error'],
    ['reference: a lookup of 31-byte hash', entry([3, [new Uint8Array(31), 100, 2], '']), 'MALFORMED', 'statuses[0].lookup.blockHash'],
    ['257 entries', [6, 1, Array.from({ length: 257 }, () => [0, ''])], 'LIMIT', 'statuses'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeTxStatus(enc(value)), code, field));
  }

  it('rejects truncated bytes', () => rejects(() => decodeTxStatus(specWire.subarray(0, specWire.length - 2)), 'MALFORMED', 'payload'));

  it('refuses to encode Included without a lookup, or an unknown status', () => {
    rejects(() => encodeTxStatus({ reqID: 1n, bv: 0, statuses: [{ status: 3 }] }), 'MALFORMED', 'statuses[0].lookup');
    rejects(() => encodeTxStatus({ reqID: 1n, bv: 0, statuses: [{ status: 7 as never }] }), 'MALFORMED', 'statuses[0].status');
  });
});
