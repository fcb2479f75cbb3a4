/**
 * Where the client pool plugs into a session and the request path: a capacity change is told to
 * the client with an update-only Announce (zero head hash, flowControl/BL and /MRR, as
 * go-ethereum sends it) and applied to the buffer at once when larger, only after the client has
 * been told (2 s) when smaller; the dispatcher reports every charge to the pool, disconnects at a
 * configurable bad-request count (10 by default in LesService, issue 6 §3), counts relayed
 * transactions and logs each request of a logged session.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, deriveMrcTable } from '../../../src/flow/index.js';
import type { LesPeer } from '../../../src/net/index.js';
import { readRequest } from '../../../src/net/envelope.js';
import {
  CAPACITY_DECREASE_DELAY_MS,
  ClientSession,
  DEFAULT_MAX_BAD_REQUESTS,
  RequestDispatcher,
  type ServeBackend,
  type ServeContext,
} from '../../../src/serve/index.js';
import { Code, type Status, decodeAnnounce, encodeGetBlockHeaders, readUint } from '../../../src/wire/index.js';

function fakePeer() {
  const sent: Array<{ code: number; payload: Uint8Array }> = [];
  const disconnects: number[] = [];
  let state = 'open';
  const peer = {
    id: 'cd'.repeat(64),
    version: 4,
    remoteStatus: { announceType: 1 } as Status,
    localStatus: { headHash: new Uint8Array(32), headNum: 5, headTd: 5n } as Status,
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

function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  return {
    pending,
    timers: {
      set: (fn: () => void, ms: number) => {
        const t = { fn, ms, cleared: false };
        pending.push(t);
        return t;
      },
      clear: (h: unknown) => {
        (h as { cleared: boolean }).cleared = true;
      },
    },
    fire: () => {
      for (const t of pending.splice(0)) if (!t.cleared) t.fn();
    },
  };
}

describe('ClientSession.setCapacity', () => {
  it('tells the client with an update-only announce and grows the buffer at once', () => {
    const { peer, sent } = fakePeer();
    const { timers } = manualTimers();
    const s = new ClientSession(peer, 16_000, { clock: new ManualClock(0), timers });
    s.setCapacity(50_000);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.code, Code.Announce);
    const a = decodeAnnounce(sent[0]!.payload);
    assert.deepEqual(a.headHash, new Uint8Array(32));
    assert.equal(a.headNumber, 0);
    const kv = new Map(a.updates.map((u) => [u.key, readUint(u.value as Uint8Array, 'test', u.key)]));
    // The spec's BL = 6000 ms of MRR.
    assert.deepEqual([...kv], [['flowControl/BL', 50_000 * 6000], ['flowControl/MRR', 50_000]]);
    assert.equal(s.flow.buffer.bl, 300_000_000);
    assert.equal(s.flow.buffer.mrr, 50_000);
    assert.equal(s.capacity, 50_000);
    assert.equal(s.info().capacity, 50_000);
  });

  it('shrinks the buffer only after the decrease delay', () => {
    const { peer, sent } = fakePeer();
    const t = manualTimers();
    const s = new ClientSession(peer, 50_000, { clock: new ManualClock(0), timers: t.timers });
    s.setCapacity(16_000);
    assert.equal(sent.length, 1, 'told at once');
    assert.equal(s.flow.buffer.mrr, 50_000, 'not yet applied');
    assert.equal(t.pending[0]!.ms, CAPACITY_DECREASE_DELAY_MS);
    t.fire();
    assert.equal(s.flow.buffer.mrr, 16_000);
    assert.equal(s.flow.buffer.bl, 96_000_000);
    s.setCapacity(16_000);
    assert.equal(sent.length, 1, 'no announce for no change');
  });
});

describe('RequestDispatcher and the pool', () => {
  const chain = {
    genesisHash: () => new Uint8Array(32),
    head: () => ({ hash: new Uint8Array(32), number: 10, td: 0n, timestamp: 0 }),
    headerByNumber: async () => undefined,
    headerByHash: async () => undefined,
  } as unknown as ServeBackend['chain'];
  const logs: Array<{ obj: object; msg: string }> = [];
  const ctx: ServeContext = {
    backend: { chain } as ServeBackend,
    policy: { recentState: 0, recentTxLookup: 0, txRelay: true },
    log: { debug() {}, info: (obj, msg) => logs.push({ obj, msg }), warn() {}, error() {} },
  };

  it('reports every charge, disconnects at the configured count, logs the requests of a logged session', async () => {
    assert.equal(DEFAULT_MAX_BAD_REQUESTS, 10);
    const charges: number[] = [];
    let now = 0;
    const d = new RequestDispatcher(ctx, deriveMrcTable(), { now: () => now, maxBadRequests: DEFAULT_MAX_BAD_REQUESTS, onCharge: (_s, c) => charges.push(c) });
    const { peer, disconnects } = fakePeer();
    const s = new ClientSession(peer, 16_000, { clock: new ManualClock(0), timers: manualTimers().timers });
    s.logged = true;
    const req = readRequest(Code.GetBlockHeaders, encodeGetBlockHeaders({ reqID: 1n, origin: { number: 0 }, amount: 1, skip: 0, reverse: false }));
    ctx.backend.chain.headerByNumber = async () => {
      now += 0.002; // 2 µs of serving
      return undefined;
    };
    await d.handle(s, req);
    assert.equal(charges.length, 1);
    assert.ok(Math.abs(charges[0]! - 2_000) < 1e-6, `real cost is the serving time in ns, got ${charges[0]}`);
    assert.equal(logs.filter((l) => l.msg.includes('logged session')).length, 1);
    for (let i = 0; i < 9; i++) d.bad(s, 'unexpected', 0x01, 1_000, 'test');
    assert.deepEqual(disconnects, [], 'nine are tolerated');
    assert.equal(charges.length, 10, 'each bad request charged');
    d.bad(s, 'unexpected', 0x01, 1_000, 'test');
    assert.deepEqual(disconnects, [0x10], 'the tenth ends the connection');
    assert.equal(d.totals.disconnectedForBadRequests, 1);
  });
});
