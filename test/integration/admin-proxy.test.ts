/**
 * The proxy's peer commands (issue 6 §4) on a light client connected to real LesServers following
 * anvil, over the management endpoint with token sessions:
 * - getpeerinfo: one row per connected server whose numbers are what the server and the two
 *   peers' counters say — bytes both ways and per message (the server's session counters),
 *   version (the les version the server's session agreed), head and starting height (the
 *   server's head), BL/MRR and the serve windows (the Status the server sent this client),
 *   addresses (the server's listening port; our end as the server sees it), in-flight requests,
 *   and the ban score (the lies a tampering server told);
 * - addnode add: the server joins and serves (a request reaches it); add again is refused;
 *   remove: the connection ends and the server leaves the pool (nothing left to redial), unlike a
 *   configured server the server side drops, which waits for its redial; onetry: connects, and
 *   when the server drops it, it leaves the pool; a onetry nobody answers is refused;
 * - bad input is -32602 naming the parameter; a readonly token reads getpeerinfo and is refused
 *   addnode (401/-32001) with nothing changed;
 * - `lesp admin getpeerinfo` prints a table (and the exact rows with --json).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AdminClient, AdminClientError, type AdminEndpoint, type PeerInfoRow, startClientAdmin } from '../../src/admin/index.js';
import type { LesClient } from '../../src/client/engine/index.js';
import type { ServerPool } from '../../src/client/servers/index.js';
import { DisconnectReason, parseEnode } from '../../src/net/index.js';
import type { ClientSession, LesServer } from '../../src/serve/index.js';
import { type Devnet, serversIdle, startDevnet, startServers, until } from '../helpers/devnet-stack.js';
import { freePort } from '../helpers/anvil.js';
import { spawnLesp } from '../helpers/lesp-process.js';
import { Tamperer } from '../helpers/lying-server.js';

const idOf = (s: LesServer): string => Buffer.from(parseEnode(s.enode).id).toString('hex');

let devnet: Devnet;
let extra: LesServer;
let client: LesClient;
let admin: AdminEndpoint;
let rpc: AdminClient;

const pool = (): ServerPool => client.parts?.pool as ServerPool;
const ourId = (): string => Buffer.from(pool().node.id).toString('hex');
const sessionOf = (server: LesServer): ClientSession | undefined => server.service.sessions.find((s) => s.id === ourId());

async function call<T = unknown>(method: string, params: unknown[] = [], on = rpc): Promise<T> {
  return (await on.call(method, params)).result as T;
}

async function peerInfo(): Promise<PeerInfoRow[]> {
  return call<PeerInfoRow[]>('getpeerinfo');
}

async function rpcError(method: string, params: unknown[], on = rpc): Promise<AdminClientError> {
  try {
    await on.call(method, params);
  } catch (err) {
    if (err instanceof AdminClientError) return err;
    throw err;
  }
  throw new Error(`${method} did not fail`);
}

/** An address never seen before, so the balance is asked of a server, not answered from a cache. */
let nextAddress = 1;
async function freshBalance(): Promise<unknown> {
  const address = `0x${(0xadd0000 + nextAddress++).toString(16).padStart(40, '0')}`;
  return client.request('eth_getBalance', [address, 'latest']);
}

before(async () => {
  devnet = await startDevnet({ servers: 2 });
  client = (devnet.surfaces as NonNullable<Devnet['surfaces']>).client;
  [extra] = (await startServers(devnet.anvil, 1)) as [LesServer];
  await serversIdle(devnet.anvil, [extra]);
  admin = await startClientAdmin({ pool: () => client.parts?.pool, port: 0 });
  rpc = new AdminClient({ url: admin.url, token: admin.created as string });
});

after(async () => {
  await admin?.close();
  await extra?.stop();
  await devnet?.stop();
});

describe('getpeerinfo', () => {
  it('one row per connected server, matching what the servers and the peers counted', async () => {
    // Some proof requests first (the scheduler picks the servers).
    for (let i = 0; i < 5; i++) await freshBalance();
    const proofs = devnet.servers.map((s) => sessionOf(s)?.info().peer.byMessage.GetProofsV2?.bytesIn ?? 0);
    for (const server of devnet.servers) {
      const session = sessionOf(server) as ClientSession;
      const sent = session.peer.localStatus;
      assert.ok(sent !== undefined);
      // Polled until no message is on the wire between the two reads (counters move together).
      const row = await until(`getpeerinfo agreeing with ${server.enode}`, async () => {
        const r = (await peerInfo()).find((p) => p.id === idOf(server));
        const info = session.info();
        return r !== undefined && r.bytessent === info.peer.bytesIn && r.bytesrecv === info.peer.bytesOut ? { r, info } : undefined;
      });
      const { r, info } = row;
      for (const [name, t] of Object.entries(info.peer.byMessage)) {
        if (t.bytesIn > 0) assert.equal(r.bytessent_per_msg[name], t.bytesIn, `bytes sent as ${name}`);
        if (t.bytesOut > 0) assert.equal(r.bytesrecv_per_msg[name], t.bytesOut, `bytes received as ${name}`);
      }
      assert.deepEqual(Object.keys(r.bytessent_per_msg).sort(), Object.entries(info.peer.byMessage).filter(([, t]) => t.bytesIn > 0).map(([n]) => n).sort());
      assert.ok((r.bytessent_per_msg.Status ?? 0) > 0 && (r.bytesrecv_per_msg.Status ?? 0) > 0, 'the Status both ways');
      assert.equal(r.bytessent_per_msg.GetProofsV2 ?? 0, proofs[devnet.servers.indexOf(server)], 'the proof requests it was asked');

      assert.equal(r.enode, server.enode);
      assert.equal(r.version, `les/${session.version}`);
      assert.equal(r.version, 'les/4', 'both sides offer les/4');
      assert.equal(r.subver, 'les-provider/server', "the Hello client id LesServer sends");
      assert.equal(r.addr, `127.0.0.1:${parseEnode(server.enode).port}`);
      assert.equal(r.addrlocal, `${info.remote.host}:${info.remote.port}`, 'our end, as the server sees it');
      assert.equal(r.inbound, false);
      assert.equal(r.addnode, false);
      assert.equal(r.origin, 'configured');
      assert.equal(r.trusted, true);

      const head = server.stats().head;
      assert.deepEqual({ number: r.head.number, hash: r.head.hash, td: r.head.td.toString() }, head, "the server's head");
      assert.equal(r.startingheight, sent.headNum, 'the head of the Status the server sent');
      assert.equal(r.bl, sent.flowControlBL);
      assert.equal(r.mrr, sent.flowControlMRR);
      assert.equal(r.bl, info.bl);
      assert.equal(r.mrr, info.mrr);
      assert.ok(r.ble >= 0 && r.ble <= r.bl, `BLE ${r.ble} within [0, BL]`);
      assert.deepEqual(r.services, {
        serveHeaders: sent.serveHeaders === true,
        serveChainSince: sent.serveChainSince ?? null,
        serveRecentChain: sent.serveRecentChain ?? null,
        serveStateSince: sent.serveStateSince ?? null,
        serveRecentState: sent.serveRecentState ?? null,
        txRelay: sent.txRelay === true,
        recentTxLookup: sent.recentTxLookup ?? null,
      });
      assert.equal(r.relaytxes, sent.txRelay === true);
      assert.equal(r.inflight, 0);
      assert.equal(r.banscore, 0);
      assert.equal(r.stopped, false);
      assert.equal(r.requests, info.counters.requests, 'requests we sent = requests it received');

      const now = Date.now() / 1000;
      assert.ok(r.conntime <= now && r.conntime >= now - 600, `conntime ${r.conntime} is a recent Unix time`);
      assert.ok(r.lastsend >= r.conntime && r.lastsend <= now && r.lastrecv >= r.conntime && r.lastrecv <= now);
      assert.ok(r.pingtime !== null && r.minping !== null && r.minping >= 0 && r.minping <= r.pingtime, `minping ${r.minping} <= pingtime ${r.pingtime}`);
    }
    assert.equal((await peerInfo()).length, 2);
    assert.ok(proofs.some((b) => b > 0), 'proofs were asked');
  });
});

describe('addnode', () => {
  it('add: the server joins, serves, and is not added twice', async () => {
    assert.equal(await call('addnode', [extra.enode, 'add']), true);
    const row = await until('the added server in getpeerinfo', async () => (await peerInfo()).find((p) => p.id === idOf(extra)));
    assert.equal(row.addnode, true);
    assert.equal(row.origin, 'addnode');
    assert.equal(row.trusted, false);
    await until('a request served by the added server', async () => {
      await freshBalance();
      return (sessionOf(extra)?.counters.served ?? 0) > 0 ? true : undefined;
    });
    const again = await rpcError('addnode', [extra.enode, 'add']);
    assert.equal(again.rpcCode, -32602);
    assert.deepEqual(again.data, { field: 'enode' });
    assert.match(again.message, /already added/);
  });

  it('banscore counts the invalid answers of a lying server', async () => {
    // An extra node in each account proof: refused ("every node sent is used").
    // The honest servers answer slowly meanwhile, so the liar's round trip is the shortest and the
    // scheduler picks it (otherwise which server answers is up to the machine's timing).
    const liar = new Tamperer(extra, { lie: 'proof-extra' });
    const slow = devnet.servers.map((s) => new Tamperer(s, { delayMs: 150 }));
    try {
      await until('a lie told', async () => {
        await freshBalance(); // answered anyway: the request goes on to an honest server
        return liar.told['proof-extra'] > 0 ? true : undefined;
      });
    } finally {
      liar.lie = undefined;
      liar.uninstall();
      for (const s of slow) s.uninstall();
    }
    const row = await until('the lie counted', async () => {
      const r = (await peerInfo()).find((p) => p.id === idOf(extra));
      return r !== undefined && r.banscore === liar.told['proof-extra'] ? r : undefined;
    });
    assert.ok(row.banscore >= 1 && row.score < 1);
  });

  it('remove: the connection ends and the server leaves the pool, nothing left to redial', async () => {
    assert.equal(await call('addnode', [extra.enode, 'remove']), true);
    assert.equal(pool().list().some((s) => s.id === idOf(extra)), false);
    await until("the server's session gone", () => (sessionOf(extra) === undefined ? true : undefined));
    assert.equal((await peerInfo()).some((p) => p.id === idOf(extra)), false);
    const unknown = await rpcError('addnode', [extra.enode, 'remove']);
    assert.equal(unknown.rpcCode, -32602);
    assert.deepEqual(unknown.data, { field: 'enode' });
    assert.match(unknown.message, /unknown node/);
  });

  it('onetry: connects once; when the server drops it, it leaves the pool (a configured one waits to be redialed)', async () => {
    assert.equal(await call('addnode', [extra.enode, 'onetry']), true);
    const row = (await peerInfo()).find((p) => p.id === idOf(extra));
    assert.equal(row?.origin, 'onetry');
    assert.equal(row?.addnode, true);
    const session = await until("the server's session", () => sessionOf(extra));
    session.disconnect(DisconnectReason.DisconnectRequested);
    await until('the onetry server out of the pool', () => (pool().list().some((s) => s.id === idOf(extra)) ? undefined : true));

    // The same drop of a configured server leaves it in the pool, waiting for its redial.
    const configured = devnet.servers[1] as LesServer;
    (sessionOf(configured) as ClientSession).disconnect(DisconnectReason.DisconnectRequested);
    const waiting = await until('the configured server waiting', () => pool().list().find((s) => s.id === idOf(configured) && s.state !== 'connected'));
    assert.notEqual(waiting.nextDialAt, null);
    await until('the configured server back', () => (pool().get(idOf(configured))?.connected === true ? true : undefined), 60_000);
  });

  it('onetry to a node that does not answer is refused naming the enode', async () => {
    const port = await freePort();
    const enode = `enode://${idOf(extra)}@127.0.0.1:${port}`;
    const err = await rpcError('addnode', [enode, 'onetry']);
    assert.equal(err.rpcCode, -32602);
    assert.deepEqual(err.data, { field: 'enode' });
    assert.match(err.message, /could not connect/);
    assert.equal(pool().list().some((s) => s.id === idOf(extra)), false);
  });

  it('bad input: -32602 naming the parameter, nothing changed', async () => {
    const before = pool().list().map((s) => s.id).sort();
    const cases: Array<[unknown[], string, RegExp]> = [
      [['enode://1234@127.0.0.1:30303', 'add'], 'enode', /not a valid enode URL/],
      [['not an enode', 'onetry'], 'enode', /not a valid enode URL/],
      [['zz', 'remove'], 'enode', /not a valid enode URL/],
      [[extra.enode, 'delete'], 'command', /add, remove, onetry/],
      [[extra.enode], 'command', /required/],
      [[], 'enode', /required/],
      [[42, 'add'], 'enode', /string/],
      [[extra.enode, 'add', 'extra'], 'params', /at most 2/],
    ];
    for (const [params, field, message] of cases) {
      const err = await rpcError('addnode', params);
      assert.equal(err.rpcCode, -32602, JSON.stringify(params));
      assert.deepEqual(err.data, { field }, JSON.stringify(params));
      assert.match(err.message, message);
    }
    const extraParam = await rpcError('getpeerinfo', [1]);
    assert.equal(extraParam.rpcCode, -32602);
    assert.deepEqual(pool().list().map((s) => s.id).sort(), before);
  });
});

describe('access', () => {
  it('a readonly token reads getpeerinfo and is refused addnode, nothing changed', async () => {
    const { token } = await call<{ token: string }>('sessions.add', ['reader', 'readonly', 0]);
    const reader = new AdminClient({ url: admin.url, token });
    assert.equal((await call<PeerInfoRow[]>('getpeerinfo', [], reader)).length, 2);
    for (const command of ['add', 'onetry', 'remove']) {
      const target = command === 'remove' ? (devnet.servers[0] as LesServer).enode : extra.enode;
      const err = await rpcError('addnode', [target, command], reader);
      assert.equal(err.kind, 'unauthorized');
      assert.equal(err.rpcCode, -32001);
    }
    assert.equal(pool().list().length, 2);
    assert.equal(pool().list().some((s) => s.id === idOf(extra)), false);
    const nobody = await rpcError('getpeerinfo', [], new AdminClient({ url: admin.url, token: 'lesp_not-a-token' }));
    assert.equal(nobody.kind, 'unauthorized');
  });
});

describe('lesp admin', () => {
  async function lesp(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
    const run = spawnLesp(args);
    const { code } = await run.exit;
    return { code, out: run.stdout(), err: run.stderr() };
  }

  it('getpeerinfo as a table and as exact JSON; addnode errors as one line', async () => {
    const common = ['admin', '--url', admin.url, '--token', admin.created as string];
    const table = await lesp([...common, 'getpeerinfo']);
    assert.equal(table.code, 0, table.err);
    const lines = table.out.trimEnd().split('\n');
    assert.match(lines[0] as string, /^ID\s+Addr\s+LES\s+Client\s+Head\s+Start\s+.*Ping ms\s+.*BLE\s+BL\s+MRR\s+.*Origin$/);
    assert.equal(lines.length, 3, 'a header and one line per server');
    for (const server of devnet.servers) {
      const line = lines.find((l) => l.startsWith(idOf(server).slice(0, 16)));
      assert.ok(line !== undefined, `a line for ${server.enode}`);
      assert.match(line, new RegExp(`127\\.0\\.0\\.1:${parseEnode(server.enode).port}\\s+les/4\\s+les-provider/server\\s+${server.stats().head.number}\\s`));
    }
    const json = await lesp([...common, '--json', 'getpeerinfo']);
    assert.equal(json.code, 0, json.err);
    const rows = JSON.parse(json.out) as PeerInfoRow[];
    assert.deepEqual(rows.map((r) => r.id).sort(), devnet.servers.map(idOf).sort());

    const bad = await lesp([...common, 'addnode', 'enode://nope', 'add']);
    assert.equal(bad.code, 1);
    assert.match(bad.err.trim(), /^lesp admin addnode: enode: not a valid enode URL .*\(-32602\)$/);
  });
});
