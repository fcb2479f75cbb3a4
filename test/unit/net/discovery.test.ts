/**
 * discv4 through DPT on 127.0.0.1: two endpoints find each other from a bootnode, and junk sent to
 * the UDP socket (too large, too short, a wrong hash, an unknown type, bad RLP, a signed ping
 * whose endpoint is nonsense) is counted and logged once per kind while the process lives on and
 * the endpoint keeps answering.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { publishedBootnodes } from '../../../src/net/bootnodes.js';
import { Discovery, type DiscoveredNode, MAX_PACKET_BYTES, failureKind } from '../../../src/net/discovery.js';
import { formatEnode, nodeIdFromPrivateKey, parseEnode } from '../../../src/net/enode.js';

const started: Discovery[] = [];
after(async () => {
  await Promise.all(started.map((d) => d.close()));
});

interface LogLine {
  level: 'info' | 'warn';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

function recordingLog(lines: LogLine[]) {
  return {
    info: (obj: object, msg?: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg?: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  };
}

async function startDiscovery(o: { tcpPort?: number | null; bootnodes?: string[]; log?: ReturnType<typeof recordingLog>; refreshMs?: number } = {}): Promise<Discovery> {
  const d = new Discovery({ privateKey: secp256k1.utils.randomPrivateKey(), host: '127.0.0.1', port: 0, refreshMs: o.refreshMs ?? 500, pingTimeoutMs: 1000, ...o });
  started.push(d);
  await d.start();
  return d;
}

function enodeOf(d: Discovery, tcpPort: number): string {
  return formatEnode({ id: d.id, host: '127.0.0.1', port: tcpPort, discport: d.udpPort });
}

function nextNode(d: Discovery, ms = 10_000): Promise<DiscoveredNode> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no node discovered in time')), ms);
    d.once('node', (n) => {
      clearTimeout(t);
      resolve(n);
    });
  });
}

/** A discv4 packet: keccak(sig || type || payload) || sig(keccak(type || payload)) || type || payload. */
function packet(type: number, payload: Uint8Array, key: Uint8Array): Uint8Array {
  const typedata = Uint8Array.from([type, ...payload]);
  const sig = secp256k1.sign(keccak256(typedata), key);
  const signed = Uint8Array.from([...sig.toCompactRawBytes(), sig.recovery, ...typedata]);
  return Uint8Array.from([...keccak256(signed), ...signed]);
}

const IP = Uint8Array.from([127, 0, 0, 1]);
const u16 = (n: number) => Uint8Array.from([n >> 8, n & 0xff]);
const EXPIRY = Uint8Array.from([0xff, 0xff, 0xff, 0xff]);

/**
 * A discv4 peer written here, packet by packet: it pings the node under test, answers its pings
 * (so it is a proven endpoint), and answers findnode with whatever `neighbours` returns.
 */
async function fakePeer(neighbours: () => Uint8Array[] = () => []) {
  const key = secp256k1.utils.randomPrivateKey();
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const port = socket.address().port;
  const received: Buffer[] = [];
  socket.on('message', (m: Buffer, rinfo) => {
    received.push(m);
    if (m[97] === 0x01) socket.send(packet(0x02, RLP.encode([[IP, u16(rinfo.port), u16(0)], m.subarray(0, 32), EXPIRY]), key), rinfo.port, rinfo.address);
    if (m[97] === 0x03) for (const n of neighbours()) socket.send(n, rinfo.port, rinfo.address);
  });
  return {
    key,
    received,
    id: Buffer.from(nodeIdFromPrivateKey(key)).toString('hex'),
    send: (p: Uint8Array, to: number) => new Promise<void>((r) => socket.send(p, to, '127.0.0.1', () => r())),
    ping: (to: number) => new Promise<void>((r) => socket.send(packet(0x01, RLP.encode([4, [IP, u16(port), u16(30000)], [IP, u16(to), u16(0)], EXPIRY]), key), to, '127.0.0.1', () => r())),
    close: () => socket.close(),
  };
}

async function sendUdp(port: number, datagrams: Uint8Array[]): Promise<void> {
  const s = createSocket('udp4');
  for (const d of datagrams) await new Promise<void>((resolve, reject) => s.send(d, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  s.close();
}

describe('discovery (discv4 over DPT)', () => {
  it('finds a node through a bootnode, both ways, on 127.0.0.1', async () => {
    const a = await startDiscovery({ tcpPort: 40001 });
    const b = await startDiscovery({ tcpPort: 40002, bootnodes: [enodeOf(a, 40001)] });
    const aSeesB = nextNode(a);
    const bSeesA = nextNode(b);
    const [fromA, fromB] = await Promise.all([aSeesB, bSeesA]);
    assert.equal(fromA.id, Buffer.from(b.id).toString('hex'));
    assert.equal(fromA.tcpPort, 40002, 'A learnt the TCP port B advertises');
    assert.equal(fromB.id, Buffer.from(a.id).toString('hex'));
    assert.equal(fromB.tcpPort, 40001);
    assert.deepEqual(parseEnode(fromB.enode).id, a.id);
  });

  it('a third node learns of the second through the bootnode (findnode / neighbours), and a node with no TCP port is not offered for dialing', async () => {
    const a = await startDiscovery({ tcpPort: 40011 });
    const b = await startDiscovery({ tcpPort: 40012, bootnodes: [enodeOf(a, 40011)] });
    await nextNode(a);
    const c = await startDiscovery({ tcpPort: null, bootnodes: [enodeOf(a, 40011)] });
    const bHex = Buffer.from(b.id).toString('hex');
    const found = await new Promise<DiscoveredNode>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('C never learnt of B')), 15_000);
      const check = (n: DiscoveredNode) => {
        if (n.id !== bHex) return;
        clearTimeout(t);
        resolve(n);
      };
      c.on('node', check);
      for (const n of c.nodes()) check(n);
    });
    assert.equal(found.tcpPort, 40012);
    // A pinged C back and holds it, but C accepts no connections: it is not a dial candidate.
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(!a.nodes().some((n) => n.id === Buffer.from(c.id).toString('hex')));
    assert.ok(a.stats().tableSize >= 2);
  });

  it('junk datagrams are dropped, counted and logged once per kind; the endpoint lives on', async () => {
    const lines: LogLine[] = [];
    const d = await startDiscovery({ tcpPort: 40021, log: recordingLog(lines) });
    const port = d.udpPort as number;
    const key = secp256k1.utils.randomPrivateKey();
    const random = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
    const signedJunkPing = packet(0x01, RLP.encode([4, 'not an endpoint', [], 0]), key);
    const kinds: Array<[string, Uint8Array]> = [
      ['oversized', random(MAX_PACKET_BYTES + 1)],
      ['too-short', random(40)],
      ['bad-hash', random(200)],
      ['bad-type', packet(0x09, RLP.encode([1, 2]), key)],
      ['bad-rlp', packet(0x01, Uint8Array.from([0xf8, 0xff, 0x01]), key)],
      ['bad-payload', signedJunkPing],
    ];
    await sendUdp(port, [...kinds.map(([, p]) => p), ...kinds.map(([, p]) => p)]);
    const want = Object.fromEntries(kinds.map(([k]) => [k, 2]));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && kinds.some(([k]) => d.stats().failures[k] !== 2)) await new Promise((r) => setTimeout(r, 20));
    const { failures, packets } = d.stats();
    assert.deepEqual(Object.fromEntries(kinds.map(([k]) => [k, failures[k]])), want);
    assert.equal(packets, kinds.length * 2);
    const warned = lines.filter((l) => l.level === 'warn').map((l) => l.obj.kind);
    assert.deepEqual(warned.sort(), kinds.map(([k]) => k).sort(), 'one warning per kind, not per packet');
    // Still a working discovery endpoint: a fresh node bootstraps from it.
    const e = await startDiscovery({ tcpPort: 40022, bootnodes: [enodeOf(d, 40021)] });
    const n = await nextNode(e);
    assert.equal(n.id, Buffer.from(d.id).toString('hex'));
  });

  it('findnode and neighbours only from entitled endpoints: unproven findnode gets no reply, unasked neighbours are not read', async () => {
    const d = await startDiscovery({ tcpPort: 40031 });
    const port = d.udpPort as number;
    const stranger = await fakePeer();
    try {
      const findnode = packet(0x03, RLP.encode([Uint8Array.from({ length: 64 }, () => 7), EXPIRY]), stranger.key);
      const junk = packet(0x04, RLP.encode([[[IP, u16(9), u16(9), Uint8Array.from({ length: 64 }, () => 9)]], EXPIRY]), stranger.key);
      await stranger.send(findnode, port);
      await stranger.send(junk, port);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(stranger.received, [], 'no neighbours for a forgeable source address, no ping to what it listed');
      assert.equal(d.stats().failures['findnode-unproven'], 1);
      assert.equal(d.stats().failures['neighbours-unasked'], 1);
      // Once it answered a ping of ours, its findnode is answered.
      await stranger.ping(port);
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && d.stats().tableSize < 1) await new Promise((r) => setTimeout(r, 20));
      await stranger.send(findnode, port);
      while (Date.now() < deadline && !stranger.received.some((m) => m[97] === 0x04)) await new Promise((r) => setTimeout(r, 20));
      assert.ok(stranger.received.some((m) => m[97] === 0x04));
    } finally {
      stranger.close();
    }
  });

  it('hostile answers from a peer it asked (a ping from port 0, neighbours naming junk endpoints, IPv6 on a v4 socket, the node itself) do not end the process nor loop', async () => {
    const lines: LogLine[] = [];
    const d = await startDiscovery({ tcpPort: 40041, log: recordingLog(lines) });
    const port = d.udpPort as number;
    const junkId = Uint8Array.from({ length: 64 }, (_, i) => i);
    const v6 = Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0));
    // Lies once; DPT's refresh asks it again and again, and then gets nothing, so what still arrives is d's own doing.
    let lied = false;
    const liar = await fakePeer(() => (lied ? [] : ((lied = true), [
      packet(0x04, RLP.encode([[[IP, u16(0), u16(0), junkId], [IP, u16(65535), u16(1), junkId], [v6, u16(30303), u16(30303), junkId], [IP, u16(port), u16(40041), d.id]], EXPIRY]), liar.key),
      packet(0x04, RLP.encode([[[Uint8Array.from([1, 2, 3]), u16(1), u16(1), Uint8Array.from([1])]], EXPIRY]), liar.key),
    ])));
    try {
      await liar.ping(port);
      const zeroPort = packet(0x01, RLP.encode([4, [IP, u16(0), u16(0)], [IP, u16(port), u16(0)], EXPIRY]), secp256k1.utils.randomPrivateKey());
      await liar.send(zeroPort, port);
      // d pings the liar back, adds it, asks it for neighbours 1 s later, pings what it lists (200 ms apart), waits for pongs (1 s).
      const deadline = Date.now() + 8000;
      while (Date.now() < deadline && !liar.received.some((m) => m[97] === 0x03)) await new Promise((r) => setTimeout(r, 20));
      assert.ok(liar.received.some((m) => m[97] === 0x03), 'the liar was asked for neighbours');
      await new Promise((r) => setTimeout(r, 2500));
      // Told of itself, DPT pinged itself once: it must not keep itself in its table and query itself on every refresh.
      const settled = d.stats().packets;
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(d.stats().packets, settled, 'no traffic of its own making once settled');
      assert.deepEqual(d.nodes().map((n) => n.id), [liar.id], 'nothing unproven in the table, nor itself');
      assert.equal(d.stats().failures['bad-payload'], 1, 'the bad address refused');
      assert.equal(d.stats().failures['socket:ERR_SOCKET_BAD_PORT'], 1, 'the ping back to port 0 failed, caught');
      const e = await startDiscovery({ tcpPort: 40042, bootnodes: [enodeOf(d, 40041)] });
      assert.equal((await nextNode(e)).id, Buffer.from(d.id).toString('hex'), 'still answering');
    } finally {
      liar.close();
    }
  });

  it('answers findnode with at most 12 neighbours, in a packet go-ethereum reads whole (≤ 1280 bytes)', async () => {
    const d = await startDiscovery({ tcpPort: 40051 });
    const others = await Promise.all(Array.from({ length: 15 }, (_, i) => startDiscovery({ tcpPort: 40052 + i, bootnodes: [enodeOf(d, 40051)] })));
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && d.stats().tableSize < others.length) await new Promise((r) => setTimeout(r, 50));
    assert.equal(d.stats().tableSize, others.length);
    const asker = await fakePeer();
    try {
      await asker.ping(d.udpPort as number);
      while (Date.now() < deadline && d.stats().tableSize < others.length + 1) await new Promise((r) => setTimeout(r, 20));
      await asker.send(packet(0x03, RLP.encode([Uint8Array.from({ length: 64 }, () => 7), EXPIRY]), asker.key), d.udpPort as number);
      while (Date.now() < deadline && !asker.received.some((m) => m[97] === 0x04)) await new Promise((r) => setTimeout(r, 20));
      const m = asker.received.find((x) => x[97] === 0x04) as Buffer;
      assert.ok(m.length <= 1280, `${m.length} bytes`);
      const [entries] = RLP.decode(m.subarray(98)) as unknown as [unknown[]];
      assert.equal(entries.length, 12);
    } finally {
      asker.close();
    }
  });

  it('a bootnode that never answers is retried while the table is empty, and its silence is counted', async () => {
    const lines: LogLine[] = [];
    const silentSocket = createSocket('udp4');
    await new Promise<void>((r) => silentSocket.bind(0, '127.0.0.1', r));
    const port = silentSocket.address().port;
    const id = secp256k1.getPublicKey(secp256k1.utils.randomPrivateKey(), false).subarray(1);
    let pings = 0;
    silentSocket.on('message', () => pings++);
    try {
      const d = await startDiscovery({ tcpPort: null, refreshMs: 300, log: recordingLog(lines), bootnodes: [formatEnode({ id, host: '127.0.0.1', port })] });
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && pings < 2) await new Promise((r) => setTimeout(r, 50));
      assert.ok(pings >= 2, `the bootnode was pinged again after its first silence (${pings} pings)`);
      assert.ok((d.stats().failures['ping-timeout'] ?? 0) >= 1);
      assert.equal(d.stats().tableSize, 0);
    } finally {
      silentSocket.close();
    }
  });

  it('a loopback socket skips bootnodes on other hosts, with one warning', async () => {
    const lines: LogLine[] = [];
    const bootnodes = publishedBootnodes('sepolia');
    assert.ok(bootnodes.length > 0, 'the published Sepolia bootnodes');
    const d = new Discovery({ privateKey: secp256k1.utils.randomPrivateKey(), host: '127.0.0.1', bootnodes, log: recordingLog(lines) });
    started.push(d);
    assert.equal(lines.filter((l) => l.level === 'warn').length, 1);
    assert.equal(lines[0]?.obj.skipped, bootnodes.length);
    assert.deepEqual(publishedBootnodes('devnet'), []);
  });

  it('a UDP port in use fails start() with one typed error naming it', async () => {
    const holder = createSocket('udp4');
    await new Promise<void>((r) => holder.bind(0, '127.0.0.1', r));
    try {
      const port = holder.address().port;
      const d = new Discovery({ privateKey: secp256k1.utils.randomPrivateKey(), host: '127.0.0.1', port });
      await assert.rejects(d.start(), (e: Error & { code?: string; field?: string }) => e.code === 'LISTEN_FAILED' && e.field === 'port' && e.message.includes(`127.0.0.1:${port}/udp`) && !e.message.includes('\n'));
      await d.close();
    } finally {
      holder.close();
    }
  });

  it('sorts DPT errors into kinds', () => {
    assert.equal(failureKind(new Error('Hash verification failed')), 'bad-hash');
    assert.equal(failureKind(Object.assign(new Error('x'), { code: 'EINVAL' })), 'socket:EINVAL');
    assert.equal(failureKind(new Error('Timeout error: ping 1.2.3.4:5')), 'ping-timeout');
  });
});
