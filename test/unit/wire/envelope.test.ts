import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import {
  encodeReplyEnvelope,
  encodeRequestEnvelope,
  peekReqId,
  readReplyEnvelope,
  readRequestEnvelope,
} from '../../../src/wire/envelope.js';
import { ProtocolError } from '../../../src/wire/errors.js';
import { type RlpItem, decodeRlp } from '../../../src/wire/rlp.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const enc = (x: unknown) => RLP.encode(x as never);
const item = (x: unknown): RlpItem => decodeRlp(enc(x), 'T');

function rejects(fn: () => unknown, code: string, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

describe('request/reply envelope', () => {
  it('peekReqId reads the reqID of a request and of a reply without reading the rest', () => {
    assert.equal(peekReqId(item([42, [1, 2, 3]]), 'T'), 42n);
    assert.equal(peekReqId(item([0xffffffffffffffffn, 7, hex('ff')]), 'T'), 0xffffffffffffffffn);
    assert.equal(peekReqId(item([0, ['anything', [[]]]]), 'T'), 0n);
  });

  const badPeek: Array<[string, unknown, string]> = [
    ['a message that is bytes', hex('2a'), 'message'],
    ['an empty list', [], 'message'],
    ['a reqID of 9 bytes', [hex('010000000000000000'), []], 'reqID'],
    ['a reqID that is a list', [[42], []], 'reqID'],
    ['a reqID with a leading zero', [hex('002a'), []], 'reqID'],
  ];
  for (const [what, value, field] of badPeek) {
    it(`peekReqId rejects ${what}`, () => rejects(() => peekReqId(item(value), 'BlockHeaders'), 'MALFORMED', field));
  }

  it('reads [reqID, data] and [reqID, BV, data], requiring exactly those items', () => {
    assert.deepEqual(readRequestEnvelope(item([5, [hex('01')]]), 'T'), { reqID: 5n, data: [hex('01')] });
    assert.deepEqual(readReplyEnvelope(item([5, 1000, []]), 'T'), { reqID: 5n, bv: 1000, data: [] });
    rejects(() => readRequestEnvelope(item([5, [], []]), 'T'), 'MALFORMED', 'message');
    rejects(() => readReplyEnvelope(item([5, []]), 'T'), 'MALFORMED', 'message');
    rejects(() => readReplyEnvelope(item([5, hex('0001'), []]), 'T'), 'MALFORMED', 'bv');
    rejects(() => readReplyEnvelope(item([5, 2n ** 53n, []]), 'T'), 'MALFORMED', 'bv');
  });

  it('encodes the envelope around pre-encoded data exactly as RLP of the whole list', () => {
    const data = enc([hex('aa'), [hex('bb')]]);
    assert.deepEqual(encodeRequestEnvelope(300n, data, 'T'), enc([300, [hex('aa'), [hex('bb')]]]));
    assert.deepEqual(encodeReplyEnvelope(0n, 96_000_000, data, 'T'), enc([0, 96_000_000, [hex('aa'), [hex('bb')]]]));
    const big = enc([new Uint8Array(100)]);
    assert.deepEqual(encodeReplyEnvelope(2n ** 64n - 1n, 1, big, 'T'), enc([2n ** 64n - 1n, 1, [new Uint8Array(100)]]));
  });

  it('refuses to encode a reqID outside 0..2^64-1 or a BV that is not an unsigned safe integer', () => {
    rejects(() => encodeRequestEnvelope(2n ** 64n, enc([]), 'T'), 'MALFORMED', 'reqID');
    rejects(() => encodeRequestEnvelope(-1n, enc([]), 'T'), 'MALFORMED', 'reqID');
    rejects(() => encodeReplyEnvelope(1n, -1, enc([]), 'T'), 'MALFORMED', 'bv');
    rejects(() => encodeReplyEnvelope(1n, 1.5, enc([]), 'T'), 'MALFORMED', 'bv');
  });
});
