import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { type Announce } from '../../../src/wire/announce.js';
import { Code, REPLY_OF } from '../../../src/wire/codes.js';
import { ProtocolError } from '../../../src/wire/errors.js';
import { MESSAGES, type MessageTypes, codecOf } from '../../../src/wire/messages.js';
import type { GetProofsV2 } from '../../../src/wire/proofs.js';
import { decodeRlp } from '../../../src/wire/rlp.js';
import type { Status } from '../../../src/wire/status.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const enc = (x: unknown) => RLP.encode(x as never);
const hash = (b: number) => new Uint8Array(32).fill(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('message table', () => {
  it('has exactly one row per code of codes.ts, with the spec codes (DESIGN §4)', () => {
    const spec: Record<string, number> = {
      Status: 0x00, Announce: 0x01, GetBlockHeaders: 0x02, BlockHeaders: 0x03, GetBlockBodies: 0x04, BlockBodies: 0x05,
      GetReceipts: 0x06, Receipts: 0x07, GetContractCodes: 0x0a, ContractCodes: 0x0b, GetProofsV2: 0x0f, ProofsV2: 0x10,
      GetHelperTrieProofs: 0x11, HelperTrieProofs: 0x12, SendTxV2: 0x13, GetTxStatus: 0x14, TxStatus: 0x15, StopMsg: 0x16,
      ResumeMsg: 0x17,
      // The beacon extension (wire/beacon.ts), on les/1's retired GetProofs/Proofs codes.
      GetBeaconLightClient: 0x08, BeaconLightClient: 0x09,
    };
    assert.deepEqual(Object.fromEntries(MESSAGES.map((m) => [m.name, m.code])), spec);
    assert.equal(new Set(MESSAGES.map((m) => m.code)).size, MESSAGES.length);
    for (const [name, code] of Object.entries(Code)) assert.equal(codecOf(code)?.name, name);
  });

  it('has no codec for les/1 codes (but the two the beacon extension took over) or codes past the message space', () => {
    for (const code of [0x0c, 0x0d, 0x0e, 0x18, 0xff]) assert.equal(codecOf(code), undefined);
  });

  it('marks requests, replies and the rest as the spec does, with the per-request limits of DESIGN §4', () => {
    const limits: Record<number, number> = { 0x02: 192, 0x04: 32, 0x06: 128, 0x08: 4, 0x0a: 64, 0x0f: 64, 0x11: 64, 0x13: 64, 0x14: 256 };
    const replies = [0x03, 0x05, 0x07, 0x09, 0x0b, 0x10, 0x12, 0x15];
    for (const m of MESSAGES) {
      const expected = m.code in limits ? 'request' : replies.includes(m.code) ? 'reply' : 'other';
      assert.equal(m.kind, expected, m.name);
      assert.equal(m.limit, limits[m.code], m.name);
      if (m.kind === 'request') assert.ok(replies.includes(REPLY_OF.get(m.code) ?? -1), m.name);
    }
  });

  it('types codecOf by its code', () => {
    const msg: GetProofsV2 = codecOf(Code.GetProofsV2).decode(enc([7, [[hash(1), hash(2), '', 0]]]));
    assert.equal(msg.reqs[0]?.fromLevel, 0);
  });
});

const status: Status = {
  protocolVersion: 4,
  networkId: 1n,
  headTd: 58750003716598352816469n,
  headHash: hash(1),
  headNum: 17034870,
  genesisHash: hex('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'),
  forkID: { hash: hex('dce96c2d'), next: 0n },
  announceType: 2,
  unknown: [],
};
const simpleAnnounce: Announce = { headHash: hash(5), headNumber: 17034871, headTd: 58750003716598352816469n, reorgDepth: 0, updates: [] };
const signedAnnounce: Announce = { ...simpleAnnounce, reorgDepth: 1, signature: new Uint8Array(65).fill(7), updates: [{ key: 'serveStateSince', value: hex('05') }] };

/** The messages without an envelope, through the table. (Request and reply codecs are covered in their own files.) */
describe('Status, Announce, StopMsg and ResumeMsg through the table', () => {
  const samples: Array<[string, { [N in keyof MessageTypes]: [N, MessageTypes[N]] }[keyof MessageTypes]]> = [
    ['Status', ['Status', status]],
    ['a simple Announce', ['Announce', simpleAnnounce]],
    ['a signed Announce', ['Announce', signedAnnounce]],
    ['StopMsg', ['StopMsg', undefined]],
    ['ResumeMsg', ['ResumeMsg', { bv: 96_000_000 }]],
  ];
  for (const [what, [name, value]] of samples) {
    it(`round-trips ${what}, and fromRlp agrees with decode`, () => {
      const codec = codecOf(Code[name]) as { encode(v: unknown): Uint8Array; decode(d: Uint8Array): unknown; fromRlp(i: unknown): unknown };
      const bytes = codec.encode(value);
      assert.deepEqual(codec.decode(bytes), value);
      assert.deepEqual(codec.fromRlp(decodeRlp(bytes, name)), value);
    });
  }

  for (const [what, [name, value]] of samples) {
    it(`rejects ${what} truncated or extended by a byte as MALFORMED payload`, () => {
      const codec = codecOf(Code[name]) as { encode(v: unknown): Uint8Array; decode(d: Uint8Array): unknown };
      const bytes = codec.encode(value);
      // StopMsg is the one byte 0xc0: cut, it is an empty payload, which still means "stop".
      if (name === 'StopMsg') assert.equal(codec.decode(new Uint8Array(0)), undefined);
      const truncated = name === 'StopMsg' ? [] : [bytes.subarray(0, bytes.length - 1)];
      for (const bad of [...truncated, Uint8Array.from([...bytes, 0x01])]) {
        assert.throws(() => codec.decode(bad), (err: unknown) => err instanceof ProtocolError && err.code === 'MALFORMED' && err.field === 'payload');
      }
    });
  }

  it('Status follows the spec layout [[key, value], ...] (hand-written from the spec)', () => {
    const wire = enc([
      [utf8('protocolVersion'), 4],
      [utf8('networkId'), 1],
      [utf8('headTd'), 58750003716598352816469n],
      [utf8('headHash'), hash(1)],
      [utf8('headNum'), 17034870],
      [utf8('genesisHash'), hex('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3')],
      [utf8('forkID'), [hex('dce96c2d'), 0]],
      [utf8('announceType'), 2],
    ]);
    assert.deepEqual(codecOf(Code.Status).decode(wire), status);
    assert.deepEqual(codecOf(Code.Status).encode(status), wire);
  });

  it('Announce follows the spec layout [headHash, headNumber, headTd, reorgDepth, [[key, value], ...]] with "sign"', () => {
    const wire = enc([hash(5), 17034871, 58750003716598352816469n, 1, [[utf8('serveStateSince'), hex('05')], [utf8('sign'), new Uint8Array(65).fill(7)]]]);
    assert.deepEqual(codecOf(Code.Announce).decode(wire), signedAnnounce);
    assert.deepEqual(codecOf(Code.Announce).encode(signedAnnounce), wire);
  });

  it('Announce ignores an update key that is not UTF-8 (no known key is), and keeps a BOM key byte-exact', () => {
    const wire = enc([hash(5), 17034871, 58750003716598352816469n, 0, [[hex('ff61'), hex('01')], [hex('efbbbf61'), hex('02')]]]);
    const decoded = codecOf(Code.Announce).decode(wire);
    assert.deepEqual(decoded.updates, [{ key: '\ufeffa', value: hex('02') }]);
    assert.deepEqual(codecOf(Code.Announce).encode(decoded), enc([hash(5), 17034871, 58750003716598352816469n, 0, [[hex('efbbbf61'), hex('02')]]]));
  });

  it("ResumeMsg accepts the spec's [BV] and the reference server's bare BV, and sends [BV]", () => {
    const resume = codecOf(Code.ResumeMsg);
    assert.deepEqual(resume.decode(enc([5000])), { bv: 5000 });
    assert.deepEqual(resume.decode(enc(5000)), { bv: 5000 });
    assert.deepEqual(resume.encode({ bv: 5000 }), enc([5000]));
  });

  it('StopMsg is sent as an empty list and any RLP payload means stop', () => {
    const stop = codecOf(Code.StopMsg);
    assert.deepEqual(stop.encode(undefined), hex('c0'));
    assert.equal(stop.decode(enc([1, [2]])), undefined);
    assert.throws(() => stop.decode(hex('c2')), ProtocolError);
  });

  it('malformed Status, Announce and ResumeMsg raise ProtocolError naming the field', () => {
    const cases: Array<[number, Uint8Array, string]> = [
      [Code.Announce, enc([hash(5), 1, 1, 0]), 'announce'],
      [Code.Announce, enc([new Uint8Array(31), 1, 1, 0, []]), 'headHash'],
      [Code.Announce, enc([hash(5), 1, 1, 0, [[utf8('sign'), new Uint8Array(64)]]]), 'sign'],
      [Code.Announce, enc([hash(5), hex('0001'), 1, 0, []]), 'headNumber'],
      [Code.ResumeMsg, enc([1, 2]), 'resume'],
      [Code.ResumeMsg, enc([[1]]), 'bv'],
      [Code.Status, enc(hex('01')), 'entries'],
    ];
    for (const [code, bytes, field] of cases) {
      assert.throws(
        () => codecOf(code)?.decode(bytes),
        (err: unknown) => err instanceof ProtocolError && err.code === 'MALFORMED' && err.field === field,
        `${codecOf(code)?.name} ${field}`,
      );
    }
  });
});
