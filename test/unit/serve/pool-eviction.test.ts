/**
 * Who loses their place when the server is full (issue 6 §1): priority clients (positive balance)
 * rank above free ones, by balance / capacity; free clients by their negative balance; a group's
 * cost (other addresses in the same /24) counts against each member. A newcomer takes the place
 * of the lowest-ranked clients strictly below it, or is refused; a capacity raise makes room the
 * same way, or changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/flow/index.js';
import { ClientPool, type ClientPoolOptions, PoolError, clientIdOf } from '../../../src/serve/index.js';
import { openMemoryStore } from '../../../src/store/memory.js';

const MIN = 16_000;
const peer = (n: number): string => n.toString(16).padStart(128, '0');
const cid = (n: number): string => clientIdOf(peer(n));

/** Free clients pay 1 negative unit per request cost unit and nothing for time; priority clients pay nothing. */
function setup(options: Partial<ClientPoolOptions> = {}) {
  const clock = new ManualClock(0);
  const dropped: string[] = [];
  const resized: Array<[string, number]> = [];
  const pool = new ClientPool({
    store: openMemoryStore(),
    total: 3 * MIN,
    min: MIN,
    clock,
    tickMs: 0,
    prices: { positive: { timeFactor: 0, capacityFactor: 0, requestCostFactor: 0 }, negative: { timeFactor: 0, capacityFactor: 0, requestCostFactor: 1e9 } },
    ...options,
  });
  pool.attach({ disconnect: (id) => dropped.push(id), setCapacity: (id, c) => resized.push([id, c]) });
  const connect = (n: number, host: string) => pool.admit({ id: peer(n), host });
  return { pool, clock, dropped, resized, connect };
}

describe('eviction when full', () => {
  it('a free newcomer replaces the free client that used the most; an equal one is refused', () => {
    const { pool, dropped, connect } = setup();
    connect(1, '10.1.0.1');
    connect(2, '10.2.0.1');
    connect(3, '10.3.0.1');
    pool.charge(peer(1), 500);
    pool.charge(peer(2), 900); // the heaviest user
    pool.charge(peer(3), 100);
    assert.equal(connect(4, '10.4.0.1'), MIN);
    assert.deepEqual(dropped, [peer(2)]);
    assert.deepEqual(pool.connectedIds().sort(), [cid(1), cid(3), cid(4)].sort());
    // A newcomer from the address of client 2 carries its negative balance of 900: below everyone.
    assert.equal(connect(5, '10.2.0.1'), undefined);
    assert.equal(pool.stats.refused, 1);
    // Two clients at 0 cannot displace each other: a newcomer must rank strictly higher.
    pool.charge(peer(1), 0);
    const { connect: c2, dropped: d2 } = setup();
    c2(1, '10.1.0.1');
    c2(2, '10.2.0.1');
    c2(3, '10.3.0.1');
    assert.equal(c2(4, '10.4.0.1'), undefined);
    assert.deepEqual(d2, []);
  });

  it('a priority client replaces the lowest free client; free newcomers never replace priority clients', async () => {
    const { pool, dropped, connect } = setup();
    await pool.addBalance(cid(10), 1_000n, '');
    await pool.addBalance(cid(11), 1_000n, '');
    await pool.addBalance(cid(12), 1_000n, '');
    connect(1, '10.1.0.1');
    connect(2, '10.2.0.1');
    connect(3, '10.3.0.1');
    pool.charge(peer(3), 50);
    assert.equal(connect(10, '10.10.0.1'), MIN);
    assert.deepEqual(dropped, [peer(3)]);
    assert.equal(connect(11, '10.11.0.1'), MIN);
    assert.equal(connect(12, '10.12.0.1'), MIN);
    assert.equal(dropped.length, 3);
    assert.deepEqual(pool.connectedIds().sort(), [cid(10), cid(11), cid(12)].sort());
    assert.equal(connect(13, '10.13.0.1'), undefined, 'a free client cannot displace a priority one');
  });

  it('priority clients rank by balance per capacity', async () => {
    const { pool, dropped, connect } = setup({ total: 2 * MIN });
    await pool.addBalance(cid(1), 100n, '');
    await pool.addBalance(cid(2), 300n, '');
    await pool.addBalance(cid(3), 200n, '');
    connect(1, '10.1.0.1');
    connect(2, '10.2.0.1');
    assert.equal(connect(3, '10.3.0.1'), MIN, '200 per capacity beats 100');
    assert.deepEqual(dropped, [peer(1)]);
  });

  it('the maximum client count is a limit of its own', () => {
    const { connect, dropped } = setup({ total: 10 * MIN, maxClients: 2 });
    connect(1, '10.1.0.1');
    connect(2, '10.2.0.1');
    assert.equal(connect(3, '10.3.0.1'), undefined);
    assert.deepEqual(dropped, []);
  });

  it("a group's cost counts against each member at another address of the same /24", () => {
    const { pool, dropped, connect } = setup();
    connect(1, '10.9.9.1');
    connect(2, '10.9.9.2'); // same /24 as client 1
    connect(3, '10.8.0.1');
    pool.charge(peer(1), 300);
    pool.charge(peer(3), 400);
    // Ranks: 1 = −(300 + 0) ; 2 = −(0 + 300 from its group) ; 3 = −400.
    const ranks = new Map(pool.clients().map((c) => [c.peerId, c.rank.value]));
    assert.equal(ranks.get(peer(1)), -300);
    assert.equal(ranks.get(peer(2)), -300);
    assert.equal(ranks.get(peer(3)), -400);
    assert.equal(pool.clients().find((c) => c.peerId === peer(2))?.groupCost, 300);
    assert.equal(pool.clients().find((c) => c.peerId === peer(2))?.group, '10.9.9.0/24');
    // A newcomer in that /24 carries the group's 300 too: it still beats client 3 (−400).
    assert.equal(connect(4, '10.9.9.4'), MIN);
    assert.deepEqual(dropped, [peer(3)]);
  });
});

describe('les_setClientParams capacity', () => {
  it('raising a priority client makes room by dropping lower-ranked clients', async () => {
    const { pool, dropped, resized, connect } = setup();
    await pool.addBalance(cid(1), 1_000_000n, '');
    connect(1, '10.1.0.1');
    connect(2, '10.2.0.1');
    connect(3, '10.3.0.1');
    pool.charge(peer(3), 10);
    pool.setClientParams([cid(1)], { capacity: 2 * MIN });
    assert.deepEqual(dropped, [peer(3)]);
    assert.deepEqual(resized, [[peer(1), 2 * MIN]]);
    assert.equal(pool.clientInfo(cid(1)).capacity, 2 * MIN);
    assert.equal(pool.serverInfo().totalConnectedCapacity, 3 * MIN);
    assert.equal(pool.serverInfo().priorityConnectedCapacity, 2 * MIN);
  });

  it('refuses what cannot fit, a raise for a free client, a client not connected, unknown keys and bad numbers — changing nothing', async () => {
    const { pool, dropped, resized, connect } = setup();
    await pool.addBalance(cid(1), 1_000n, '');
    await pool.addBalance(cid(2), 1_000n, '');
    connect(1, '10.1.0.1');
    connect(2, '10.2.0.1');
    connect(3, '10.3.0.1');
    const before = JSON.stringify(pool.clients(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const refusedWith = (code: string, field: string) => (e: unknown) => {
      assert.ok(e instanceof PoolError, String(e));
      assert.equal(e.code, code);
      assert.equal(e.field, field);
      return true;
    };
    // Client 2 ranks as high as client 1: only client 3 may go, which frees 16,000 of the 32,000 needed.
    assert.throws(() => pool.setClientParams([cid(1)], { capacity: 3 * MIN }), refusedWith('POOL_NO_CAPACITY', 'capacity'));
    assert.throws(() => pool.setClientParams([cid(3)], { capacity: 2 * MIN }), refusedWith('POOL_BAD_PARAM', 'capacity'));
    assert.throws(() => pool.setClientParams([cid(1), cid(9)], { 'pricing/timeFactor': 5 }), refusedWith('POOL_NOT_CONNECTED', 'ids[1]'));
    assert.throws(() => pool.setClientParams([cid(1)], { 'pricing/timeFactor': 5, 'pricing/bogus': 1 }), refusedWith('POOL_BAD_PARAM', 'pricing/bogus'));
    assert.throws(() => pool.setClientParams([cid(1)], { capacity: MIN - 1 }), refusedWith('POOL_BAD_PARAM', 'capacity'));
    assert.throws(() => pool.setClientParams([cid(1)], { capacity: 3 * MIN + 1 }), refusedWith('POOL_BAD_PARAM', 'capacity'));
    assert.throws(() => pool.setClientParams([cid(1)], { capacity: 20_000.5 }), refusedWith('POOL_BAD_PARAM', 'capacity'));
    assert.throws(() => pool.setClientParams([], { 'pricing/negative/capacityFactor': -1 }), refusedWith('POOL_BAD_PARAM', 'pricing/negative/capacityFactor'));
    assert.throws(() => pool.setClientParams([], { 'pricing/requestCostFactor': 'lots' }), refusedWith('POOL_BAD_PARAM', 'pricing/requestCostFactor'));
    assert.throws(() => pool.setDefaultParams({ capacity: MIN }), refusedWith('POOL_BAD_PARAM', 'capacity'));
    assert.throws(() => pool.setDefaultParams({ 'pricing/timeFactor': Infinity }), refusedWith('POOL_BAD_PARAM', 'pricing/timeFactor'));
    assert.deepEqual(dropped, []);
    assert.deepEqual(resized, []);
    assert.equal(JSON.stringify(pool.clients(), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), before);
  });

  it('a capacity set for a client is offered again when it reconnects with a balance', async () => {
    const { pool, connect } = setup();
    await pool.addBalance(cid(1), 1_000n, '');
    connect(1, '10.1.0.1');
    pool.setClientParams([cid(1)], { capacity: 2 * MIN });
    pool.release(peer(1));
    assert.equal(pool.capacityFor(peer(1)), 2 * MIN);
    assert.equal(connect(1, '10.1.0.1'), 2 * MIN);
    await pool.addBalance(cid(1), -1_000n, '');
    assert.equal(pool.clientInfo(cid(1)).capacity, MIN, 'a zero balance drops it to the minimum at once');
    pool.release(peer(1));
    assert.equal(pool.capacityFor(peer(1)), MIN, 'no balance: the minimum');
  });
});
