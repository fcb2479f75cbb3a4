// A client's peer reads a reply's reqID before anything else and drops a server that keeps
// violating the protocol: CLIENT_VIOLATION_LIMIT (3) unknown-reqID / wrong-code / unexpected
// messages are tolerated, the next one disconnects (SubprotocolError); a late reply to a request
// that timed out is no violation (once); the serving role keeps its own policy.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { PeerClosedError, RequestTimeoutError } from '../../../src/net/errors.js';
import type { IncomingRequest } from '../../../src/net/envelope.js';
import { CLIENT_VIOLATION_LIMIT, LesPeer, type LesPeerOptions, type ProtocolViolation } from '../../../src/net/peer.js';
import { ProtocolError } from '../../../src/wire/errors.js';
import { decodeRlp } from '../../../src/wire/rlp.js';
import { fakePair, until } from './fake-transport.js';
import { clientStatus, serverStatus } from './fixtures.js';

// Codes from the LES spec (DESIGN §4); SubprotocolError from the RLPx spec.
const C = { GetBlockHeaders: 2, BlockHeaders: 3, TxStatus: 0x15 } as const;
const SUBPROTOCOL_ERROR = 0x10;
const getHeaders = (reqID: bigint) => RLP.encode([reqID, [1, 1, 0, 0]]);

async function connected(options: Partial<LesPeerOptions> = {}) {
  const [ct, st] = fakePair(4);
  const client = new LesPeer(ct, { role: 'client', status: clientStatus(), ...options });
  const server = new LesPeer(st, { role: 'server', status: serverStatus(), ...options });
  await Promise.all([client.start(), server.start()]);
  const errors: ProtocolViolation[] = [];
  client.on('protocolError', (v) => errors.push(v));
  return { client, server, ct, st, errors };
}

/** A reply `[reqID, BV, data]` of about 9.5 MiB whose data is not valid RLP past its first bytes. */
function bigBrokenReply(reqID: bigint): Uint8Array {
  const head = RLP.encode([reqID, 7]);
  const size = Math.floor(9.5 * 2 ** 20);
  const body = new Uint8Array(head.length - 1 + size);
  body.set(head.subarray(1), 0);
  body.fill(0xff, head.length - 1); // 0xff: a list head declaring 8 length bytes, running past everything
  const len = body.length;
  const out = new Uint8Array(4 + len);
  out.set([0xfa, (len >>> 16) & 255, (len >>> 8) & 255, len & 255], 0);
  out.set(body, 4);
  return out;
}

describe('LesPeer (client role): protocol violations', () => {
  it(`tolerates ${CLIENT_VIOLATION_LIMIT} unknown reqIDs and disconnects at the next, rejecting pending requests`, async () => {
    const { client, st, ct, errors } = await connected();
    const pending = client.request(C.GetBlockHeaders, getHeaders);
    for (let i = 0; i < CLIENT_VIOLATION_LIMIT; i++) st.send(C.BlockHeaders, RLP.encode([1000 + i, 1, []]));
    await until(() => errors.length === CLIENT_VIOLATION_LIMIT);
    assert.equal(client.state, 'open');
    const closed = once(client, 'close');
    st.send(C.BlockHeaders, RLP.encode([2000, 1, []]));
    const [info] = await closed;
    assert.equal(info.reason, SUBPROTOCOL_ERROR);
    assert.equal(info.initiator, 'local');
    assert.equal(info.violation?.kind, 'unknown-reqid');
    assert.equal(info.violation?.reqID, 2000n);
    assert.deepEqual(ct.disconnects, [SUBPROTOCOL_ERROR]);
    assert.deepEqual(errors.map((e) => e.kind), Array(CLIENT_VIOLATION_LIMIT + 1).fill('unknown-reqid'));
    await assert.rejects(pending, PeerClosedError);
  });

  it('drops a 9.5 MiB reply with an unknown reqID without decoding past its reqID', async () => {
    const { client, st, errors } = await connected();
    assert.throws(() => decodeRlp(bigBrokenReply(4242n), 'BlockHeaders'), ProtocolError);
    st.send(C.BlockHeaders, bigBrokenReply(4242n));
    await until(() => errors.length === 1);
    // Decoded whole it is malformed (and would disconnect at once); read by its head it is only unknown.
    assert.equal(errors[0]?.kind, 'unknown-reqid');
    assert.equal(errors[0]?.reqID, 4242n);
    assert.equal(client.state, 'open');
  });

  it('counts replies of the wrong code toward the same limit', async () => {
    const { client, server, errors } = await connected();
    const seen: IncomingRequest[] = [];
    server.on('request', (r) => seen.push(r));
    const pending = client.request(C.GetBlockHeaders, getHeaders).catch((e: unknown) => e);
    await until(() => seen.length === 1);
    const reqID = seen[0]?.reqID ?? 0n;
    for (let i = 0; i <= CLIENT_VIOLATION_LIMIT; i++) server.reply(C.TxStatus, RLP.encode([reqID, 1, []]));
    await until(() => client.state === 'closed');
    assert.deepEqual(errors.map((e) => e.kind), Array(CLIENT_VIOLATION_LIMIT + 1).fill('wrong-reply-code'));
    assert.ok((await pending) instanceof PeerClosedError);
  });

  it('a late reply to a timed-out request is no violation; a second reply to it is an unknown reqID', async () => {
    const { client, server, errors } = await connected();
    const seen: IncomingRequest[] = [];
    server.on('request', (r) => seen.push(r));
    const lates: bigint[] = [];
    client.on('lateReply', (r) => lates.push(r.bv === 5 ? r.reqID : -1n));
    for (let i = 0; i < 5; i++) await assert.rejects(client.request(C.GetBlockHeaders, getHeaders, { timeoutMs: 20 }), RequestTimeoutError);
    for (const r of seen) server.reply(C.BlockHeaders, RLP.encode([r.reqID, 5, []]));
    await until(() => lates.length === 5);
    assert.deepEqual(lates, seen.map((r) => r.reqID));
    assert.equal(errors.length, 0);
    server.reply(C.BlockHeaders, RLP.encode([seen[0]?.reqID ?? 0n, 5, []]));
    await until(() => errors.length === 1);
    assert.equal(errors[0]?.kind, 'unknown-reqid');
    assert.equal(client.state, 'open');
  });

  it('violationLimit: null keeps reporting and never disconnects', async () => {
    const { client, st, errors } = await connected({ violationLimit: null });
    for (let i = 0; i < 10; i++) st.send(C.BlockHeaders, RLP.encode([1000 + i, 1, []]));
    st.send(C.BlockHeaders, Uint8Array.of(0xf8));
    await until(() => errors.length === 11);
    assert.equal(client.state, 'open');
  });
});

describe('LesPeer (serving role): no built-in disconnect', () => {
  it('reports unexpected and malformed messages from a client and stays open (its dispatcher decides)', async () => {
    const { server, ct } = await connected();
    const errors: ProtocolViolation[] = [];
    server.on('protocolError', (v) => errors.push(v));
    for (let i = 0; i < 10; i++) ct.send(C.BlockHeaders, RLP.encode([i, 1, []]));
    ct.send(C.GetBlockHeaders, Uint8Array.of(0xf8));
    await until(() => errors.length === 11);
    assert.equal(server.state, 'open');
  });
});
