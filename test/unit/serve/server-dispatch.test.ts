/**
 * The request path and the announcer over an in-memory peer: replies carry the BV with the real
 * cost refunded (never more than the max cost charged), bad requests are unanswered, charged and
 * counted and the 20th disconnects, a reqID in use is a bad request, a type not served is charged;
 * announces follow announceType, sign with the node key, never go to a head that is not higher
 * by (TD, number), and carry each client's own reorg depth.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ManualClock, deriveMrcTable, maxCost } from '../../../src/flow/index.js';
import type { LesPeer } from '../../../src/net/index.js';
import { readRequest } from '../../../src/net/envelope.js';
import {
  Announcer,
  BAD_REQUEST_PENALTY,
  ClientSession,
  RequestDispatcher,
  type ServeBackend,
  type ServeContext,
  type ServedHeader,
  compareHeads,
} from '../../../src/serve/index.js';
import { publicKeyOf, verifyAnnounceSignature } from '../../../src/verify/index.js';
import {
  Code,
  type Status,
  codecOf,
  decodeAnnounce,
  encodeGetBlockBodies,
  encodeGetBlockHeaders,
  encodeRlp,
  encodeSendTxV2,
  encodeUint,
} from '../../../src/wire/index.js';

const MRC = deriveMrcTable();
const BL = 96_000_000;

interface Sent {
  code: number;
  payload: Uint8Array;
}

function fakePeer(opts: { version?: number; announceType?: 0 | 1 | 2; head?: { hash: Uint8Array; number: number; td: bigint } } = {}) {
  const sent: Sent[] = [];
  const disconnects: number[] = [];
  let state = 'open';
  const head = opts.head ?? { hash: new Uint8Array(32), number: 0, td: 0n };
  const local = { headHash: head.hash, headNum: head.number, headTd: head.td } as Status;
  const peer = {
    id: 'ab'.repeat(64),
    version: opts.version ?? 4,
    remoteStatus: { announceType: opts.announceType } as Status,
    localStatus: local,
    remoteHost: '127.0.0.1',
    remotePort: 1,
    remoteClientId: 'test',
    get state() {
      return state;
    },
    send: (code: number, payload: Uint8Array) => sent.push({ code, payload }),
    disconnect: (reason: number) => {
      disconnects.push(reason);
      state = 'closed';
    },
    stats: () => ({}),
  };
  return { peer: peer as unknown as LesPeer, sent, disconnects };
}

function setup(backend: Partial<ServeBackend['chain']> = {}, policy: Partial<ServeContext['policy']> = {}) {
  const clock = new ManualClock(0);
  let now = 0;
  const chain = {
    genesisHash: () => new Uint8Array(32),
    head: () => ({ hash: new Uint8Array(32), number: 10, td: 0n, timestamp: 0 }),
    headerByHash: async () => undefined,
    headerByNumber: async () => undefined,
    canonicalHash: async () => undefined,
    getBody: async () => undefined,
    getReceipts: async () => undefined,
    txLookup: async () => undefined,
    ...backend,
  } as ServeBackend['chain'];
  const ctx: ServeContext = {
    backend: { chain } as ServeBackend,
    policy: { recentState: 0, recentTxLookup: 0, txRelay: true, ...policy },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  const dispatcher = new RequestDispatcher(ctx, MRC, { now: () => now });
  const p = fakePeer();
  const session = new ClientSession(p.peer, 16_000, { clock, timers: { set: () => 0, clear: () => {} } });
  return { dispatcher, session, ...p, clock, setNow: (ms: number) => (now = ms) };
}

const request = (code: number, payload: Uint8Array) => readRequest(code, payload);
const headersReq = (reqID: bigint, amount = 10) => request(Code.GetBlockHeaders, encodeGetBlockHeaders({ reqID, origin: { number: 0 }, amount, skip: 0, reverse: false }));

describe('RequestDispatcher', () => {
  it('answers with the BV after refunding the unused max cost; real cost is bounded by the max cost', async () => {
    const { dispatcher, session, sent } = setup();
    await dispatcher.handle(session, headersReq(1n));
    const first = codecOf(Code.BlockHeaders).decode(sent[0]!.payload);
    assert.equal(first.reqID, 1n);
    assert.equal(first.bv, BL, 'served in no time: everything refunded');
    // A handler that takes 10 s of a 0.9 ms max cost is charged the max cost, no more.
    let advance = (_ms: number): void => {};
    const slow = setup({ headerByNumber: async () => (advance(10_000), undefined) });
    advance = slow.setNow;
    await slow.dispatcher.handle(slow.session, headersReq(2n));
    const second = codecOf(Code.BlockHeaders).decode(slow.sent[0]!.payload);
    assert.equal(second.bv, BL - maxCost(MRC, Code.GetBlockHeaders, 10));
    assert.equal(session.counters.served, 1);
  });

  it('a malformed request is not answered, is counted and charged the fixed penalty', async () => {
    const { dispatcher, session, sent } = setup();
    await dispatcher.handle(session, request(Code.GetBlockHeaders, encodeRlp([encodeUint(1), [encodeUint(1)]])));
    assert.equal(sent.length, 0);
    assert.equal(session.counters.bad, 1);
    assert.equal(session.flow.buffer.bv, BL - BAD_REQUEST_PENALTY);
  });

  it('an over-limit request is charged the max cost of what it asked for', async () => {
    const { dispatcher, session, sent } = setup();
    const hashes = Array.from({ length: 40 }, () => new Uint8Array(32));
    await dispatcher.handle(session, request(Code.GetBlockBodies, encodeRlp([encodeUint(3), hashes])));
    assert.equal(sent.length, 0);
    assert.equal(session.counters.bad, 1);
    assert.equal(session.flow.buffer.bv, BL - maxCost(MRC, Code.GetBlockBodies, 40));
  });

  it('a type not served (SendTxV2 without txRelay) is charged and counted', async () => {
    const { dispatcher, session, sent } = setup({}, { txRelay: false });
    await dispatcher.handle(session, request(Code.SendTxV2, encodeSendTxV2({ reqID: 1n, txs: [Uint8Array.of(2, 0xc0)] })));
    assert.equal(sent.length, 0);
    assert.equal(session.counters.bad, 1);
    assert.equal(session.flow.buffer.bv, BL - maxCost(MRC, Code.SendTxV2, 1));
  });

  it('a reqID already being served is a bad request; the first is still answered', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { dispatcher, session, sent } = setup({ getBody: async () => (await gate, undefined) });
    const req = request(Code.GetBlockBodies, encodeGetBlockBodies({ reqID: 5n, hashes: [new Uint8Array(32)] }));
    const first = dispatcher.handle(session, req);
    await dispatcher.handle(session, req);
    assert.equal(session.counters.bad, 1);
    release();
    await first;
    assert.equal(sent.length, 1);
    assert.equal(codecOf(Code.BlockBodies).decode(sent[0]!.payload).reqID, 5n);
  });

  it('the 20th bad request disconnects with SubprotocolError', async () => {
    const { dispatcher, session, disconnects } = setup();
    for (let i = 0; i < 19; i++) dispatcher.bad(session, 'unexpected', 0x01, 1, 'test');
    assert.deepEqual(disconnects, []);
    dispatcher.bad(session, 'unexpected', 0x01, 1, 'test');
    assert.deepEqual(disconnects, [0x10]);
    assert.equal(dispatcher.totals.disconnectedForBadRequests, 1);
  });
});

/** A chain of 12 canonical blocks and a side branch 8..10 forking after 7. */
function chainWithBranch() {
  const mk = (n: number, parent: Uint8Array, tag: number): ServedHeader => {
    const rlp = encodeRlp([encodeUint(n), parent, encodeUint(tag)]);
    return { rlp, hash: keccak256(rlp), number: n, parentHash: parent };
  };
  const canonical: ServedHeader[] = [];
  let p: Uint8Array = new Uint8Array(32);
  for (let n = 0; n < 12; n++) {
    const h = mk(n, p, 1);
    canonical.push(h);
    p = h.hash;
  }
  const side: ServedHeader[] = [];
  p = canonical[7]!.hash;
  for (let n = 8; n <= 10; n++) {
    const h = mk(n, p, 2);
    side.push(h);
    p = h.hash;
  }
  const all = new Map([...canonical, ...side].map((h) => [Buffer.from(h.hash).toString('hex'), h]));
  const chain = {
    canonicalHash: async (n: number) => canonical[n]?.hash,
    headerByHash: async (h: Uint8Array) => all.get(Buffer.from(h).toString('hex')),
  } as unknown as ServeBackend['chain'];
  return { canonical, side, chain };
}

describe('Announcer', () => {
  const key = Uint8Array.from(Buffer.from('11'.repeat(32), 'hex'));
  const head = (h: ServedHeader, td: bigint, reorgDepth = 0) => ({ hash: h.hash, number: h.number, td, timestamp: 0, reorgDepth });

  it('orders heads by (TD, number)', () => {
    assert.ok(compareHeads({ td: 5n, number: 1 }, { td: 4n, number: 100 }) > 0);
    assert.ok(compareHeads({ td: 5n, number: 11 }, { td: 5n, number: 10 }) > 0);
    assert.equal(compareHeads({ td: 5n, number: 10 }, { td: 5n, number: 10 }), 0);
  });

  it('none / simple / signed per announceType; a signed announce verifies against the node id', async () => {
    const { canonical, chain } = chainWithBranch();
    const start = { hash: canonical[5]!.hash, number: 5, td: 0n };
    const none = fakePeer({ announceType: 0, head: start });
    const simple = fakePeer({ announceType: 1, head: start });
    const signed = fakePeer({ announceType: 2, head: start });
    const sessions = [none, simple, signed].map((p) => new ClientSession(p.peer, 16_000));
    const a = new Announcer(chain, key, { debug() {}, info() {}, warn() {}, error() {} });
    await a.announce(head(canonical[6]!, 0n), sessions);
    assert.equal(none.sent.length, 0);
    const s = decodeAnnounce(simple.sent[0]!.payload);
    assert.equal(s.headNumber, 6);
    assert.equal(s.reorgDepth, 0);
    assert.equal(s.signature, undefined);
    const g = decodeAnnounce(signed.sent[0]!.payload);
    assert.ok(g.signature !== undefined);
    verifyAnnounceSignature(g, publicKeyOf(key));
  });

  it('never announces a head that is not higher than the last one sent (post-merge: same TD, compare numbers)', async () => {
    const { canonical, chain } = chainWithBranch();
    const p = fakePeer({ announceType: 1, head: { hash: canonical[5]!.hash, number: 5, td: 0n } });
    const s = new ClientSession(p.peer, 16_000);
    const a = new Announcer(chain, key, { debug() {}, info() {}, warn() {}, error() {} });
    await a.announce(head(canonical[5]!, 0n), [s]); // the Status head itself
    await a.announce(head(canonical[4]!, 0n), [s]); // lower
    assert.equal(p.sent.length, 0);
    await a.announce(head(canonical[6]!, 0n), [s]);
    await a.announce(head(canonical[6]!, 0n), [s]); // equal
    assert.equal(p.sent.length, 1);
    await a.announce(head(canonical[3]!, 1n), [s]); // higher TD wins over a lower number
    assert.equal(p.sent.length, 2);
    assert.equal(a.totals.skippedNotHigher, 3);
  });

  it('reorgDepth is counted from the last head announced to that client', async () => {
    const { canonical, side, chain } = chainWithBranch();
    // One client was last told of the side branch's block 10, another of canonical block 9.
    const onSide = fakePeer({ announceType: 1, head: { hash: side[2]!.hash, number: 10, td: 0n } });
    const onMain = fakePeer({ announceType: 1, head: { hash: canonical[9]!.hash, number: 9, td: 0n } });
    const a = new Announcer(chain, key, { debug() {}, info() {}, warn() {}, error() {} });
    await a.announce(head(canonical[11]!, 0n, 1), [new ClientSession(onSide.peer, 16_000), new ClientSession(onMain.peer, 16_000)]);
    assert.equal(decodeAnnounce(onSide.sent[0]!.payload).reorgDepth, 3, 'back from 10 to the fork point 7');
    assert.equal(decodeAnnounce(onMain.sent[0]!.payload).reorgDepth, 0);
  });
});
