import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/wire/errors.js';
import { MAX_MESSAGE_SIZE } from '../../../src/wire/limits.js';
import {
  MAX_RLP_DEPTH,
  MAX_RLP_ITEMS,
  type RlpItem,
  checkListEncoding,
  decodeNestedRlp,
  decodeRlp,
  encodeRawList,
  encodeRlp,
  encodeRlpBytes,
  readBytesList,
} from '../../../src/wire/rlp.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/^0x/, ''), 'hex'));
const ascii = (s: string) => new TextEncoder().encode(s);

function rejects(fn: () => unknown, code: string, field?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (field !== undefined) assert.equal(err.field, field, err.message);
    return true;
  });
}

/** Examples of the RLP definition (Ethereum yellow paper appendix B / ethereum.org RLP page). */
const SPEC_VECTORS: Array<[string, RlpItem, string]> = [
  ['the string "dog"', ascii('dog'), '83646f67'],
  ['the list ["cat", "dog"]', [ascii('cat'), ascii('dog')], 'c88363617483646f67'],
  ['the empty string', new Uint8Array(0), '80'],
  ['the empty list', [], 'c0'],
  ['the byte 0x00', hex('00'), '00'],
  ['the byte 0x0f', hex('0f'), '0f'],
  ['the bytes 0x0400 (integer 1024)', hex('0400'), '820400'],
  ['the set-theoretic three', [[], [[]], [[], [[]]]], 'c7c0c1c0c3c0c1c0'],
  [
    'a 56-byte string',
    ascii('Lorem ipsum dolor sit amet, consectetur adipisicing elit'),
    'b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974',
  ],
];

describe('RLP decoder and encoder', () => {
  for (const [what, item, encoding] of SPEC_VECTORS) {
    it(`decodes and encodes ${what} as the RLP definition gives`, () => {
      assert.deepEqual(decodeRlp(hex(encoding), 'T'), item);
      assert.deepEqual(encodeRlp(item), hex(encoding));
    });
  }

  const malformed: Array<[string, string]> = [
    ['a single byte below 0x80 with a string prefix', '8100'],
    ['a long-form string under 56 bytes', 'b80100'],
    ['a long-form list under 56 bytes', 'f80100'],
    ['a length with a leading zero', 'b9003800'],
    ['a string that runs past the end', '83646f'],
    ['a list that runs past the end', 'c883636174'],
    ['an item that runs past its list', 'c2836461'],
    ['trailing bytes after the item', '8361626300'],
    ['a long length prefix with no length bytes', 'b9'],
  ];
  for (const [what, encoding] of malformed) {
    it(`rejects ${what} as MALFORMED payload`, () => rejects(() => decodeRlp(hex(encoding), 'T'), 'MALFORMED', 'payload'));
  }

  it(`accepts ${MAX_RLP_DEPTH} nested lists and rejects one more`, () => {
    const lists = (n: number): RlpItem => (n === 1 ? [] : [lists(n - 1)]);
    assert.doesNotThrow(() => decodeRlp(RLP.encode(lists(MAX_RLP_DEPTH) as never), 'T'));
    rejects(() => decodeRlp(RLP.encode(lists(MAX_RLP_DEPTH + 1) as never), 'T'), 'MALFORMED', 'payload');
  });

  it(`rejects a message of more than ${MAX_RLP_ITEMS} items as TOO_LARGE, quickly`, () => {
    const n = MAX_RLP_ITEMS + 8;
    const data = new Uint8Array(4 + n);
    data.set([0xfa, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
    const t = performance.now();
    rejects(() => decodeRlp(data, 'T'), 'TOO_LARGE', 'payload');
    assert.ok(performance.now() - t < 5000, 'a hostile flat list is refused without building millions of objects');
  });

  it('rejects a payload over MAX_MESSAGE_SIZE before reading it', () => {
    rejects(() => decodeRlp(new Uint8Array(MAX_MESSAGE_SIZE + 1), 'T'), 'TOO_LARGE', 'payload');
  });

  it('returns fresh copies of byte strings (a later change to the payload does not leak in)', () => {
    const data = hex('c88363617483646f67');
    const [cat] = decodeRlp(data, 'T') as Uint8Array[];
    data[2] = 0x00;
    assert.deepEqual(cat, ascii('cat'));
  });

  it('names the field of nested RLP in its errors', () => {
    rejects(() => decodeNestedRlp(hex('8100'), 'TxStatus', 'statuses[0].data'), 'MALFORMED', 'statuses[0].data');
    rejects(() => decodeNestedRlp(new Uint8Array(0), 'TxStatus', 'statuses[0].data'), 'MALFORMED', 'statuses[0].data');
  });

  it('agrees with @ethereumjs/rlp on 20,000 random and mutated inputs', () => {
    let seed = 0x5eed1234;
    const rand = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const randomItem = (depth: number): RlpItem =>
      depth > 3 || rand() < 0.5
        ? Uint8Array.from({ length: Math.floor(rand() * (rand() < 0.2 ? 70 : 4)) }, () => Math.floor(rand() * 256))
        : Array.from({ length: Math.floor(rand() * 5) }, () => randomItem(depth + 1));
    for (let i = 0; i < 20_000; i++) {
      const item = randomItem(0);
      const reference = RLP.encode(item as never);
      assert.deepEqual(encodeRlp(item), reference);
      const data = reference.slice();
      if (i % 2 === 1 && data.length > 0) data[Math.floor(rand() * data.length)] = Math.floor(rand() * 256);
      let expected: unknown;
      try {
        expected = RLP.decode(data);
      } catch {
        expected = 'error';
      }
      let actual: unknown;
      try {
        actual = decodeRlp(data, 'T');
      } catch (err) {
        assert.ok(err instanceof ProtocolError);
        actual = 'error';
      }
      assert.deepEqual(actual, expected, `input ${Buffer.from(data).toString('hex')}`);
    }
  });

  it('encodes a list of 300,000 items (where @ethereumjs/rlp overflows the stack)', () => {
    const items = Array.from({ length: 300_000 }, () => Uint8Array.of(0x80));
    const enc = encodeRlp(items);
    assert.equal(enc.length, 4 + 2 * 300_000);
    assert.deepEqual(enc.subarray(0, 4), Uint8Array.of(0xfa, 0x09, 0x27, 0xc0));
  });
});

describe('RLP helpers for raw embedding', () => {
  it('encodeRawList gives what encoding the decoded items would give', () => {
    const items: RlpItem[] = [ascii('cat'), [ascii('dog')], new Uint8Array(60).fill(7)];
    assert.deepEqual(encodeRawList(items.map((x) => RLP.encode(x as never))), RLP.encode(items as never));
    assert.deepEqual(encodeRawList([]), hex('c0'));
  });

  it('encodeRlpBytes matches the RLP definition for short, single-byte and long strings', () => {
    for (const b of [new Uint8Array(0), hex('00'), hex('7f'), hex('80'), new Uint8Array(56).fill(1), new Uint8Array(70000)]) {
      assert.deepEqual(encodeRlpBytes(b), RLP.encode(b));
    }
  });

  it('checkListEncoding accepts whole lists and refuses strings, truncations and extensions', () => {
    const list = RLP.encode([new Uint8Array(60)] as never);
    assert.doesNotThrow(() => checkListEncoding(list, 'T', 'x'));
    assert.doesNotThrow(() => checkListEncoding(hex('c0'), 'T', 'x'));
    rejects(() => checkListEncoding(hex('83646f67'), 'T', 'x'), 'MALFORMED', 'x');
    rejects(() => checkListEncoding(list.subarray(0, list.length - 1), 'T', 'x'), 'MALFORMED', 'x');
    rejects(() => checkListEncoding(Uint8Array.from([...list, 0]), 'T', 'x'), 'MALFORMED', 'x');
    rejects(() => checkListEncoding(new Uint8Array(0), 'T', 'x'), 'MALFORMED', 'x');
  });

  it('readBytesList checks the count (LIMIT), each item is bytes and its length (MALFORMED)', () => {
    const h = new Uint8Array(32);
    assert.deepEqual(readBytesList([h, h], 'T', 'hashes', { max: 2, len: 32 }), [h, h]);
    rejects(() => readBytesList([h, h, h], 'T', 'hashes', { max: 2, len: 32 }), 'LIMIT', 'hashes');
    rejects(() => readBytesList([h, [h]], 'T', 'hashes', { len: 32 }), 'MALFORMED', 'hashes[1]');
    rejects(() => readBytesList([h, h.subarray(1)], 'T', 'hashes', { len: 32 }), 'MALFORMED', 'hashes[1]');
    rejects(() => readBytesList(h, 'T', 'hashes'), 'MALFORMED', 'hashes');
  });
});
