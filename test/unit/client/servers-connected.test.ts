/**
 * ConnectedServer over an in-memory LES connection: view from Status, announces (signatures of
 * trusted servers, head ordering, updates), the flow estimate on send/reply/StopMsg/ResumeMsg,
 * scoring and disconnecting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { silentLogger } from '../../../src/client/scheduler/index.js';
import { ConnectedServer, ServerRecord } from '../../../src/client/servers/index.js';
import { ManualClock } from '../../../src/flow/index.js';
import { LesPeer, nodeIdFromPrivateKey } from '../../../src/net/index.js';
import { signAnnounce } from '../../../src/verify/announce-signature.js';
import { type Announce, encodeAnnounce } from '../../../src/wire/announce.js';
import { encodeRlp, encodeUint } from '../../../src/wire/rlp.js';
import { encodeResumeMsg, encodeStopMsg } from '../../../src/wire/stop-resume.js';
import { FakeTransport, until } from '../net/fake-transport.js';
import { clientStatus, serverStatus } from '../net/fixtures.js';

// LES codes (spec).
const ANNOUNCE = 0x01;
const GET_RECEIPTS = 0x06;
const RECEIPTS = 0x07;
const STOP = 0x16;
const RESUME = 0x17;

async function connect(opts: { trusted?: boolean } = {}) {
  const key = secp256k1.utils.randomPrivateKey();
  const ct = new FakeTransport(4, nodeIdFromPrivateKey(key));
  const st = new FakeTransport(4, new Uint8Array(64).fill(0xcc));
  ct.other = st;
  st.other = ct;
  const client = new LesPeer(ct, { role: 'client', status: clientStatus() });
  const remote = new LesPeer(st, {
    role: 'server',
    status: serverStatus({ headNum: 100, headTd: 1_000n, flowControlBL: 1_000_000, flowControlMRR: 100 }),
  });
  await Promise.all([client.start(), remote.start()]);
  const clock = new ManualClock(0);
  const record = new ServerRecord(200);
  const server = new ConnectedServer({ peer: client, trusted: opts.trusted ?? false, record, clock, logger: silentLogger });
  const announces: Announce[] = [];
  const refused: Error[] = [];
  server.on('announce', (a) => announces.push(a));
  server.on('badAnnounce', (_a, e) => refused.push(e));
  const announce = (number: number, td: bigint, sign: 'valid' | 'forged' | 'none', updates: Announce['updates'] = []) => {
    const head = { headHash: new Uint8Array(32).fill(number & 0xff), headNumber: number, headTd: td };
    const a: Announce = { ...head, reorgDepth: 0, updates };
    if (sign !== 'none') a.signature = signAnnounce(sign === 'valid' ? key : secp256k1.utils.randomPrivateKey(), head);
    remote.send(ANNOUNCE, encodeAnnounce(a));
  };
  return { server, remote, client, clock, record, announces, refused, announce };
}

describe('ConnectedServer: the view', () => {
  it('takes head, capabilities and flow parameters from the server Status', async () => {
    const { server } = await connect();
    assert.equal(server.head.number, 100);
    assert.equal(server.head.td, 1_000n);
    assert.equal(server.caps.serveRecentState, 128);
    assert.equal(server.flow.bl, 1_000_000);
    assert.equal(server.flow.ble, 1_000_000);
    assert.equal(server.version, 4);
    assert.equal(server.connected, true);
    assert.equal(server.score, 1);
  });
});

describe('ConnectedServer: announces', () => {
  it('a trusted server: a head signed by its node key is taken and forwarded', async () => {
    const t = await connect({ trusted: true });
    t.announce(101, 1_010n, 'valid');
    await until(() => t.announces.length === 1);
    assert.equal(t.server.head.number, 101);
    assert.equal(t.refused.length, 0);
  });

  it('a trusted server: a forged or missing signature is refused, scored down, not forwarded', async () => {
    const t = await connect({ trusted: true });
    t.announce(101, 1_010n, 'forged');
    t.announce(102, 1_020n, 'none');
    await until(() => t.refused.length === 2);
    assert.equal(t.announces.length, 0);
    assert.equal(t.server.head.number, 100);
    assert.ok(t.server.score < 1);
    assert.equal(t.record.badAnnounces, 2);
    assert.ok(t.refused.every((e) => (e as { code?: string }).code === 'BAD_SIGNATURE'));
  });

  it('a head not above the last one (TD, then number) is bad form', async () => {
    const t = await connect();
    t.announce(100, 1_000n, 'none');
    t.announce(99, 1_500n, 'none'); // higher TD wins even at a lower number (a reorg)
    t.announce(120, 1_400n, 'none');
    await until(() => t.refused.length + t.announces.length === 3);
    assert.deepEqual(t.announces.map((a) => a.headNumber), [99]);
    assert.equal(t.refused.length, 2);
    assert.ok(t.refused.every((e) => (e as { code?: string }).code === 'BAD_ANNOUNCE'));
  });

  it('announce updates change capabilities and the flow estimate; a nonsensical one is refused', async () => {
    const t = await connect();
    let changes = 0;
    t.server.on('change', () => changes++);
    t.announce(101, 1_010n, 'none', [
      { key: 'serveStateSince', value: encodeUint(50) },
      { key: 'flowControl/BL', value: encodeUint(2_000_000) },
    ]);
    await until(() => t.announces.length === 1);
    assert.equal(t.server.caps.serveStateSince, 50);
    assert.equal(t.server.flow.bl, 2_000_000);
    assert.ok(changes >= 1);
    t.announce(102, 1_020n, 'none', [{ key: 'flowControl/MRR', value: encodeUint(0) }]);
    await until(() => t.refused.length === 1);
    assert.equal(t.server.head.number, 101);
    assert.equal(t.server.flow.mrr, 100);
  });
});

describe('ConnectedServer: update announces (zero head hash)', () => {
  it("a trusted server's unsigned capacity update changes the flow parameters, is not a head, and is no bad form", async () => {
    // What a server sends when its capacity for us changes (src/serve/server/session.ts setCapacity).
    const t = await connect({ trusted: true });
    const update: Announce = {
      headHash: new Uint8Array(32),
      headNumber: 0,
      headTd: 0n,
      reorgDepth: 0,
      updates: [
        { key: 'flowControl/BL', value: encodeUint(3_000_000) },
        { key: 'flowControl/MRR', value: encodeUint(500) },
      ],
    };
    let changes = 0;
    t.server.on('change', () => changes++);
    t.remote.send(ANNOUNCE, encodeAnnounce(update));
    await until(() => t.server.flow.bl === 3_000_000);
    assert.equal(t.server.flow.mrr, 500);
    assert.equal(t.server.head.number, 100, 'the head stays');
    assert.equal(t.announces.length, 0, 'not forwarded as a head');
    assert.equal(t.refused.length, 0);
    assert.equal(t.record.badAnnounces, 0);
    assert.equal(t.server.score, 1);
    assert.ok(changes >= 1);
  });
});

describe('ConnectedServer: flow control', () => {
  it('books the max cost on send and takes BV minus later costs from the reply; samples the RTT', async () => {
    const { server, remote, clock, record } = await connect();
    const held: Array<{ reqID: bigint }> = [];
    remote.on('request', (r) => held.push(r));
    const build = (reqID: bigint) => encodeRlp([encodeUint(reqID), [new Uint8Array(32)]]);
    const first = server.request(GET_RECEIPTS, build, 300_000, 5_000);
    const second = server.request(GET_RECEIPTS, build, 200_000, 5_000);
    assert.equal(server.flow.ble, 500_000);
    await until(() => held.length === 2);
    clock.advance(40);
    // The server's BV after the first request includes the second, sent after it: 990,000 − 200,000.
    remote.reply(RECEIPTS, encodeRlp([encodeUint(held[0]!.reqID), encodeUint(990_000), []]));
    await first;
    assert.equal(server.flow.ble, 790_000);
    assert.equal(record.rtt.value, 40);
    remote.reply(RECEIPTS, encodeRlp([encodeUint(held[1]!.reqID), encodeUint(1_000_000), []]));
    await second;
    assert.equal(server.flow.ble, 1_000_000);
    assert.equal(record.requests, 2);
  });

  it('StopMsg stops the estimate and is reported; ResumeMsg sets BLE to its BV', async () => {
    const { server, remote } = await connect();
    let stops = 0;
    let changes = 0;
    server.on('stop', () => stops++);
    server.on('change', () => changes++);
    remote.send(STOP, encodeStopMsg());
    await until(() => stops === 1);
    assert.equal(server.flow.stopped, true);
    assert.equal(server.flow.canSend(1), false);
    assert.ok(server.score < 1);
    remote.send(RESUME, encodeResumeMsg({ bv: 123_456 }));
    await until(() => changes === 1);
    assert.equal(server.flow.stopped, false);
    assert.equal(server.flow.ble, 123_456);
  });
});

describe('ConnectedServer: scoring and dropping', () => {
  it('counts invalid answers on the connection and in the record; disconnect names why', async () => {
    const { server, client, record } = await connect();
    server.recordAnswer('invalid');
    server.recordAnswer('valid');
    server.recordAnswer('invalid');
    assert.equal(server.invalidAnswers, 2);
    assert.equal(record.invalidAnswers, 2);
    assert.ok(server.score < 0.5);
    server.disconnect('too many lies');
    assert.equal(server.connected, false);
    assert.equal(client.state, 'closed');
    assert.equal(server.disconnectReason, 'too many lies');
  });
});
