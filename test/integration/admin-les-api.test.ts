/**
 * The les_* API (seed 000, the reference server's) of a LesServer following anvil, through its
 * management endpoint, with real LES clients connected over RLPx. Shapes and rules come from the
 * seed: client IDs are go-ethereum enode.IDs (keccak256 of the public key, computed here with
 * ethers), les_priorityClientInfo lists [start, stop) with stop 0 meaning to the end and adds the
 * first ID a count left out with an empty object, les_addBalance caps to [0, 2^63 − 1] and
 * answers [before, after], checkpoints are [index hex, sectionHead, chtRoot, bloomTrieRoot]
 * (checked against anvil's block hashes and CHT/BloomBits proofs verified against the roots),
 * the oracle address is EIP-55 ("0x9a90…A02a" exactly as the seed prints it). Bad input is
 * -32602 naming the field, and nothing changes. A priority client keeps its capacity when the
 * server fills up and a free client is dropped; balances drain at the configured prices.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ethers } from 'ethers';
import { AdminClient, AdminClientError, type ServeAdmin, startServeAdmin } from '../../src/admin/index.js';
import { DEVNET } from '../../src/config/network.js';
import type { PeerCloseInfo } from '../../src/net/index.js';
import { LesServer } from '../../src/serve/index.js';
import { verifyBloomBitsProof, verifyChtProof } from '../../src/verify/index.js';
import { HelperTrieType } from '../../src/wire/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { LesTestClient, waitFor } from '../helpers/les-client.js';

const MIN = 16_000;
const MAX = 2n ** 63n - 1n;
const ORACLE = '0x9a9070028361F7AAbeB3f2F2Dc07F82C4a98A02a';
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const be8 = (n: number): Uint8Array => Uint8Array.from(Buffer.from(n.toString(16).padStart(16, '0'), 'hex'));
/** go-ethereum's enode.ID of a client: keccak256 of its 64-byte public key, 64 hex digits. */
const idOf = (c: LesTestClient): string => ethers.keccak256(c.node.id).slice(2);

let anvil: Anvil;
let server: LesServer;
let admin: ServeAdmin;
let rpc: AdminClient;
let genesis: Uint8Array;
const clients: LesTestClient[] = [];

async function connect(): Promise<LesTestClient> {
  const c = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis });
  clients.push(c);
  return c;
}

async function call<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
  return (await rpc.call(method, params)).result as T;
}

/** -32602 naming `field`. */
async function refused(method: string, params: unknown[], field: string): Promise<void> {
  await assert.rejects(rpc.call(method, params), (e: unknown) => {
    assert.ok(e instanceof AdminClientError, String(e));
    assert.equal(e.rpcCode, -32602, e.message);
    assert.deepEqual(e.data, { field }, e.message);
    return true;
  });
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('anvil_mine', ['0x95']); // 149 blocks: sections 0 and 1 of 64 built (16 confirmations)
  server = new LesServer({
    rpcUrl: anvil.url,
    port: 0,
    pollIntervalMs: 50,
    network: { ...DEVNET, checkpointOracle: { address: bytes(ORACLE), signers: [], threshold: 1 } },
    capacity: { total: 4 * MIN, min: MIN, tickMs: 100 },
  });
  await server.start();
  await server.stack.idle();
  await waitFor(() => server.stats().sections >= 2, 30_000, 'two sections');
  genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
  admin = await startServeAdmin({ server, port: 0, onStop: () => {}, peerProbeEveryMs: 0 });
  rpc = new AdminClient({ url: admin.url, token: admin.created as string });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await admin?.close();
  await server?.stop();
  await anvil?.stop();
});

describe('les_* API', () => {
  it('les_serverInfo and les_clientInfo: the reference shapes, keyed by enode.ID', async () => {
    const a = await connect();
    const b = await connect();
    await waitFor(() => server.service.sessions.length === 2, 5000, 'two sessions');
    const info = await call<Record<string, number>>('les_serverInfo');
    assert.deepEqual(info, {
      freeClientCapacity: MIN,
      maximumCapacity: 4 * MIN,
      minimumCapacity: MIN,
      priorityConnectedCapacity: 0,
      totalCapacity: 4 * MIN,
      totalConnectedCapacity: 2 * MIN,
    });
    const all = await call<Record<string, Record<string, unknown>>>('les_clientInfo', [[]]);
    assert.deepEqual(Object.keys(all).sort(), [idOf(a), idOf(b)].sort());
    const one = all[idOf(a)]!;
    assert.deepEqual(Object.keys(one).sort(), ['capacity', 'connectionTime', 'isConnected', 'pricing/balance', 'pricing/balanceMeta', 'pricing/negBalance', 'priority']);
    assert.equal(one.capacity, MIN);
    assert.equal(one.isConnected, true);
    assert.equal(one.priority, false);
    assert.equal(typeof one.connectionTime, 'number');
    // Asked by ID (with 0x, or the enode's public key), connected or not.
    const offline = '0x' + 'ee'.repeat(32);
    const asked = await call<Record<string, Record<string, unknown>>>('les_clientInfo', [[`0x${idOf(b)}`, `0x${Buffer.from(a.node.id).toString('hex')}`, offline]]);
    assert.deepEqual(Object.keys(asked).sort(), [idOf(a), idOf(b), 'ee'.repeat(32)].sort());
    assert.equal(asked['ee'.repeat(32)]?.isConnected, false);
    await refused('les_clientInfo', [[idOf(a), '0x1234']], 'ids[1]');
    await refused('les_clientInfo', ['not a list'], 'ids');
    await a.close();
    await b.close();
    await waitFor(() => server.service.sessions.length === 0, 5000, 'clients gone');
  });

  it('les_addBalance: signed additions capped to [0, 2^63 − 1], [before, after], the meta tag', async () => {
    const id = `0x${'a1'.repeat(32)}`;
    assert.deepEqual(await call('les_addBalance', [id, 1_000_000_000, 'qwerty']), [0, 1_000_000_000]);
    assert.deepEqual(await call('les_addBalance', [id, -1_500_000_000, 'qwerty']), [1_000_000_000, 0]);
    assert.deepEqual(await call('les_addBalance', [id, MAX, 'max']), [0, MAX]);
    assert.deepEqual(await call('les_addBalance', [id, 5, 'max']), [MAX, MAX]);
    const text = (await rpc.call('les_clientInfo', [[id]])).text;
    assert.match(text, /"pricing\/balance": 9223372036854775807/, 'exact on the wire');
    assert.equal((await call<Record<string, Record<string, unknown>>>('les_clientInfo', [[id]]))['a1'.repeat(32)]?.['pricing/balanceMeta'], 'max');
    await refused('les_addBalance', [id, 2n ** 63n, 'x'], 'amount');
    await refused('les_addBalance', [id, 1.5, 'x'], 'amount');
    await refused('les_addBalance', ['0xnope', 1, 'x'], 'id');
    await refused('les_addBalance', [id, 1, 7], 'meta');
    await refused('les_addBalance', [id, 1, 'x', 'extra'], 'params');
    assert.deepEqual(await call('les_addBalance', [id, -MAX, '']), [MAX, 0]);
  });

  it('les_priorityClientInfo: [start, stop), stop 0 = to the end, the first ID past maxCount with {}', async () => {
    const ids = ['10', '20', '30', '40', '50'].map((p) => p + '00'.repeat(31));
    for (const [i, id] of ids.entries()) await call('les_addBalance', [id, 100 * (i + 1), `m${i}`]);
    const zero = '0x' + '00'.repeat(32);
    const everything = await call<Record<string, Record<string, unknown>>>('les_priorityClientInfo', [zero, zero, 100]);
    assert.deepEqual(Object.keys(everything), ids);
    assert.equal(everything[ids[1]!]?.['pricing/balance'], 200);
    assert.equal(everything[ids[1]!]?.priority, true);
    const page = await call<Record<string, Record<string, unknown>>>('les_priorityClientInfo', ['0x' + '15' + '00'.repeat(31), '0x' + 'e0' + '00'.repeat(31), 2]);
    assert.deepEqual(Object.keys(page), [ids[1], ids[2], ids[3]]);
    assert.deepEqual(page[ids[3]!], {}, 'the first missing ID, with an empty object');
    assert.equal(page[ids[2]!]?.['pricing/balanceMeta'], 'm2');
    const bounded = await call<Record<string, unknown>>('les_priorityClientInfo', ['0x' + ids[1], '0x' + ids[3], 2]);
    assert.deepEqual(Object.keys(bounded), [ids[1], ids[2]], 'stop excluded, nothing more in range');
    await refused('les_priorityClientInfo', [zero, zero, -1], 'maxCount');
    await refused('les_priorityClientInfo', ['0x12', zero, 1], 'start');
    await refused('les_priorityClientInfo', [zero, 5, 1], 'stop');
    for (const id of ids) await call('les_addBalance', [id, -1000, '']);
  });

  it('les_setClientParams / les_setDefaultParams: checked whole, -32602 naming the field, nothing changed', async () => {
    await waitFor(() => server.service.sessions.length === 0, 5000, 'no session left');
    const c = await connect();
    await waitFor(() => server.service.sessions.length === 1, 5000, 'session');
    const id = idOf(c);
    // What a change could touch (the negative balance and connection time move on their own).
    const snapshot = async () => {
      const info = (await call<Record<string, Record<string, unknown>>>('les_clientInfo', [[id]]))[id]!;
      const view = server.pool.clients().find((v) => v.id === id)!;
      return JSON.stringify([info.capacity, info['pricing/balance'], info['pricing/balanceMeta'], info.priority, view.prices, server.pool.defaults]);
    };
    const before = await snapshot();
    await refused('les_setClientParams', [[id], { capacity: 2 * MIN }], 'capacity'); // no balance: not a priority client
    await refused('les_setClientParams', [[id], { 'pricing/timeFactor': 1, 'pricing/nonsense': 1 }], 'pricing/nonsense');
    await refused('les_setClientParams', [[id], { 'pricing/negative/requestCostFactor': -1 }], 'pricing/negative/requestCostFactor');
    await refused('les_setClientParams', [[id, 'ff'.repeat(32)], { 'pricing/timeFactor': 1 }], 'ids[1]');
    await refused('les_setClientParams', [[id, 'zz'], { 'pricing/timeFactor': 1 }], 'ids[1]');
    await refused('les_setDefaultParams', [{ capacity: MIN }], 'capacity');
    await refused('les_setDefaultParams', [{ 'pricing/capacityFactor': 'x' }], 'pricing/capacityFactor');
    assert.equal(await snapshot(), before);
    assert.deepEqual(server.pool.defaults.positive, { timeFactor: 0, capacityFactor: 1e9, requestCostFactor: 1e9 }, 'defaults unchanged');
    assert.equal(await call('les_setDefaultParams', [{ 'pricing/timeFactor': 0, 'pricing/capacityFactor': 1_000_000_000, 'pricing/requestCostFactor': 1_000_000_000 }]), null);
    // With a balance it may get more capacity; the client is told with an update announce.
    await call('les_addBalance', [id, 1_000_000_000_000, '']);
    assert.equal(await call('les_setClientParams', [[id], { capacity: 2 * MIN }]), null);
    await waitFor(() => c.announces.some((a) => a.updates.some((u) => u.key === 'flowControl/MRR')), 5000, 'capacity update announce');
    const update = c.announces.find((a) => a.updates.some((u) => u.key === 'flowControl/MRR'))!;
    assert.equal(BigInt(ethers.hexlify(update.updates.find((u) => u.key === 'flowControl/MRR')!.value as Uint8Array)), BigInt(2 * MIN));
    assert.equal(BigInt(ethers.hexlify(update.updates.find((u) => u.key === 'flowControl/BL')!.value as Uint8Array)), BigInt(2 * MIN * 6000));
    const info = (await call<Record<string, Record<string, unknown>>>('les_clientInfo', [[id]]))[id]!;
    assert.equal(info.capacity, 2 * MIN);
    assert.equal(info.priority, true);
    await c.close();
    await waitFor(() => server.service.sessions.length === 0, 5000, 'gone');
    await call('les_addBalance', [id, -MAX, '']);
  });

  it('checkpoints: the latest and by index, checked against anvil and proofs; the oracle address', async () => {
    const sections = server.stats().sections;
    const latest = await call<string[]>('les_latestCheckpoint');
    assert.equal(latest.length, 4);
    assert.equal(latest[0], `0x${(sections - 1).toString(16)}`);
    const byIndex = await call<string[]>('les_getCheckpoint', [sections - 1]);
    assert.deepEqual(byIndex, latest.slice(1));
    const c = await connect();
    for (let s = 0; s < sections; s++) {
      const [head, chtRoot, bloomRoot] = await call<string[]>('les_getCheckpoint', [s]);
      const last = (s + 1) * DEVNET.sectionSize - 1;
      const block = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${last.toString(16)}`, false]);
      assert.equal(head, block.hash, `section ${s} head is block ${last}`);
      const proof = await c.helperTries([{ subType: HelperTrieType.CHT, sectionIdx: s, key: be8(last), fromLevel: 0, auxReq: 0 }]);
      assert.equal(ethers.hexlify(verifyChtProof(bytes(chtRoot!), last, proof.nodes).hash), block.hash, 'the CHT root holds anvil\'s hash');
      const bits = await c.helperTries([{ subType: HelperTrieType.BloomBits, sectionIdx: s, key: Uint8Array.from([0, 7, ...be8(s)]), fromLevel: 0, auxReq: 0 }]);
      assert.equal(verifyBloomBitsProof(bytes(bloomRoot!), 7, s, bits.nodes, DEVNET.sectionSize).length, DEVNET.sectionSize / 8);
    }
    await c.close();
    await refused('les_getCheckpoint', [sections], 'index');
    await refused('les_getCheckpoint', [-1], 'index');
    await refused('les_getCheckpoint', ['x'], 'index');
    assert.equal(await call('les_getCheckpointContractAddress'), ORACLE);
  });
});

describe('the pool with real clients', () => {
  it('a priority client keeps its capacity when the server fills up and a free client is dropped', async () => {
    await waitFor(() => server.service.sessions.length === 0, 5000, 'no session left');
    const p = await connect();
    await waitFor(() => server.service.sessions.length === 1, 5000, 'priority client');
    await call('les_addBalance', [idOf(p), 1_000_000_000_000_000, 'paid']);
    await call('les_setClientParams', [[idOf(p)], { capacity: 2 * MIN }]);
    const f1 = await connect();
    const f2 = await connect();
    await waitFor(() => server.service.sessions.length === 3, 5000, 'full');
    assert.equal((await call<Record<string, number>>('les_serverInfo')).totalConnectedCapacity, 4 * MIN);
    // Full: a free newcomer (same address, same negative balance as the others) is refused...
    const late = await connect();
    await waitFor(() => late.closed !== undefined, 5000, 'the free newcomer refused');
    assert.equal((late.closed as PeerCloseInfo | undefined)?.reason, 0x04, 'TooManyPeers');
    assert.equal(f1.closed, undefined);
    assert.equal(f2.closed, undefined);
    // ...and a second paying client takes a free client's place.
    const p2Key = ethers.randomBytes(32);
    const p2Id = ethers.keccak256(`0x${ethers.SigningKey.computePublicKey(p2Key, false).slice(4)}`).slice(2);
    await call('les_addBalance', [p2Id, 1_000_000_000_000_000, 'paid too']);
    const p2 = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis, privateKey: p2Key });
    clients.push(p2);
    await waitFor(() => f1.closed !== undefined || f2.closed !== undefined, 5000, 'a free client dropped');
    const dropped = (f1.closed ?? f2.closed) as PeerCloseInfo | undefined;
    assert.equal(dropped?.reason, 0x04, 'TooManyPeers');
    const info = await call<Record<string, Record<string, unknown>>>('les_clientInfo', [[idOf(p), p2Id]]);
    assert.equal(info[idOf(p)]?.capacity, 2 * MIN, 'the first priority client kept its capacity');
    assert.equal(info[idOf(p)]?.isConnected, true);
    assert.equal(info[p2Id]?.isConnected, true);
    const served = await p.headers({ origin: { number: 1 }, amount: 1, skip: 0, reverse: false });
    assert.equal(served.headers.length, 1);
    for (const c of [p, p2, f1, f2]) await c.close();
    await waitFor(() => server.service.sessions.length === 0, 5000, 'all gone');
  });

  it('balances drain at the configured prices: time, and the real cost of each request', async () => {
    // Time only: 2,000,000 units per second of connection.
    await call('les_setDefaultParams', [{ 'pricing/timeFactor': 2_000_000, 'pricing/capacityFactor': 0, 'pricing/requestCostFactor': 0 }]);
    await waitFor(() => server.service.sessions.length === 0, 5000, 'no session left');
    const c = await connect();
    await waitFor(() => server.service.sessions.length === 1, 5000, 'session');
    const id = idOf(c);
    const [before] = await call<number[]>('les_addBalance', [id, 10_000_000_000_000, '']);
    assert.equal(before, 0);
    const read = async () => (await call<Record<string, Record<string, number>>>('les_clientInfo', [[id]]))[id]!;
    const t1 = await read();
    await new Promise((r) => setTimeout(r, 300));
    const t2 = await read();
    // Balance and connection time of one reading come from one instant of the server's clock.
    const paid = t1['pricing/balance']! - t2['pricing/balance']!;
    const owed = 2_000_000 * (t2.connectionTime! - t1.connectionTime!);
    assert.ok(paid > 0);
    assert.ok(Math.abs(paid - owed) <= 1, `${paid} paid vs ${owed} owed`);
    // Requests only: 3 units per 1000 cost units of real serving cost.
    await call('les_setClientParams', [[id], { 'pricing/timeFactor': 0, 'pricing/requestCostFactor': 3_000_000 }]);
    const b0 = (await call<Record<string, Record<string, number>>>('les_clientInfo', [[id]]))[id]!['pricing/balance']!;
    const cost0 = server.service.session(Buffer.from(c.node.id).toString('hex'))!.counters.realCost;
    for (let i = 0; i < 20; i++) await c.headers({ origin: { number: i }, amount: 5, skip: 0, reverse: false });
    const cost1 = server.service.session(Buffer.from(c.node.id).toString('hex'))!.counters.realCost;
    const b1 = (await call<Record<string, Record<string, number>>>('les_clientInfo', [[id]]))[id]!['pricing/balance']!;
    assert.ok(cost1 > cost0, 'serving cost something');
    assert.ok(Math.abs(b0 - b1 - ((cost1 - cost0) * 3_000_000) / 1e9) <= 1, `${b0 - b1} vs ${((cost1 - cost0) * 3_000_000) / 1e9}`);
    await c.close();
    await call('les_setDefaultParams', [{ 'pricing/timeFactor': 0, 'pricing/requestCostFactor': 1_000_000_000 }]);
  });
});
