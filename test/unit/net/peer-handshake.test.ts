import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { HandshakeError, PeerClosedError } from '../../../src/net/errors.js';
import { LesPeer, type PeerCloseInfo } from '../../../src/net/peer.js';
import { type Status, decodeStatus, encodeStatus } from '../../../src/wire/status.js';
import { FakeTransport, fakePair, until } from './fake-transport.js';
import { SEPOLIA_GENESIS, clientStatus, serverStatus } from './fixtures.js';

// RLPx disconnect reasons (devp2p RLPx spec).
const BREACH_OF_PROTOCOL = 0x02;
const USELESS_PEER = 0x03;
const TIMEOUT = 0x0b;
const SUBPROTOCOL_ERROR = 0x10;
const STATUS = 0x00;
const ANNOUNCE = 0x01;
const utf8 = (s: string) => new TextEncoder().encode(s);

/** A client peer on a one-sided fake, fed `remote` bytes as the server's Status. */
async function clientMeets(remote: Uint8Array, opts: { version?: 2 | 3 | 4; code?: number } = {}) {
  const t = new FakeTransport(opts.version ?? 4);
  const peer = new LesPeer(t, { role: 'client', status: clientStatus() });
  const closed = new Promise<PeerCloseInfo>((r) => peer.once('close', r));
  const started = peer.start();
  t.inject(opts.code ?? STATUS, remote);
  const err = await started.then(
    () => assert.fail('handshake should fail'),
    (e: unknown) => e,
  );
  return { err, t, peer, info: await closed };
}

function assertRefused(err: unknown, code: string, field: string | undefined) {
  assert.ok(err instanceof HandshakeError, `expected HandshakeError, got ${String(err)}`);
  assert.equal(err.code, code);
  assert.equal(err.field, field);
}

/** Status entries as raw RLP, with `drop` keys removed and `set` values replaced. */
function rawStatus(s: Status, drop: string[] = [], set: Record<string, unknown> = {}): Uint8Array {
  const entries = (RLP.decode(encodeStatus(s)) as Uint8Array[][]).filter((e) => !drop.includes(new TextDecoder().decode(e[0])));
  for (const [k, v] of Object.entries(set)) {
    const i = entries.findIndex((e) => new TextDecoder().decode(e[0]) === k);
    entries[i] = [utf8(k), v as Uint8Array];
  }
  return RLP.encode(entries as never);
}

describe('LesPeer handshake', () => {
  it('completes in both roles and exposes each side\'s Status', async () => {
    const [ct, st] = fakePair(4);
    const client = new LesPeer(ct, { role: 'client', status: clientStatus() });
    const server = new LesPeer(st, { role: 'server', status: serverStatus() });
    const [fromServer, fromClient] = await Promise.all([client.start(), server.start()]);
    assert.equal(fromServer.flowControlBL, 96_000_000);
    assert.equal(fromClient.announceType, 1);
    assert.equal(client.state, 'open');
    assert.equal(server.remoteStatus, fromClient);
    assert.equal(client.version, 4);
  });

  it('writes the agreed version into our Status whatever the option says', async () => {
    const [ct, st] = fakePair(3);
    const client = new LesPeer(ct, { role: 'client', status: clientStatus({ protocolVersion: 4 }) });
    const server = new LesPeer(st, { role: 'server', status: serverStatus({ protocolVersion: 2 }) });
    await Promise.all([client.start(), server.start()]);
    const sent = ct.sent.find((m) => m.code === STATUS);
    assert.ok(sent);
    assert.equal(decodeStatus(sent.payload).protocolVersion, 3);
    assert.equal(server.remoteStatus?.protocolVersion, 3);
  });

  it('refuses a wrong genesis hash and disconnects as useless peer', async () => {
    const { err, t, info } = await clientMeets(encodeStatus(serverStatus({ genesisHash: SEPOLIA_GENESIS })));
    assertRefused(err, 'GENESIS_MISMATCH', 'genesisHash');
    assert.deepEqual(t.disconnects, [USELESS_PEER]);
    assert.equal(info.initiator, 'local');
    assert.equal(info.error, err);
  });

  it('refuses a wrong networkId', async () => {
    const { err, t } = await clientMeets(encodeStatus(serverStatus({ networkId: 11155111n })));
    assertRefused(err, 'NETWORK_MISMATCH', 'networkId');
    assert.deepEqual(t.disconnects, [USELESS_PEER]);
  });

  it('refuses a Status whose protocolVersion is not the agreed one', async () => {
    const { err } = await clientMeets(encodeStatus(serverStatus({ protocolVersion: 3 })));
    assertRefused(err, 'VERSION_MISMATCH', 'protocolVersion');
  });

  it('refuses a les/4 Status without forkID', async () => {
    const { err, t } = await clientMeets(rawStatus(serverStatus(), ['forkID']));
    assert.ok(err instanceof HandshakeError);
    assert.equal(err.field, 'forkID');
    assert.deepEqual(t.disconnects, [SUBPROTOCOL_ERROR]);
  });

  it('accepts a les/3 Status without forkID', async () => {
    const t = new FakeTransport(3);
    const peer = new LesPeer(t, { role: 'client', status: clientStatus() });
    const started = peer.start();
    t.inject(STATUS, rawStatus(serverStatus({ protocolVersion: 3 }), ['forkID']));
    assert.equal((await started).forkID, undefined);
  });

  for (const key of ['flowControl/BL', 'flowControl/MRR', 'flowControl/MRC']) {
    it(`refuses, as a client, a "server" without ${key}`, async () => {
      const { err, t } = await clientMeets(rawStatus(serverStatus(), [key]));
      assertRefused(err, 'NOT_A_SERVER', key);
      assert.deepEqual(t.disconnects, [USELESS_PEER]);
    });
  }

  it('accepts, as a server, a client without flow-control keys', async () => {
    const t = new FakeTransport(4);
    const peer = new LesPeer(t, { role: 'server', status: serverStatus() });
    const started = peer.start();
    t.inject(STATUS, encodeStatus(clientStatus()));
    assert.equal((await started).flowControlBL, undefined);
  });

  const malformed: Array<[string, Uint8Array, string | undefined]> = [
    ['bytes that are not RLP', Uint8Array.from([0xc5, 0x01]), 'payload'],
    ['a Status that is a byte string', RLP.encode(utf8('status')), 'entries'],
    ['a Status missing headHash', rawStatus(serverStatus(), ['headHash']), 'headHash'],
    ['a 31-byte genesisHash', rawStatus(serverStatus(), [], { genesisHash: new Uint8Array(31) }), 'genesisHash'],
    ['a networkId with a leading zero', rawStatus(serverStatus(), [], { networkId: Uint8Array.from([0, 1]) }), 'networkId'],
  ];
  for (const [what, bytes, field] of malformed) {
    it(`refuses ${what} as BAD_STATUS naming the field`, async () => {
      const { err, t } = await clientMeets(bytes);
      assertRefused(err, 'BAD_STATUS', field);
      assert.deepEqual(t.disconnects, [SUBPROTOCOL_ERROR]);
    });
  }

  it('refuses any other message before Status', async () => {
    const { err, t } = await clientMeets(RLP.encode([]), { code: ANNOUNCE });
    assertRefused(err, 'UNEXPECTED_MESSAGE', undefined);
    assert.deepEqual(t.disconnects, [BREACH_OF_PROTOCOL]);
  });

  it('gives up after the handshake timeout', async () => {
    const t = new FakeTransport(4);
    const peer = new LesPeer(t, { role: 'client', status: clientStatus(), handshakeTimeoutMs: 30 });
    await assert.rejects(peer.start(), (e: unknown) => e instanceof HandshakeError && e.code === 'HANDSHAKE_TIMEOUT');
    assert.deepEqual(t.disconnects, [TIMEOUT]);
    assert.equal(peer.state, 'closed');
  });

  it('rejects with PeerClosedError when the remote leaves mid-handshake', async () => {
    const t = new FakeTransport(4);
    const peer = new LesPeer(t, { role: 'client', status: clientStatus() });
    const started = peer.start();
    t.remoteClosed(0x04);
    await assert.rejects(started, (e: unknown) => e instanceof PeerClosedError && e.initiator === 'remote' && e.reason === 0x04);
  });

  it('refuses to start with a local les/4 Status lacking forkID, or a server Status lacking flow control', async () => {
    const t1 = new FakeTransport(4);
    const p1 = new LesPeer(t1, { role: 'client', status: clientStatus({ forkID: undefined }) });
    await assert.rejects(p1.start(), (e: unknown) => e instanceof HandshakeError && e.code === 'LOCAL_STATUS' && e.field === 'forkID');
    assert.equal(t1.sent.length, 0);
    const t2 = new FakeTransport(4);
    const p2 = new LesPeer(t2, { role: 'server', status: serverStatus({ flowControlMRR: undefined }) });
    await assert.rejects(p2.start(), (e: unknown) => e instanceof HandshakeError && e.code === 'LOCAL_STATUS' && e.field === 'flowControl/MRR');
  });

  it('delivers a Status that arrived before start()', async () => {
    const t = new FakeTransport(4);
    t.inject(STATUS, encodeStatus(serverStatus()));
    const peer = new LesPeer(t, { role: 'client', status: clientStatus() });
    await peer.start();
    await until(() => peer.state === 'open');
  });
});
