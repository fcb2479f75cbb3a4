/**
 * Real RLPx over TCP on 127.0.0.1: request timeouts, pending requests when the remote leaves,
 * announces and StopMsg/ResumeMsg, protocol errors, and the per-peer counters.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import type { Peer as Devp2pPeer } from '@ethereumjs/devp2p';
import { PeerClosedError, RequestTimeoutError } from '../../src/net/errors.js';
import { LES_CAPABILITIES, LesProtocol } from '../../src/net/les-protocol.js';
import { LesNode } from '../../src/net/node.js';
import { LesRlpx } from '../../src/net/rlpx.js';
import { encodeStatus } from '../../src/wire/status.js';
import { clientStatus, serverStatus } from '../unit/net/fixtures.js';
import type { IncomingRequest } from '../../src/net/envelope.js';
import type { LesPeer, PeerCloseInfo, ProtocolViolation } from '../../src/net/peer.js';
import type { Announce } from '../../src/wire/announce.js';
import { until } from '../unit/net/fake-transport.js';
import { type Pair, startPair } from '../unit/net/rlpx-pair.js';

// LES spec codes and RLPx disconnect reasons.
const ANNOUNCE = 0x01;
const GET_BLOCK_HEADERS = 0x02;
const BLOCK_HEADERS = 0x03;
const GET_RECEIPTS = 0x06;
const STOP_MSG = 0x16;
const RESUME_MSG = 0x17;
const USELESS_PEER = 0x03;
const SUBPROTOCOL_ERROR = 0x10;
const TEN_MIB = 10 * 1024 * 1024;
/** RLPx: the first capability's codes start after the 16 base-protocol codes. */
const LES_OFFSET = 16;

const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(open.map((o) => o.close()));
});
async function pair(opts: Parameters<typeof startPair>[0] = {}): Promise<Pair> {
  const p = await startPair(opts);
  open.push(p);
  return p;
}
const getHeaders = (reqID: bigint) => RLP.encode([reqID, [7, 3, 0, 0]]);

describe('LES traffic over RLPx on 127.0.0.1', () => {
  it('a request nobody answers times out; the connection stays up and serves the next one', async () => {
    const p = await pair();
    let answer = false;
    p.toClient.on('request', (r) => {
      if (answer) p.toClient.reply(BLOCK_HEADERS, RLP.encode([r.reqID, 1, []]));
    });
    await assert.rejects(p.toServer.request(GET_BLOCK_HEADERS, getHeaders, { timeoutMs: 200 }), (e: unknown) => {
      assert.ok(e instanceof RequestTimeoutError);
      assert.equal(e.timeoutMs, 200);
      return true;
    });
    answer = true;
    const reply = await p.toServer.request(GET_BLOCK_HEADERS, getHeaders);
    assert.equal(reply.bv, 1);
    assert.equal(p.toServer.stats().requestTimeouts, 1);
  });

  it('pending requests are rejected with PeerClosedError when the server disconnects', async () => {
    const p = await pair();
    const held: IncomingRequest[] = [];
    p.toClient.on('request', (r) => held.push(r));
    const pending = [
      p.toServer.request(GET_BLOCK_HEADERS, getHeaders),
      p.toServer.request(GET_RECEIPTS, (reqID) => RLP.encode([reqID, [new Uint8Array(32).fill(3)]])),
    ];
    await until(() => held.length === 2);
    const closed = once(p.toServer, 'close') as Promise<[PeerCloseInfo]>;
    p.toClient.disconnect(USELESS_PEER);
    for (const req of pending) {
      await assert.rejects(req, (e: unknown) => e instanceof PeerClosedError && e.initiator === 'remote' && e.reason === USELESS_PEER);
    }
    const [info] = await closed;
    assert.equal(info.initiator, 'remote');
    assert.equal(info.reasonName, 'UselessPeer');
    assert.equal(p.toServer.pendingRequests, 0);
    await until(() => p.client.peers.length === 0 && p.server.peers.length === 0);
  });

  it('announces reach the client, decoded; a malformed one is reported and the client drops the server', async () => {
    const p = await pair();
    const announces: Announce[] = [];
    const errors: ProtocolViolation[] = [];
    p.toServer.on('announce', (a) => announces.push(a));
    p.toServer.on('protocolError', (v) => errors.push(v));
    const closed = once(p.toServer, 'close') as Promise<[PeerCloseInfo]>;
    const head = new Uint8Array(32).fill(0x5e);
    p.toClient.send(ANNOUNCE, RLP.encode([head, 12_345, 99_999_999_999n, 1, []]));
    p.toClient.send(ANNOUNCE, RLP.encode([head, 12_346])); // too short
    // go-ethereum drops a peer at its first undecodable message; so does our client.
    const [info] = await closed;
    assert.deepEqual(
      announces.map((a) => [a.headNumber, a.headTd, a.reorgDepth]),
      [[12_345, 99_999_999_999n, 1]],
    );
    assert.deepEqual(announces[0]?.headHash, head);
    assert.equal(errors[0]?.kind, 'malformed');
    assert.equal(p.toServer.stats().protocolErrors, 1);
    assert.equal(info.initiator, 'local');
    assert.equal(info.reasonName, 'SubprotocolError');
  });

  it('StopMsg and ResumeMsg reach the client on les/3', async () => {
    const p = await pair({ serverVersions: [3], clientVersions: [3] });
    const events: string[] = [];
    p.toServer.on('stop', () => events.push('stop'));
    p.toServer.on('resume', (r) => events.push(`resume ${r.bv}`));
    p.toClient.send(STOP_MSG, RLP.encode([]));
    p.toClient.send(RESUME_MSG, RLP.encode([48_000_000]));
    await until(() => events.length === 2);
    assert.deepEqual(events, ['stop', 'resume 48000000']);
  });

  it('counters on both sides agree with the bytes and messages exchanged', async () => {
    const p = await pair();
    const sentRequests: Uint8Array[] = [];
    const sentReplies: Uint8Array[] = [];
    p.toClient.on('request', (r) => {
      const reply = RLP.encode([r.reqID, 3, [new Uint8Array(500).fill(r.code)]]);
      sentReplies.push(reply);
      p.toClient.reply(BLOCK_HEADERS, reply);
    });
    const before = Date.now();
    for (let i = 0; i < 5; i++) {
      await p.toServer.request(GET_BLOCK_HEADERS, (reqID) => {
        const req = getHeaders(reqID);
        sentRequests.push(req);
        return req;
      });
    }
    const bytes = (list: Uint8Array[]) => list.reduce((n, b) => n + b.length, 0);
    const c = p.toServer.stats();
    const s = p.toClient.stats();
    assert.equal(c.byMessage.GetBlockHeaders?.messagesOut, 5);
    assert.equal(c.byMessage.GetBlockHeaders?.bytesOut, bytes(sentRequests));
    assert.equal(s.byMessage.GetBlockHeaders?.messagesIn, 5);
    assert.equal(s.byMessage.GetBlockHeaders?.bytesIn, bytes(sentRequests));
    assert.equal(s.byMessage.BlockHeaders?.bytesOut, bytes(sentReplies));
    assert.equal(c.byMessage.BlockHeaders?.bytesIn, bytes(sentReplies));
    // Status both ways: what one side sent is what the other received.
    assert.equal(c.byMessage.Status?.bytesOut, s.byMessage.Status?.bytesIn);
    assert.equal(s.byMessage.Status?.bytesOut, c.byMessage.Status?.bytesIn);
    assert.equal(c.messagesOut, 6);
    assert.equal(c.messagesIn, 6);
    assert.equal(c.requestsSent, 5);
    assert.equal(c.repliesMatched, 5);
    assert.ok(c.lastReceiveAt !== null && c.lastReceiveAt >= before);
    assert.ok(c.lastSendAt !== null && c.lastSendAt >= before);
    assert.ok(c.connectedAt <= before);
  });

  it('measures request round trips (diagnostic only)', async (t) => {
    const p = await pair();
    p.toClient.on('request', (r) => p.toClient.reply(BLOCK_HEADERS, RLP.encode([r.reqID, 1, []])));
    for (let i = 0; i < 20; i++) await p.toServer.request(GET_BLOCK_HEADERS, getHeaders);
    const n = 200;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await p.toServer.request(GET_BLOCK_HEADERS, getHeaders);
    const sequential = (performance.now() - t0) / n;
    const t1 = performance.now();
    await Promise.all(Array.from({ length: n }, () => p.toServer.request(GET_BLOCK_HEADERS, getHeaders)));
    const parallel = (performance.now() - t1) / n;
    assert.equal(p.toServer.stats().repliesMatched, 20 + 2 * n);
    t.diagnostic(`sequential ${sequential.toFixed(2)} ms/request, ${n} in flight ${parallel.toFixed(3)} ms/request`);
  });

  it('takes a message of exactly 10 MiB, and refuses a frame declaring more before decompressing it', async () => {
    const server = new LesNode({ role: 'server', status: serverStatus() });
    await server.listen(0);
    // A bare devp2p client, so that it can write frames LesPeer would never send.
    const raw = new LesRlpx(new Uint8Array(32).fill(0x77), {
      capabilities: [...LES_CAPABILITIES],
      maxPeers: 1,
      clientId: 'raw-test-client',
      rlpxHandshakeTimeoutMs: 5000,
      onDialSocketClosed: () => undefined,
    });
    open.push({
      close: async () => {
        raw.destroyUnhandshaken();
        if (raw._isAlive()) raw.destroy();
        await server.close();
      },
    });
    const serverPeer = once(server, 'peer') as Promise<[LesPeer]>;
    const rawPeer = once(raw.events, 'peer:added') as Promise<[Devp2pPeer]>;
    await raw.connect({ id: server.id, address: '127.0.0.1', tcpPort: server.port ?? 0 });
    const [devp2pPeer] = await rawPeer;
    const les = devp2pPeer.getProtocols().find((x): x is LesProtocol => x instanceof LesProtocol);
    assert.ok(les);
    les.sendRaw(0x00, encodeStatus(clientStatus()));
    const [toClient] = await serverPeer;
    const errors: ProtocolViolation[] = [];
    toClient.on('protocolError', (v) => errors.push(v));
    const closed = once(toClient, 'close') as Promise<[PeerCloseInfo]>;

    // [reqID, BV, [filler]] of exactly 10 MiB: accepted (and, unasked for, an unknown reqID).
    const filler = new Uint8Array(TEN_MIB - 14);
    const atLimit = RLP.encode([1, 1, [filler]]);
    assert.equal(atLimit.length, TEN_MIB);
    les.sendRaw(BLOCK_HEADERS, atLimit);
    await until(() => errors.length === 1, 10_000);
    assert.equal(errors[0]?.kind, 'unknown-reqid');

    // A snappy block whose header declares 300 MiB (devp2p would allocate it all first).
    const declared = 300 * 1024 * 1024;
    const varint: number[] = [];
    for (let v = declared; ; v = Math.floor(v / 128)) {
      if (v < 128) {
        varint.push(v);
        break;
      }
      varint.push((v % 128) | 0x80);
    }
    devp2pPeer._sendMessage(LES_OFFSET + BLOCK_HEADERS, Uint8Array.from([...varint, 0x00]));
    const [info] = await closed;
    assert.equal(errors[1]?.kind, 'too-large');
    assert.equal(errors[1]?.code, BLOCK_HEADERS);
    assert.match(errors[1]?.detail ?? '', /before decompression/);
    assert.equal(info.reason, SUBPROTOCOL_ERROR);
    assert.equal(toClient.stats().byMessage.BlockHeaders?.messagesIn, 1);
  });
});
