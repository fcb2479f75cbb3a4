/**
 * Real RLPx over TCP on 127.0.0.1: LES Status handshakes in every version, version agreement,
 * a request and its reply, TxStatus on les/2 (message-space fix), and refused connections.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { DialError, HandshakeError } from '../../src/net/errors.js';
import { LesNode, type PeerFailure } from '../../src/net/node.js';
import type { LesVersion } from '../../src/wire/codes.js';
import { SEPOLIA_GENESIS, clientStatus, serverStatus } from '../unit/net/fixtures.js';
import { type Pair, nodes, startPair } from '../unit/net/rlpx-pair.js';

// LES spec codes.
const GET_BLOCK_HEADERS = 0x02;
const BLOCK_HEADERS = 0x03;
const GET_TX_STATUS = 0x14;
const TX_STATUS = 0x15;

const open: Array<{ close(): Promise<void> }> = [];
after(async () => {
  await Promise.all(open.map((o) => o.close()));
});
async function pair(opts: Parameters<typeof startPair>[0] = {}): Promise<Pair> {
  const p = await startPair(opts);
  open.push(p);
  return p;
}

describe('LES over RLPx on 127.0.0.1', () => {
  it('les/4: handshake, then a GetBlockHeaders request answered by its reply', async (t) => {
    const t0 = performance.now();
    const p = await pair();
    const handshakeMs = performance.now() - t0;
    assert.equal(p.toServer.version, 4);
    assert.equal(p.toClient.version, 4);
    assert.deepEqual(p.toServer.remoteId, p.server.id);
    assert.deepEqual(p.toClient.remoteId, p.client.id);
    assert.equal(p.toServer.remoteHost, '127.0.0.1');
    assert.equal(p.toServer.remoteStatus?.flowControlMRR, 16_000);
    assert.equal(p.toClient.remoteStatus?.announceType, 1);
    assert.deepEqual(p.server.peers, [p.toClient]);

    // The server answers [reqID, BV, [header]]: header bytes chosen here, compared at the client.
    const header = [new Uint8Array(32).fill(1), Uint8Array.from([0x10, 0x00])];
    p.toClient.on('request', (r) => {
      assert.equal(r.code, GET_BLOCK_HEADERS);
      assert.deepEqual(r.data, [Uint8Array.from([0x10, 0x00]), Uint8Array.from([1]), new Uint8Array(), new Uint8Array()]);
      p.toClient.reply(BLOCK_HEADERS, RLP.encode([r.reqID, 95_000_000, [header]]));
    });
    const t1 = performance.now();
    const reply = await p.toServer.request(GET_BLOCK_HEADERS, (reqID) => RLP.encode([reqID, [0x1000, 1, 0, 0]]));
    const roundTripMs = performance.now() - t1;
    assert.equal(reply.code, BLOCK_HEADERS);
    assert.equal(reply.bv, 95_000_000);
    assert.deepEqual(reply.data, [header]);
    t.diagnostic(`les/4 dial+handshake ${handshakeMs.toFixed(1)} ms, request round trip ${roundTripMs.toFixed(1)} ms`);
  });

  for (const v of [2, 3] as LesVersion[]) {
    it(`les/${v}: both sides offering only les/${v} complete the handshake`, async () => {
      const p = await pair({ serverVersions: [v], clientVersions: [v] });
      assert.equal(p.toServer.version, v);
      assert.equal(p.toClient.version, v);
      assert.equal(p.toClient.remoteStatus?.protocolVersion, v);
    });
  }

  const mixed: Array<[LesVersion[], LesVersion[], LesVersion]> = [
    [[2, 3], [2, 3, 4], 3],
    [[2, 4], [3, 4], 4],
    [[2, 3, 4], [2], 2],
  ];
  for (const [clientVersions, serverVersions, agreed] of mixed) {
    it(`client offering les/${clientVersions.join(',')} and server les/${serverVersions.join(',')} settle on les/${agreed}`, async () => {
      const p = await pair({ clientVersions, serverVersions });
      assert.equal(p.toServer.version, agreed);
      assert.equal(p.toClient.version, agreed);
    });
  }

  it('les/2: a TxStatus (0x15) reply arrives intact (spec message space of 22)', async () => {
    const p = await pair({ serverVersions: [2], clientVersions: [2] });
    const included = RLP.encode([new Uint8Array(32).fill(0xab), 1234, 7]);
    const entries = [[Uint8Array.from([3]), included], [Uint8Array.from([4]), new TextEncoder().encode('nonce too low')]];
    p.toClient.on('request', (r) => p.toClient.reply(TX_STATUS, RLP.encode([r.reqID, 1, entries])));
    const reply = await p.toServer.request(GET_TX_STATUS, (reqID) => RLP.encode([reqID, [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)]]));
    assert.equal(reply.code, TX_STATUS);
    assert.deepEqual(reply.data, entries);
    assert.equal(p.toServer.state, 'open');
  });

  it('refuses a handshake with a wrong genesis hash on both sides', async () => {
    const { server, client } = nodes({ client: { status: clientStatus({ genesisHash: SEPOLIA_GENESIS }) } });
    open.push(server, client);
    await server.listen(0);
    const serverFailure = once(server, 'peerError') as Promise<[PeerFailure]>;
    await assert.rejects(client.dial(server.enode), (e: unknown) => e instanceof HandshakeError && e.code === 'GENESIS_MISMATCH' && e.field === 'genesisHash');
    const [failure] = await serverFailure;
    assert.ok(failure.error instanceof HandshakeError);
    assert.equal(failure.error.code, 'GENESIS_MISMATCH');
    assert.equal(failure.remoteId, Buffer.from(client.id).toString('hex'));
    assert.equal(server.peers.length, 0);
    assert.equal(client.peers.length, 0);
  });

  it('refuses a client that meets a client (no flow-control keys)', async () => {
    const a = new LesNode({ role: 'client', status: clientStatus() });
    const b = new LesNode({ role: 'client', status: clientStatus() });
    open.push(a, b);
    await a.listen(0);
    await assert.rejects(b.dial(a.enode), (e: unknown) => e instanceof HandshakeError && e.code === 'NOT_A_SERVER');
  });

  it('fails a dial when no les version is shared', async () => {
    const { server, client } = nodes({ serverVersions: [3, 4], clientVersions: [2] });
    open.push(server, client);
    await server.listen(0);
    await assert.rejects(client.dial(server.enode), (e: unknown) => e instanceof DialError && e.code === 'CONNECTION_CLOSED');
  });

  it('fails a dial to a port nobody listens on', async () => {
    const { server, client } = nodes();
    open.push(server, client);
    const port = await server.listen(0);
    const enode = server.enode;
    await server.close();
    await assert.rejects(client.dial(enode), (e: unknown) => e instanceof DialError && e.code === 'CONNECT_FAILED');
    assert.ok(port > 0);
  });

  it('uses a per-connection Status builder with the agreed version', async () => {
    const seen: LesVersion[] = [];
    const p = await pair({
      clientVersions: [3],
      server: { status: ({ version }) => (seen.push(version), serverStatus({ headNum: 77 })) },
    });
    assert.deepEqual(seen, [3]);
    assert.equal(p.toServer.remoteStatus?.headNum, 77);
  });
});
