import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { MessageTooLargeError, PeerClosedError, PeerStateError, RequestTimeoutError } from '../../../src/net/errors.js';
import type { IncomingRequest } from '../../../src/net/envelope.js';
import { LesPeer, type ProtocolViolation } from '../../../src/net/peer.js';
import type { LesVersion } from '../../../src/wire/codes.js';
import { encodeStatus } from '../../../src/wire/status.js';
import { type FakeTransport, fakePair, until } from './fake-transport.js';
import { clientStatus, serverStatus } from './fixtures.js';

// Message codes and the 10 MiB limit from the LES spec / DESIGN §4.
const C = { Status: 0, Announce: 1, GetBlockHeaders: 2, BlockHeaders: 3, SendTx: 0x0c, GetTxStatus: 0x14, TxStatus: 0x15, StopMsg: 0x16, ResumeMsg: 0x17 } as const;
const TEN_MIB = 10 * 1024 * 1024;
const SUBPROTOCOL_ERROR = 0x10;
const hash = (b: number) => new Uint8Array(32).fill(b);
const getHeaders = (reqID: bigint) => RLP.encode([reqID, [1, 1, 0, 0]]);

async function connected(version: LesVersion = 4, opts: { now?: () => number } = {}) {
  const [ct, st] = fakePair(version);
  const client = new LesPeer(ct, { role: 'client', status: clientStatus(), ...opts });
  const server = new LesPeer(st, { role: 'server', status: serverStatus(), ...opts });
  await Promise.all([client.start(), server.start()]);
  return { client, server, ct, st };
}

function violations(peer: LesPeer): ProtocolViolation[] {
  const out: ProtocolViolation[] = [];
  peer.on('protocolError', (v) => out.push(v));
  return out;
}

/** A server that answers every GetBlockHeaders with `[reqID, BV, []]`, or as `answer` says. */
function serve(server: LesPeer, answer?: (r: IncomingRequest) => void) {
  server.on('request', (r) => (answer ? answer(r) : server.reply(C.BlockHeaders, RLP.encode([r.reqID, 777, []]))));
}

describe('LesPeer requests and replies', () => {
  it('sends a request, the server sees its reqID, the reply resolves it', async () => {
    const { client, server } = await connected();
    const seen: IncomingRequest[] = [];
    serve(server, (r) => {
      seen.push(r);
      server.reply(C.BlockHeaders, RLP.encode([r.reqID, 1234, [Uint8Array.from([0xab])]]));
    });
    const reply = await client.request(C.GetBlockHeaders, getHeaders);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.code, C.GetBlockHeaders);
    assert.equal(reply.reqID, seen[0]?.reqID);
    assert.equal(reply.code, C.BlockHeaders);
    assert.equal(reply.bv, 1234);
    assert.deepEqual(reply.data, [Uint8Array.from([0xab])]);
  });

  it('matches concurrent replies sent in reverse order', async () => {
    const { client, server } = await connected();
    const held: IncomingRequest[] = [];
    serve(server, (r) => {
      held.push(r);
      if (held.length === 3) for (const h of held.reverse()) server.reply(C.BlockHeaders, RLP.encode([h.reqID, Number(h.reqID), []]));
    });
    const replies = await Promise.all([1, 2, 3].map(() => client.request(C.GetBlockHeaders, getHeaders)));
    for (const r of replies) assert.equal(BigInt(r.bv), r.reqID);
    assert.equal(new Set(replies.map((r) => r.reqID)).size, 3);
  });

  it('times out with RequestTimeoutError and counts it', async () => {
    const { client } = await connected();
    await assert.rejects(client.request(C.GetBlockHeaders, getHeaders, { timeoutMs: 30 }), RequestTimeoutError);
    assert.equal(client.stats().requestTimeouts, 1);
    assert.equal(client.pendingRequests, 0);
  });

  it('reports a late reply as such, not as a protocol error', async () => {
    const { client, server } = await connected();
    const errors = violations(client);
    let held: IncomingRequest | undefined;
    serve(server, (r) => (held = r));
    await assert.rejects(client.request(C.GetBlockHeaders, getHeaders, { timeoutMs: 30 }), RequestTimeoutError);
    const late = once(client, 'lateReply');
    server.reply(C.BlockHeaders, RLP.encode([held?.reqID ?? 0n, 5, []]));
    const [reply] = await late;
    assert.equal(reply.reqID, held?.reqID);
    assert.equal(errors.length, 0);
  });

  it('counts an unknown reqID as a protocol error without disturbing pending requests', async () => {
    const { client, server } = await connected();
    const errors = violations(client);
    serve(server, (r) => {
      server.reply(C.BlockHeaders, RLP.encode([r.reqID + 1000n, 1, []]));
      server.reply(C.BlockHeaders, RLP.encode([r.reqID, 2, []]));
    });
    const reply = await client.request(C.GetBlockHeaders, getHeaders);
    assert.equal(reply.bv, 2);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.kind, 'unknown-reqid');
    assert.equal(client.stats().protocolErrors, 1);
  });

  it('counts a reply with the wrong code for its reqID; the request is left to time out', async () => {
    const { client, server } = await connected();
    const errors = violations(client);
    serve(server, (r) => server.reply(C.TxStatus, RLP.encode([r.reqID, 1, []])));
    await assert.rejects(client.request(C.GetBlockHeaders, getHeaders, { timeoutMs: 50 }), RequestTimeoutError);
    assert.deepEqual(errors.map((e) => e.kind), ['wrong-reply-code']);
  });

  const badReplies: Array<[string, Uint8Array]> = [
    ['not RLP', Uint8Array.from([0xf8])],
    ['a reply of two items', RLP.encode([1, []])],
    ['a 9-byte reqID', RLP.encode([new Uint8Array(9).fill(1), 1, []])],
    ['a BV with a leading zero', RLP.encode([1, Uint8Array.from([0, 5]), []])],
    ['a reqID that is a list', RLP.encode([[1], 1, []])],
  ];
  // go-ethereum drops a peer at its first undecodable message; so does a client.
  for (const [what, bytes] of badReplies) {
    it(`reports ${what} as a malformed reply and disconnects the server at once (SubprotocolError)`, async () => {
      const { client, st, ct } = await connected();
      const errors = violations(client);
      st.send(C.BlockHeaders, bytes);
      await until(() => errors.length === 1);
      assert.equal(errors[0]?.kind, 'malformed');
      assert.equal(client.state, 'closed');
      assert.deepEqual(ct.disconnects, [SUBPROTOCOL_ERROR]);
    });
  }

  it('rejects every pending request with PeerClosedError when the remote disconnects', async () => {
    const { client, server } = await connected();
    serve(server, () => undefined);
    const pending = [client.request(C.GetBlockHeaders, getHeaders), client.request(C.GetTxStatus, (id) => RLP.encode([id, [hash(1)]]))];
    await until(() => server.stats().messagesIn === 3);
    const closed = once(client, 'close');
    server.disconnect(0x08);
    for (const p of pending) {
      await assert.rejects(p, (e: unknown) => e instanceof PeerClosedError && e.initiator === 'remote' && e.reason === 0x08);
    }
    const [info] = await closed;
    assert.equal(info.initiator, 'remote');
    assert.equal(info.reasonName, 'ClientQuitting');
    assert.equal(client.pendingRequests, 0);
  });

  it('rejects pending and later requests when we disconnect', async () => {
    const { client } = await connected();
    const p = client.request(C.GetBlockHeaders, getHeaders);
    client.disconnect();
    await assert.rejects(p, (e: unknown) => e instanceof PeerClosedError && e.initiator === 'local');
    await assert.rejects(client.request(C.GetBlockHeaders, getHeaders), PeerClosedError);
    assert.throws(() => client.send(C.Announce, RLP.encode([])), PeerClosedError);
  });

  it('refuses requests before the handshake and codes that are not requests', async () => {
    const [ct] = fakePair(4);
    const early = new LesPeer(ct, { role: 'client', status: clientStatus() });
    await assert.rejects(early.request(C.GetBlockHeaders, getHeaders), (e: unknown) => e instanceof PeerStateError && e.code === 'NOT_READY');
    const { client } = await connected();
    await assert.rejects(client.request(C.BlockHeaders as never, getHeaders), (e: unknown) => e instanceof PeerStateError && e.code === 'CODE_NOT_ALLOWED');
  });

  it('refuses to send more than 10 MiB, sending nothing', async () => {
    const { client, ct } = await connected();
    const before = ct.sent.length;
    const huge = new Uint8Array(TEN_MIB + 1);
    await assert.rejects(client.request(C.GetBlockHeaders, () => huge), MessageTooLargeError);
    assert.throws(() => client.send(C.Announce, huge), MessageTooLargeError);
    assert.equal(ct.sent.length, before);
    assert.equal(client.pendingRequests, 0);
  });

  it('counts and disconnects on a received message over 10 MiB', async () => {
    const { client, ct } = await connected();
    const errors = violations(client);
    ct.inject(C.BlockHeaders, new Uint8Array(TEN_MIB + 1));
    assert.equal(errors[0]?.kind, 'too-large');
    assert.deepEqual(ct.disconnects, [SUBPROTOCOL_ERROR]);
    assert.equal(client.state, 'closed');
  });

  it('keeps codes inside the agreed version: TxStatus on les/2 yes, StopMsg on les/2 and 0x18 on les/4 no', async () => {
    const v2 = await connected(2);
    v2.server.reply(C.TxStatus, RLP.encode([1, 1, []]));
    assert.throws(() => v2.server.send(C.StopMsg, RLP.encode([])), (e: unknown) => e instanceof PeerStateError && e.code === 'CODE_NOT_ALLOWED');
    const v4 = await connected(4);
    assert.throws(() => v4.server.send(0x18, RLP.encode([])), (e: unknown) => e instanceof PeerStateError && e.code === 'CODE_NOT_ALLOWED');
    assert.throws(() => v4.server.send(C.Status, encodeStatus(serverStatus())), PeerStateError);
  });

  it('lets only the serving role reply, and only with reply codes', async () => {
    const { client, server } = await connected();
    assert.throws(() => client.reply(C.BlockHeaders, RLP.encode([1, 1, []])), (e: unknown) => e instanceof PeerStateError && e.code === 'WRONG_ROLE');
    assert.throws(() => server.reply(C.Announce, RLP.encode([])), (e: unknown) => e instanceof PeerStateError && e.code === 'CODE_NOT_ALLOWED');
  });
});

describe('LesPeer routing', () => {
  const announce = (td: number) => RLP.encode([hash(9), 100, td, 0, [[new TextEncoder().encode('serveStateSince'), 5]]]);

  it('delivers an announce to a client, decoded', async () => {
    const { client, server } = await connected();
    const got = once(client, 'announce');
    server.send(C.Announce, announce(4242));
    const [a] = await got;
    assert.deepEqual(a.headHash, hash(9));
    assert.equal(a.headNumber, 100);
    assert.equal(a.headTd, 4242n);
    assert.equal(a.updates[0]?.key, 'serveStateSince');
  });

  it('reports a malformed announce instead of throwing, and disconnects the server', async () => {
    const { client, server, ct } = await connected();
    const errors = violations(client);
    server.send(C.Announce, RLP.encode([hash(9).subarray(1), 100, 1, 0, []]));
    await until(() => errors.length === 1);
    assert.equal(errors[0]?.kind, 'malformed');
    assert.equal(errors[0]?.code, C.Announce);
    assert.equal(client.state, 'closed');
    assert.deepEqual(ct.disconnects, [SUBPROTOCOL_ERROR]);
  });

  it('delivers StopMsg and ResumeMsg (spec [BV] and bare-integer forms)', async () => {
    const { client, server } = await connected(3);
    const stop = once(client, 'stop');
    server.send(C.StopMsg, RLP.encode([]));
    await stop;
    const resumes: number[] = [];
    client.on('resume', (r) => resumes.push(r.bv));
    server.send(C.ResumeMsg, RLP.encode([5000]));
    server.send(C.ResumeMsg, RLP.encode(6000));
    await until(() => resumes.length === 2);
    assert.deepEqual(resumes, [5000, 6000]);
  });

  it('reports a malformed ResumeMsg', async () => {
    const { client, server } = await connected(4);
    const errors = violations(client);
    server.send(C.ResumeMsg, RLP.encode([[1]]));
    await until(() => errors.length === 1);
    assert.equal(errors[0]?.code, C.ResumeMsg);
  });

  it('reports messages not meant for the role: requests to a client, announces and StopMsg to a server', async () => {
    const { client, server } = await connected();
    const cErr = violations(client);
    const sErr = violations(server);
    server.send(C.GetBlockHeaders, getHeaders(1n));
    client.send(C.Announce, announce(1));
    client.send(C.StopMsg, RLP.encode([]));
    await until(() => cErr.length === 1 && sErr.length === 2);
    assert.deepEqual([...cErr, ...sErr].map((v) => v.kind), ['unexpected-message', 'unexpected-message', 'unexpected-message']);
  });

  it('reports a malformed request envelope to the server', async () => {
    const { server, ct } = await connected();
    const errors = violations(server);
    const requests: IncomingRequest[] = [];
    server.on('request', (r) => requests.push(r));
    ct.send(C.GetBlockHeaders, RLP.encode([[1], [1, 1, 0, 0]]));
    ct.send(C.GetBlockHeaders, RLP.encode([1]));
    await until(() => errors.length === 2);
    assert.equal(requests.length, 0);
    // The serving role leaves the verdict to its dispatcher (charged bad requests).
    assert.equal(server.state, 'open');
  });

  it('reports a second Status, and passes les/1 codes on as plain messages', async () => {
    const { client, st } = await connected();
    const errors = violations(client);
    const got = once(client, 'message');
    st.send(C.Status, encodeStatus(serverStatus()));
    st.send(C.SendTx, RLP.encode([1, []]));
    const [code] = await got;
    assert.equal(code, C.SendTx);
    assert.equal(errors[0]?.kind, 'unexpected-message');
  });
});

describe('LesPeer counters', () => {
  it('count messages and bytes per code in both directions, with times from the clock', async () => {
    let t = 1_000;
    const { client, server, ct, st } = await connected(4, { now: () => t });
    serve(server);
    t = 2_000;
    await client.request(C.GetBlockHeaders, getHeaders);
    const sum = (tr: FakeTransport, code: number) => tr.sent.filter((m) => m.code === code).reduce((n, m) => n + m.payload.length, 0);
    const cs = client.stats();
    const ss = server.stats();
    assert.equal(cs.connectedAt, 1_000);
    assert.equal(cs.lastSendAt, 2_000);
    assert.equal(cs.lastReceiveAt, 2_000);
    assert.deepEqual(cs.byMessage.Status, { code: 0, messagesOut: 1, bytesOut: sum(ct, 0), messagesIn: 1, bytesIn: sum(st, 0) });
    assert.deepEqual(cs.byMessage.GetBlockHeaders, { code: 2, messagesOut: 1, bytesOut: sum(ct, 2), messagesIn: 0, bytesIn: 0 });
    assert.deepEqual(ss.byMessage.BlockHeaders, { code: 3, messagesOut: 1, bytesOut: sum(st, 3), messagesIn: 0, bytesIn: 0 });
    assert.equal(cs.messagesOut, ct.sent.length);
    assert.equal(cs.bytesIn, ss.bytesOut);
    assert.equal(cs.requestsSent, 1);
    assert.equal(cs.repliesMatched, 1);
    // a snapshot is a copy, not a live view
    cs.byMessage.Status!.messagesIn = 99;
    assert.equal(client.stats().byMessage.Status?.messagesIn, 1);
  });
});
