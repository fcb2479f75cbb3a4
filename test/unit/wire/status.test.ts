import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/wire/errors.js';
import { type Status, decodeStatus, encodeStatus } from '../../../src/wire/status.js';

const hash = (b: number) => new Uint8Array(32).fill(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

const server: Status = {
  protocolVersion: 4,
  networkId: 1n,
  headTd: 58750003716598352816469n,
  headHash: hash(1),
  headNum: 17034870,
  genesisHash: hash(2),
  forkID: { hash: Uint8Array.from([0xf0, 0xaf, 0xd0, 0xe3]), next: 0n },
  serveHeaders: true,
  serveChainSince: 0,
  serveRecentChain: 128,
  serveStateSince: 0,
  serveRecentState: 128,
  txRelay: true,
  recentTxLookup: 0,
  flowControlBL: 96_000_000,
  flowControlMRR: 16_000,
  flowControlMRC: [{ code: 2, baseCost: 300000, reqCost: 60000 }],
  unknown: [],
};

describe('Status codec', () => {
  it('round-trips every key of the spec', () => {
    assert.deepEqual(decodeStatus(encodeStatus(server)), server);
  });

  it('writes the flow-control keys under their spec names', () => {
    const keys = (RLP.decode(encodeStatus(server)) as Uint8Array[][]).map((e) => new TextDecoder().decode(e[0]));
    assert.ok(keys.includes('flowControl/BL') && keys.includes('flowControl/MRR') && keys.includes('flowControl/MRC'));
    assert.equal(keys[0], 'protocolVersion');
  });

  it('keeps unknown keys and ignores them', () => {
    const raw = RLP.decode(encodeStatus(server)) as unknown[];
    raw.push([utf8('futureKey'), [utf8('x')]]);
    const decoded = decodeStatus(RLP.encode(raw as never));
    assert.deepEqual(decoded.unknown, [{ key: 'futureKey', value: [utf8('x')] }]);
    assert.equal(decoded.headNum, server.headNum);
  });

  it('ignores a key that is not UTF-8 (no known key is) and keeps other unknown keys byte-exact', () => {
    const raw = RLP.decode(encodeStatus(server)) as unknown[];
    raw.push([Uint8Array.from([0xc3, 0x28]), utf8('x')], [Uint8Array.from([0xef, 0xbb, 0xbf, 0x6b]), utf8('y')]);
    const decoded = decodeStatus(RLP.encode(raw as never));
    assert.deepEqual(decoded.unknown, [{ key: '\ufeffk', value: utf8('y') }]);
    const again = RLP.decode(encodeStatus(decoded)) as Uint8Array[][];
    assert.deepEqual(again.at(-1)?.[0], Uint8Array.from([0xef, 0xbb, 0xbf, 0x6b]));
  });

  const broken: Array<[string, (entries: unknown[][]) => unknown, string]> = [
    ['a missing required key', (e) => e.filter((x) => new TextDecoder().decode(x[0] as Uint8Array) !== 'headHash'), 'headHash'],
    ['a short hash', (e) => e.map((x) => (new TextDecoder().decode(x[0] as Uint8Array) === 'genesisHash' ? [x[0], new Uint8Array(31)] : x)), 'genesisHash'],
    ['an integer with a leading zero', (e) => e.map((x) => (new TextDecoder().decode(x[0] as Uint8Array) === 'headNum' ? [x[0], Uint8Array.from([0, 1])] : x)), 'headNum'],
    ['a duplicate key', (e) => [...e, e[3]], 'headHash'],
    ['les/4 without forkID', (e) => e.filter((x) => new TextDecoder().decode(x[0] as Uint8Array) !== 'forkID'), 'forkID'],
    ['an entry that is not a pair', (e) => [...e, [utf8('x')]], 'entries[17]'],
  ];
  for (const [what, mutate, field] of broken) {
    it(`rejects ${what} naming the field`, () => {
      const entries = RLP.decode(encodeStatus(server)) as unknown[][];
      const bad = RLP.encode(mutate(entries) as never);
      assert.throws(() => decodeStatus(bad), (err: unknown) => err instanceof ProtocolError && err.field === field);
    });
  }

  it('rejects bytes that are not RLP with a typed error', () => {
    assert.throws(() => decodeStatus(Uint8Array.from([0xc5, 0x01])), ProtocolError);
  });
});
