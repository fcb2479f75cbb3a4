/**
 * The operator commands (after seed 001's operator RPC) on a LesServer following anvil, with real
 * LES clients connected over RLPx: getinfo (compared with anvil's head, the clients, the errors),
 * sessions (one row per client: enode.ID, flags, client name, counters), groups (the /24 of
 * 127.0.0.1), disconnect and log (electrumx's result lines; the server ends the session with
 * DisconnectRequested and logs each request of a logged session), a session disconnected at its
 * 10th invalid request and counted in getinfo's errors, peers / add_peer (a second LesServer is
 * good, a server of another genesis bad, a port nobody listens on never), rpc_url (the follower's
 * calls move to a relay in front of anvil and back; another chain is refused), stop (called
 * after answering).
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Wallet, ethers } from 'ethers';
import { AdminClient, AdminClientError, type ServeAdmin, startServeAdmin } from '../../src/admin/index.js';
import { DEVNET } from '../../src/config/network.js';
import type { PeerCloseInfo } from '../../src/net/index.js';
import { LesServer } from '../../src/serve/index.js';
import { Code } from '../../src/wire/index.js';
import { type Anvil, freePort, startAnvil } from '../helpers/anvil.js';
import { FakeLesServer, keccakAnswerer } from '../helpers/fake-les-server.js';
import { LesTestClient, waitFor } from '../helpers/les-client.js';

const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const idOf = (c: LesTestClient): string => ethers.keccak256(c.node.id).slice(2);

let anvil: Anvil;
let server: LesServer;
let other: LesServer;
let admin: ServeAdmin;
let rpc: AdminClient;
let genesis: Uint8Array;
let stopped = 0;
const logLines: Array<{ obj: object; msg: string }> = [];
const clients: LesTestClient[] = [];
const closers: Array<() => Promise<unknown>> = [];

const log = { debug() {}, info: (obj: object, msg: string) => logLines.push({ obj, msg }), warn() {}, error() {} };

async function connect(announceType: 0 | 1 | 2 = 1): Promise<LesTestClient> {
  const c = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis, announceType });
  clients.push(c);
  return c;
}

async function call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
  return (await rpc.call(method, params)).result as T;
}

async function noSessions(): Promise<void> {
  await waitFor(() => server.service.sessions.length === 0, 5000, 'no session left');
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('anvil_mine', ['0x20']);
  server = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50, log });
  await server.start();
  await server.stack.idle();
  genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
  admin = await startServeAdmin({ server, port: 0, onStop: () => stopped++, peerProbeEveryMs: 0 });
  rpc = new AdminClient({ url: admin.url, token: admin.created as string });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const close of closers) await close();
  await admin?.close();
  await server?.stop();
  await other?.stop();
  await anvil?.stop();
});

describe('operator commands', () => {
  it('getinfo, sessions and groups describe the connected clients', async () => {
    const a = await connect(1);
    const b = await connect(2);
    await waitFor(() => server.service.sessions.length === 2, 5000, 'two sessions');
    await a.headers({ origin: { number: 1 }, amount: 3, skip: 0, reverse: false });
    await a.headers({ origin: { number: 2 }, amount: 1, skip: 0, reverse: false });
    const wallet = new Wallet(DEV_KEY);
    const tx = await wallet.signTransaction({ to: '0x00000000000000000000000000000000000000bb', value: 1n, gasLimit: 21000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, chainId: 31337n, type: 2, nonce: 0 });
    await b.sendTxs([bytes(tx)]);
    await server.stack.idle();

    const info = await call<Record<string, unknown>>('getinfo');
    const anvilHead = Number(await anvil.rpc<string>('eth_blockNumber'));
    assert.equal(info.sessions, 2);
    assert.equal(info.closing, 0);
    assert.equal(info.paused, 0);
    assert.equal(info.requests, 0, 'nothing in flight');
    assert.equal(info.errors, 0);
    assert.equal(info.groups, 1);
    assert.equal(info.daemon, `http://127.0.0.1:${anvil.port}/`);
    assert.equal(info.daemon_height, anvilHead);
    assert.ok((info.db_height as number) <= anvilHead && (info.db_height as number) >= anvilHead - 1, `our head ${info.db_height} vs the node's ${anvilHead}`);
    assert.equal(info.sections, server.stats().sections);
    assert.equal(info.pid, process.pid);
    assert.equal(info.txs_sent, 1);
    assert.match(info.uptime as string, /^\d\dh \d\dm \d\ds$/);
    assert.deepEqual(info.peers, { bad: 0, good: 0, never: 0, stale: 0, total: 0 });

    await call('les_addBalance', [idOf(b), 1_000_000_000, '']);
    const rows = await call<Array<Record<string, unknown>>>('sessions');
    const ra = rows.find((r) => r.id === idOf(a))!;
    const rb = rows.find((r) => r.id === idOf(b))!;
    assert.ok(ra !== undefined && rb !== undefined, 'one row per client, by enode.ID');
    assert.equal(rows.length, 2);
    assert.equal(ra.flags, '4A', 'les/4, simple announces');
    assert.equal(rb.flags, '4SP', 'les/4, signed announces, priority');
    assert.equal(ra.client, 'les-provider/client');
    assert.equal(ra.requests, 2);
    assert.equal(rb.requests, 1);
    assert.equal(rb.txs, 1);
    assert.equal(ra.errors, 0);
    assert.ok((ra.recv as number) >= 2 && (ra.sent as number) >= 2, 'messages both ways');
    assert.match(ra.peer as string, /^127\.0\.0\.1:\d+$/);
    assert.equal(ra.group, '127.0.0.0/24');
    assert.equal(ra.node, Buffer.from(a.node.id).toString('hex'));
    assert.ok((ra.cost as number) > 0, 'a free client costs its negative balance');
    assert.equal(ra.group_cost, 0, 'no other address in its group');

    const groups = await call<Array<Record<string, unknown>>>('groups');
    assert.equal(groups.length, 1);
    assert.equal(groups[0]!.group, '127.0.0.0/24');
    assert.equal(groups[0]!.sessions, 2);
    assert.deepEqual((groups[0]!.members as string[]).sort(), [idOf(a), idOf(b)].sort());
    assert.equal(groups[0]!.requests, 3);
    await a.close();
    await b.close();
    await call('les_addBalance', [idOf(b), -1_000_000_000, '']);
  });

  it('log toggles logging of every request; disconnect ends a session with DisconnectRequested', async () => {
    await noSessions();
    const c = await connect();
    await waitFor(() => server.service.sessions.length === 1, 5000, 'session');
    const id = idOf(c);
    assert.deepEqual(await call('log', [id.slice(0, 10), 'abcdef']), [`log ${id}: true`, 'unknown session: abcdef']);
    const before = logLines.length;
    await c.headers({ origin: { number: 1 }, amount: 1, skip: 0, reverse: false });
    const logged = logLines.slice(before).filter((l) => l.msg.includes('logged session'));
    assert.equal(logged.length, 1);
    assert.equal((logged[0]!.obj as { code: string }).code, 'GetBlockHeaders');
    assert.equal((await call<Array<Record<string, unknown>>>('sessions'))[0]!.flags, '4AL');
    assert.equal((await call<Record<string, number>>('getinfo')).logged, 1);
    assert.deepEqual(await call('log', [`0x${id}`]), [`log ${id}: false`]);
    await assert.rejects(rpc.call('log', []), (e: unknown) => e instanceof AdminClientError && e.rpcCode === -32602);
    assert.deepEqual(await call('disconnect', [id, '0123456789']), [`disconnected ${id}`, 'unknown session: 0123456789']);
    await waitFor(() => c.closed !== undefined, 5000, 'disconnected');
    await noSessions();
    // The server ended it with DisconnectRequested (0x00). (devp2p cannot read a received reason 0 —
    // bytesToInt of its empty RLP throws — so this client sees its own SubprotocolError instead.)
    const left = logLines.find((l) => l.msg === 'serve: client left' && (l.obj as { client: string }).client === Buffer.from(c.node.id).toString('hex').slice(0, 16));
    assert.deepEqual(left?.obj, { client: Buffer.from(c.node.id).toString('hex').slice(0, 16), reason: 'DisconnectRequested', by: 'local' });
  });

  it('a session that sends 10 invalid requests is disconnected and shows in getinfo errors', async () => {
    await noSessions();
    const before = await call<{ errors: number; disconnected_for_errors: number }>('getinfo');
    const c = await connect();
    await waitFor(() => server.service.sessions.length === 1, 5000, 'session');
    for (let i = 0; i < 9; i++) c.sendRaw(Code.GetReceipts, Uint8Array.from([0xc2, 0x01, 0x01])); // hashes not a list
    await waitFor(() => (server.service.sessions[0]?.counters.bad ?? 0) === 9, 5000, 'nine counted');
    assert.equal(c.closed, undefined, 'nine are tolerated');
    const row = (await call<Array<Record<string, number>>>('sessions'))[0]!;
    assert.equal(row.errors, 9);
    c.sendRaw(Code.GetReceipts, Uint8Array.from([0xc2, 0x01, 0x01]));
    await waitFor(() => c.closed !== undefined, 5000, 'disconnected at the tenth');
    assert.equal((c.closed as PeerCloseInfo | undefined)?.reason, 0x10, 'SubprotocolError');
    await noSessions();
    const after = await call<{ errors: number; disconnected_for_errors: number }>('getinfo');
    assert.equal(after.errors - before.errors, 10);
    assert.equal(after.disconnected_for_errors - before.disconnected_for_errors, 1);
  });

  it('peers and add_peer: another LES server is good, one of another genesis bad, one nobody runs never', async () => {
    other = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50 });
    await other.start();
    const fake = new FakeLesServer({ network: DEVNET, genesisHash: new Uint8Array(32).fill(7), answer: keccakAnswerer });
    await fake.start();
    closers.push(() => fake.close());
    const nobody = `enode://${ethers.SigningKey.computePublicKey(ethers.randomBytes(32), false).slice(4)}@127.0.0.1:${await freePort()}`;
    assert.match(await call<string>('add_peer', [other.enode]), /^peer 'enode:\/\/.*' added$/);
    await call('add_peer', [fake.enode]);
    await call('add_peer', [nobody]);
    assert.match(await call<string>('add_peer', [other.enode]), /already known$/);
    await admin.peers.idle();
    const peers = await call<Array<Record<string, unknown>>>('peers');
    const byPort = new Map(peers.map((p) => [p.port, p]));
    const good = byPort.get(Number(new URL(other.enode.replace('enode://', 'http://')).port))!;
    assert.equal(good.status, 'good');
    assert.equal(good.version, 4);
    assert.equal(good.head, other.stats().head.number);
    assert.equal(good.client, 'les-provider/server');
    assert.equal(byPort.get(Number(new URL(fake.enode.replace('enode://', 'http://')).port))?.status, 'bad');
    assert.equal(byPort.get(Number(new URL(nobody.replace('enode://', 'http://')).port))?.status, 'never');
    assert.deepEqual((await call<Record<string, unknown>>('getinfo')).peers, { bad: 1, good: 1, never: 1, stale: 0, total: 3 });
    await assert.rejects(rpc.call('add_peer', ['enode://nothing']), (e: unknown) => e instanceof AdminClientError && e.rpcCode === -32602 && (e.data as { field: string }).field === 'enode');
  });

  it('rpc_url moves the node calls to the new URL and back; a node of another chain is refused', async () => {
    let relayed = 0;
    const relay: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        relayed++;
        fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
          .then(async (r) => res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text()))
          .catch(() => res.writeHead(502).end());
      });
    });
    const wrongChain: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":1,"result":"0x1"}'));
    });
    for (const s of [relay, wrongChain]) await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => relay.close(r)), () => new Promise((r) => wrongChain.close(r)));
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`;
    const switched = await call<Record<string, unknown>>('rpc_url', [relayUrl]);
    assert.deepEqual(switched, { urls: [relayUrl], current: relayUrl, reachable: true });
    const seen = relayed;
    await anvil.rpc('anvil_mine', ['0x2']);
    const target = Number(await anvil.rpc<string>('eth_blockNumber'));
    await waitFor(() => server.stats().head.number === target, 10_000, 'followed through the relay');
    assert.ok(relayed > seen, 'the follower called through the relay');
    assert.equal((await call<Record<string, unknown>>('getinfo')).daemon, relayUrl);
    const back = await call<Record<string, unknown>>('rpc_url');
    assert.equal(back.current, `http://127.0.0.1:${anvil.port}/`);
    assert.equal(server.stack.rpc.url, anvil.url.endsWith('/') ? anvil.url : `${anvil.url}/`);
    const wrongUrl = `http://127.0.0.1:${(wrongChain.address() as AddressInfo).port}/`;
    await assert.rejects(rpc.call('rpc_url', [wrongUrl]), (e: unknown) => e instanceof AdminClientError && e.rpcCode === -32602 && /chain id is 1/.test(e.message));
    await assert.rejects(rpc.call('rpc_url', ['ftp://x']), (e: unknown) => e instanceof AdminClientError && e.rpcCode === -32602);
    assert.equal(server.stack.rpc.urls.length, 1, 'refused URLs changed nothing');
    assert.equal(back.current, (await call<Record<string, unknown>>('getinfo')).daemon);
  });

  it('rpc_url to a ws:// URL moves the newHeads subscription to that node; an http URL ends it (polling)', async () => {
    const follower = server.stack.follower;
    assert.equal(follower.newHeadsUrl, undefined, 'started on an http URL: no subscription');
    const wsUrl = `ws://127.0.0.1:${anvil.port}/`;
    const r = await call<Record<string, unknown>>('rpc_url', [wsUrl]);
    assert.equal(r.current, `http://127.0.0.1:${anvil.port}/`, 'calls go over HTTP on the same port');
    assert.equal(follower.newHeadsUrl, wsUrl);
    await waitFor(() => follower.subscribed, 10_000, 'subscribed to the new node');
    const seen = follower.stats.notifications;
    await anvil.rpc('anvil_mine', ['0x1']);
    await waitFor(() => follower.stats.notifications > seen, 10_000, 'a newHeads notification from the new node');
    await call('rpc_url');
    assert.equal(follower.newHeadsUrl, undefined);
    assert.equal(follower.subscribed, false);
    const target = Number(await anvil.rpc<string>('eth_blockNumber')) + 1;
    await anvil.rpc('anvil_mine', ['0x1']);
    await waitFor(() => server.stats().head.number === target, 10_000, 'followed by polling again');
  });

  it('stop answers, then asks for the stop', async () => {
    assert.equal(await call('stop'), 'stopping');
    await waitFor(() => stopped === 1, 5000, 'onStop called');
  });
});

