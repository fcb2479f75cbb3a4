/**
 * discv4 on 127.0.0.1 between real parts: two LesServers (what `lesp serve` starts) in front of a
 * real anvil find each other, one through the other as its bootnode; a LesClient given no server
 * at all, only that bootnode and the node id it trusts, finds the trusted server through the
 * bootnode's neighbours, dials it and the bootnode, and answers a balance that equals anvil's.
 * The bootnode it found is untrusted (no vote); the trusted one is trusted by its key.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { AdminClient, startServeAdmin } from '../../src/admin/index.js';
import { DEVNET } from '../../src/config/network.js';
import { LesClient, LesProvider } from '../../src/index.js';
import type { LesServer } from '../../src/serve/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { genesisOf, serversIdle, startServers, until } from '../helpers/devnet-stack.js';
import { type LespRun, enodeOf, spawnLesp } from '../helpers/lesp-process.js';

const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const FRESH = '0x00000000000000000000000000000000d15c0fe7';
const idOf = (s: LesServer): string => (/^enode:\/\/([0-9a-f]{128})@/.exec(s.enode) as RegExpExecArray)[1] as string;

let anvil: Anvil;
let a: LesServer | undefined;
let b: LesServer | undefined;
/** On another network (id 4242): speaks LES, but not on ours. */
let c: LesServer | undefined;
let client: LesClient | undefined;
let provider: LesProvider | undefined;

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('anvil_mine', ['0x1']);
  await anvil.rpc('eth_sendTransaction', [{ from: DEV, to: FRESH, value: '0x2a' }]);
  [a] = await startServers(anvil, 1, { discovery: { refreshMs: 500 } });
  [b] = await startServers(anvil, 1, { discovery: { refreshMs: 500, bootnodes: [(a as LesServer).enode] } });
  [c] = await startServers(anvil, 1, { network: { ...DEVNET, networkId: 4242n }, discovery: { refreshMs: 500, bootnodes: [(a as LesServer).enode] } });
  await serversIdle(anvil, [a as LesServer, b as LesServer]);
});

after(async () => {
  await provider?.destroy();
  await client?.stop();
  await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
  await anvil?.stop();
});

describe('discovery between lesp serve instances and a client', () => {
  it('two servers find each other: each table holds the other with its LES port', async () => {
    const sa = a as LesServer;
    const sb = b as LesServer;
    const aSeesB = await until('A holding B', () => sa.discovery?.nodes().find((n) => n.id === idOf(sb)));
    const bSeesA = await until('B holding A', () => sb.discovery?.nodes().find((n) => n.id === idOf(sa)));
    assert.equal(aSeesB.tcpPort, Number(new URL(sb.enode).port));
    assert.equal(bSeesA.tcpPort, Number(new URL(sa.enode).port));
    // UDP on the LES port number, as go-ethereum does.
    assert.equal(sa.discovery?.udpPort, Number(new URL(sa.enode).port));
  });

  it('a discovered node on another network fails its handshake and is left alone; a configured one there does not end start() while discovery may find others', async () => {
    const sa = a as LesServer;
    const sb = b as LesServer;
    const sc = c as LesServer;
    await until('A holding C', () => sa.discovery?.nodes().find((n) => n.id === idOf(sc)));
    const other = new LesClient({
      network: 'devnet',
      genesisHash: await genesisOf(anvil),
      servers: [sc.enode], // NETWORK_MISMATCH: a lasting reason, which alone would end start() at once
      trustedServers: [idOf(sb)],
      discovery: { bootnodes: [sa.enode], refreshMs: 500 },
    });
    try {
      await other.start();
      const pool = other.parts?.pool;
      assert.ok(pool !== undefined);
      assert.equal(pool.get(idOf(sb))?.trusted, true);
      const c0 = pool.list().find((s) => s.id === idOf(sc));
      assert.notEqual(c0?.state, 'connected', 'the server on network 4242 never connects');
      assert.match(c0?.lastError ?? '', /network/i);
    } finally {
      await other.stop();
    }
    // Without a configured C: discovery offers it, its dial fails the Status check, it is forgotten.
    const logged: Array<{ obj: Record<string, unknown>; msg: string | undefined }> = [];
    const record = (obj: object, msg?: string) => logged.push({ obj: obj as Record<string, unknown>, msg });
    const third = new LesClient({
      network: 'devnet',
      genesisHash: await genesisOf(anvil),
      servers: [],
      trustedServers: [idOf(sb)],
      discovery: { bootnodes: [sa.enode], refreshMs: 500 },
      logger: { debug: () => undefined, info: record, warn: record },
    });
    try {
      await third.start();
      const pool = third.parts?.pool;
      assert.ok(pool !== undefined);
      const cShort = idOf(sc).slice(0, 16);
      const cFailed = () => logged.find((l) => l.msg === 'dial failed' && l.obj.server === cShort);
      await until('A and B connected, C tried and forgotten', () => {
        const l = pool.list();
        const connected = l.filter((s) => s.state === 'connected').map((s) => s.id).sort();
        return connected.length === 2 && cFailed() !== undefined && !l.some((s) => s.id === idOf(sc)) ? connected : undefined;
      });
      assert.equal(pool.discoveryStats()?.dialing, 2);
      assert.ok(logged.some((l) => l.msg === 'dialing a discovered server' && l.obj.server === cShort), 'C was offered and dialed');
      assert.match(String(cFailed()?.obj.err), /network/i, 'and failed the Status check');
    } finally {
      await third.stop();
    }
  });

  it("the operator's getinfo shows the discovery table and what was refused", async () => {
    const admin = await startServeAdmin({ server: a as LesServer, port: 0, onStop: () => undefined, peerProbeEveryMs: 0 });
    try {
      const rpc = new AdminClient({ url: admin.url, token: admin.created as string });
      const info = (await rpc.call('getinfo', [])).result as { discovery: { udp_port: number; nodes: number; packets: number; refused: Record<string, number> } };
      assert.equal(info.discovery.udp_port, (a as LesServer).discovery?.udpPort);
      assert.ok(info.discovery.nodes >= 1 && info.discovery.packets >= 1);
      assert.deepEqual(info.discovery.refused, (a as LesServer).discovery?.stats().failures);
    } finally {
      await admin.close();
    }
  });

  it('a client given only a bootnode finds the trusted server through it and answers verified', async () => {
    const sa = a as LesServer;
    const sb = b as LesServer;
    client = new LesClient({
      network: 'devnet',
      genesisHash: await genesisOf(anvil),
      servers: [],
      trustedServers: [idOf(sb)],
      discovery: { bootnodes: [sa.enode], refreshMs: 500 },
    });
    provider = new LesProvider({ engine: client, network: 'devnet' });
    await provider.start();
    assert.equal(await provider.getBalance(FRESH), BigInt(await anvil.rpc<string>('eth_getBalance', [FRESH, 'latest'])));
    assert.equal(await provider.getBalance(FRESH), 0x2an);

    const pool = client.parts?.pool;
    assert.ok(pool !== undefined);
    const listed = await until('both servers connected', () => {
      const l = pool.list();
      return l.filter((s) => s.state === 'connected').length === 2 ? l : undefined;
    });
    const byId = new Map(listed.map((s) => [s.id, s]));
    assert.equal(byId.get(idOf(sb))?.origin, 'discovered');
    assert.equal(byId.get(idOf(sb))?.trusted, true, 'trusted by the key the options name');
    assert.equal(byId.get(idOf(sa))?.origin, 'discovered');
    assert.equal(byId.get(idOf(sa))?.trusted, false, 'the bootnode is dialed as an untrusted server');
    assert.equal(client.status().trust.configured, 1, 'only the named key counts towards the quorum');
    const stats = pool.discoveryStats();
    assert.ok(stats !== undefined && stats.tableSize >= 2 && stats.dialing === 2);
  });
});

/** Whether something holds UDP `port` on 127.0.0.1 (a bind there fails). */
async function udpTaken(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  return new Promise<boolean>((resolve) => {
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

describe('the same through the CLI: lesp serve --discovery / --bootnodes, lesp proxy --bootnodes', () => {
  const runs: LespRun[] = [];
  after(async () => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGTERM');
    await Promise.all(runs.map((r) => r.exit));
  });
  const serve = (...extra: string[]): LespRun => {
    const r = spawnLesp(['serve', '--rpc', anvil.url, '--port', '0', '--network', 'devnet', '--log-level', 'warn', ...extra]);
    runs.push(r);
    return r;
  };

  it('discovery is off on the devnet unless asked for; two servers and a proxy given only a bootnode find each other', async () => {
    const quiet = await enodeOf(serve());
    assert.equal(await udpTaken(Number(new URL(quiet).port)), false, 'no UDP socket on the devnet by default');
    const bootnode = await enodeOf(serve('--discovery', 'on'));
    assert.equal(await udpTaken(Number(new URL(bootnode).port)), true, 'discv4 on the LES port number');
    const second = await enodeOf(serve('--discovery', 'on', '--bootnodes', bootnode));
    const secondId = (/^enode:\/\/([0-9a-f]{128})@/.exec(second) as RegExpExecArray)[1] as string;
    const proxy = spawnLesp(['proxy', '--network', 'devnet', '--genesis-hash', await genesisOf(anvil), '--http-port', '0', '--log-level', 'warn',
      '--discovery', 'on', '--bootnodes', bootnode, '--trusted', secondId]);
    runs.push(proxy);
    const url = await until('the proxy URL', () => proxy.stdout().split('\n').find((l) => l.startsWith('http://'))?.trim() ?? (proxy.child.exitCode !== null ? `exit ${proxy.stderr()}` : undefined), 90_000);
    assert.match(url, /^http:\/\//, url);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [FRESH, 'latest'] }) });
    const body = (await res.json()) as { result?: string; error?: unknown };
    assert.equal(body.result, await anvil.rpc<string>('eth_getBalance', [FRESH, 'latest']), JSON.stringify(body));
  });
});
