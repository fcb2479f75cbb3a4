import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/wire/errors.js';
import {
  type GetReceipts,
  type Receipts,
  decodeGetReceipts,
  decodeReceipts,
  encodeGetReceipts,
  encodeReceipts,
  receiptsFromRlp,
} from '../../../src/wire/receipts.js';
import { decodeRlp } from '../../../src/wire/rlp.js';

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

// Receipt fields per the yellow paper / EIP-658: [status, cumulativeGasUsed, logsBloom, [[address, [topic...], data]...]].
const log = [new Uint8Array(20).fill(0x11), [hash(0xdd), hash(0xee)], hex('00000000000000000000000000000000000000000000000000000000000003e8')];
const legacyReceipt = [hex('01'), hex('5208'), new Uint8Array(256), [log]];
/** EIP-2718 typed receipt: the type byte (2, EIP-1559) followed by the RLP of the same four fields. */
const typedReceipt = Uint8Array.from([0x02, ...enc([hex('01'), hex('a410'), new Uint8Array(256), []])]);

describe('GetReceipts', () => {
  it('matches the spec layout [reqID, [hash, ...]]', () => {
    const wire = enc([12, [hash(1)]]);
    const msg: GetReceipts = { reqID: 12n, hashes: [hash(1)] };
    assert.deepEqual(encodeGetReceipts(msg), wire);
    assert.deepEqual(decodeGetReceipts(wire), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['129 hashes', [12, Array.from({ length: 129 }, () => hash(1))], 'LIMIT', 'hashes'],
    ['a hash of 33 bytes', [12, [new Uint8Array(33)]], 'MALFORMED', 'hashes[0]'],
    ['hashes that are bytes', [12, hash(1)], 'MALFORMED', 'hashes'],
    ['a missing hash list', [12], 'MALFORMED', 'message'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeGetReceipts(enc(value)), code, field));
  }

  it('accepts 128 hashes, refuses to encode 129, rejects truncated bytes', () => {
    assert.equal(decodeGetReceipts(enc([1, Array.from({ length: 128 }, () => hash(2))])).hashes.length, 128);
    rejects(() => encodeGetReceipts({ reqID: 1n, hashes: Array.from({ length: 129 }, () => hash(1)) }), 'LIMIT', 'hashes');
    rejects(() => decodeGetReceipts(enc([12, [hash(1)]]).subarray(0, 10)), 'MALFORMED', 'payload');
  });
});

describe('Receipts', () => {
  const wire = enc([12, 777, [[legacyReceipt, typedReceipt], []]]);

  it('holds receipts in canonical form: legacy = RLP of its list, typed = type ‖ rlp(...)', () => {
    const msg = receiptsFromRlp(decodeRlp(wire, 'Receipts'));
    assert.deepEqual(msg, { reqID: 12n, bv: 777, receipts: [[enc(legacyReceipt), typedReceipt], []] });
  });

  it('encodes back to the spec layout [reqID, BV, [[receipt, ...], ...]] in wire form', () => {
    const msg: Receipts = { reqID: 12n, bv: 777, receipts: [[enc(legacyReceipt), typedReceipt], []] };
    assert.deepEqual(encodeReceipts(msg), wire);
    assert.deepEqual(decodeReceipts(encodeReceipts(msg)), msg);
  });

  const bad: Array<[string, unknown, string, string]> = [
    ['a block entry that is bytes', [12, 1, [hex('01')]], 'MALFORMED', 'receipts[0]'],
    ['a typed receipt with type byte 0xc5 as bytes', [12, 1, [[hex('c5')]]], 'MALFORMED', 'receipts[0][0]'],
    ['an empty receipt byte string', [12, 1, [[legacyReceipt, new Uint8Array(0)]]], 'MALFORMED', 'receipts[0][1]'],
    ['129 block entries', [12, 1, Array.from({ length: 129 }, () => [])], 'LIMIT', 'receipts'],
    ['receipts that are bytes', [12, 1, hex('00')], 'MALFORMED', 'receipts'],
    ['a reqID of 9 bytes', [hex('ff0000000000000000'), 1, []], 'MALFORMED', 'reqID'],
  ];
  for (const [what, value, code, field] of bad) {
    it(`rejects ${what}`, () => rejects(() => decodeReceipts(enc(value)), code, field));
  }

  it('rejects truncated bytes', () => rejects(() => decodeReceipts(wire.subarray(0, wire.length - 1)), 'MALFORMED', 'payload'));
});
