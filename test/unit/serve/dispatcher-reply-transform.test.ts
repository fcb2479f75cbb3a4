/**
 * The dispatcher's test seam `replyTransform` (used by the lying and slow servers of the acceptance
 * tests): unset, replies go out as served; set, it sees each reply (client, code, decoded request,
 * bytes) and what it returns — synchronously or later — is what is sent, unless the client left
 * meanwhile.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock, deriveMrcTable } from '../../../src/flow/index.js';
import type { LesPeer } from '../../../src/net/index.js';
import { readRequest } from '../../../src/net/envelope.js';
import { ClientSession, RequestDispatcher, type ServeBackend, type ServeContext } from '../../../src/serve/index.js';
import type { ReplyTransform } from '../../../src/serve/server/dispatcher.js';
import { Code, type GetBlockHeaders, codecOf, encodeBlockHeaders, encodeGetBlockHeaders } from '../../../src/wire/index.js';

function setup() {
  const sent: Array<{ code: number; payload: Uint8Array }> = [];
  let state = 'open';
  const peer = {
    id: 'cd'.repeat(64),
    version: 4,
    remoteStatus: { announceType: 1 },
    localStatus: { headHash: new Uint8Array(32), headNum: 0, headTd: 0n },
    remoteHost: '127.0.0.1',
    remotePort: 1,
    remoteClientId: 'test',
    get state() {
      return state;
    },
    send: (code: number, payload: Uint8Array) => sent.push({ code, payload }),
    disconnect: () => (state = 'closed'),
    stats: () => ({}),
  } as unknown as LesPeer;
  const chain = {
    genesisHash: () => new Uint8Array(32),
    head: () => ({ hash: new Uint8Array(32), number: 10, td: 0n, timestamp: 0 }),
    headerByHash: async () => undefined,
    headerByNumber: async () => undefined,
    canonicalHash: async () => undefined,
  } as unknown as ServeBackend['chain'];
  const ctx: ServeContext = {
    backend: { chain } as ServeBackend,
    policy: { recentState: 0, recentTxLookup: 0, txRelay: true },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  const dispatcher = new RequestDispatcher(ctx, deriveMrcTable(), { now: () => 0 });
  const session = new ClientSession(peer, 16_000, { clock: new ManualClock(0), timers: { set: () => 0, clear: () => {} } });
  const ask = (reqID: bigint) => dispatcher.handle(session, readRequest(Code.GetBlockHeaders, encodeGetBlockHeaders({ reqID, origin: { number: 3 }, amount: 2, skip: 0, reverse: false })));
  return { dispatcher, session, sent, ask, close: () => (state = 'closed') };
}

describe('RequestDispatcher.replyTransform (test seam)', () => {
  it('is unset by default: the reply goes out as served', async () => {
    const { dispatcher, sent, ask } = setup();
    assert.equal(dispatcher.replyTransform, undefined);
    await ask(7n);
    assert.equal(sent.length, 1);
    const reply = codecOf(Code.BlockHeaders).decode(sent[0]!.payload);
    assert.deepEqual([reply.reqID, reply.headers], [7n, []]);
  });

  it('sees the client, code, decoded request and reply bytes, and its (later) answer is what is sent', async () => {
    const { dispatcher, session, sent, ask } = setup();
    const seen: Array<Parameters<ReplyTransform>[0]> = [];
    const forged = encodeBlockHeaders({ reqID: 8n, bv: 1, headers: [Uint8Array.of(0xc0)] });
    dispatcher.replyTransform = async (r) => {
      seen.push(r);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return forged;
    };
    await ask(8n);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.clientId, session.id);
    assert.equal(seen[0]?.code, Code.GetBlockHeaders);
    assert.deepEqual((seen[0]?.request as GetBlockHeaders).origin, { number: 3 });
    assert.equal(codecOf(Code.BlockHeaders).decode(seen[0]!.bytes).reqID, 8n);
    assert.deepEqual(sent, [{ code: Code.BlockHeaders, payload: forged }]);
    assert.equal(session.counters.served, 1);
  });

  it('sends nothing when the client left while the transform ran', async () => {
    const { dispatcher, sent, ask, close } = setup();
    dispatcher.replyTransform = (r) => {
      close();
      return r.bytes;
    };
    await ask(9n);
    assert.equal(sent.length, 0);
  });
});
