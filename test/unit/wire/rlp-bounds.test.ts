// The bounded decoder's per-call bounds (items, depth, bytes), its allocation-free first pass, and
// decodeListPrefix, which reads a reply's reqID without decoding the rest.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/wire/errors.js';
import { MAX_RLP_ITEMS, decodeListPrefix, decodeNestedRlp, decodeRlp } from '../../../src/wire/rlp.js';
import { BOMB_ITEMS, deepList, wideList } from '../../helpers/rlp-bombs.js';

function rejects(fn: () => unknown, code: string, detail?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (detail !== undefined) assert.match(err.message, detail);
    return true;
  });
}

describe('bounded RLP decoding', () => {
  it('maxItems counts every item, the outer list included', () => {
    const ten = wideList(9); // the list and its 9 items
    assert.equal((decodeRlp(ten, 'T', { maxItems: 10 }) as Uint8Array[]).length, 9);
    rejects(() => decodeRlp(ten, 'T', { maxItems: 9 }), 'TOO_LARGE', /more than 9 RLP items/);
  });

  it('maxDepth counts levels of lists: 1 allows a flat list, 0 only a byte string', () => {
    assert.deepEqual(decodeRlp(deepList(1), 'T', { maxDepth: 1 }), []);
    rejects(() => decodeRlp(deepList(2), 'T', { maxDepth: 1 }), 'MALFORMED', /nested deeper than 1/);
    rejects(() => decodeNestedRlp(deepList(1), 'T', 'f', { maxDepth: 0 }), 'MALFORMED', /nested deeper than 0/);
    assert.deepEqual(decodeNestedRlp(Uint8Array.of(0x05), 'T', 'f', { maxDepth: 0 }), Uint8Array.of(5));
  });

  it('maxBytes refuses a larger input before reading it', () => {
    rejects(() => decodeNestedRlp(wideList(100), 'T', 'f', { maxBytes: 100 }), 'TOO_LARGE', /102 bytes exceeds 100/);
  });

  it('bounds never exceed the message-wide caps', () => {
    rejects(() => decodeRlp(wideList(MAX_RLP_ITEMS), 'T', { maxItems: 10 * MAX_RLP_ITEMS }), 'TOO_LARGE');
  });

  it(`refuses a ${BOMB_ITEMS.toLocaleString('en')}-item list having allocated no items (RSS +<16 MiB; the one-pass decoder held ~150 MiB)`, () => {
    const bomb = wideList(BOMB_ITEMS);
    const rss0 = process.memoryUsage().rss;
    rejects(() => decodeRlp(bomb, 'T'), 'TOO_LARGE');
    const grew = process.memoryUsage().rss - rss0;
    assert.ok(grew < 16 * 2 ** 20, `RSS grew by ${(grew / 2 ** 20).toFixed(0)} MiB`);
  });

  it('a valid input decodes as @ethereumjs/rlp decodes it after the checking pass', () => {
    const item = [Uint8Array.of(1), [Uint8Array.from(Buffer.alloc(60, 7)), []], new Uint8Array(0)];
    const enc = RLP.encode(item);
    assert.deepEqual(decodeRlp(enc, 'T'), RLP.decode(enc));
  });
});

describe('decodeListPrefix', () => {
  // A reply [reqID, BV, data] whose data is 9.5 MiB of single bytes, with a broken tail.
  const reqID = Uint8Array.of(0x12, 0x34);
  const bv = Uint8Array.of(0x55);
  const tail = new Uint8Array(Math.floor(9.5 * 2 ** 20)).fill(1);
  tail[tail.length - 1] = 0xb9; // a string head that runs past the end: the whole message is malformed
  const body = new Uint8Array(RLP.encode(reqID).length + 1 + tail.length);
  body.set(RLP.encode(reqID), 0);
  body[3] = 0x55;
  body.set(tail, 4);
  const message = Uint8Array.from([0xfa, (body.length >> 16) & 255, (body.length >> 8) & 255, body.length & 255, ...body]);

  it('reads the first items of a list without touching the rest', () => {
    assert.throws(() => decodeRlp(message, 'T'), ProtocolError);
    const [a, b] = decodeListPrefix(message, 'T', 2);
    assert.deepEqual(a, reqID);
    assert.deepEqual(b, bv);
  });

  it('refuses bytes that are not a list, and a list whose declared length is not the input length', () => {
    rejects(() => decodeListPrefix(Uint8Array.of(0x82, 1, 2), 'T', 1), 'MALFORMED', /not a list/);
    rejects(() => decodeListPrefix(Uint8Array.of(0xc2, 1, 2, 3), 'T', 1), 'MALFORMED', /declares 3 bytes, have 4/);
    rejects(() => decodeListPrefix(Uint8Array.of(0xc3, 1, 2), 'T', 1), 'MALFORMED', /declares 4 bytes, have 3/);
    rejects(() => decodeListPrefix(new Uint8Array(0), 'T', 1), 'MALFORMED');
  });

  it('gives fewer items for a shorter list, and a big list where a scalar belongs costs a small budget', () => {
    assert.deepEqual(decodeListPrefix(Uint8Array.of(0xc1, 7), 'T', 3), [Uint8Array.of(7)]);
    const nested = wideList(100_000);
    const len = nested.length;
    const msg = Uint8Array.from([0xfa, (len >> 16) & 255, (len >> 8) & 255, len & 255, ...nested]);
    rejects(() => decodeListPrefix(msg, 'T', 1), 'TOO_LARGE', /more than 256 RLP items/);
  });
});
