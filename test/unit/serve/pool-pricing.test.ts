/**
 * Pricing of the client pool on an injected clock. Expected amounts are computed here from the
 * reference server's definitions (go-ethereum les/vflux PriceFactors, whose API values are per
 * second): a connected client pays timeFactor + capacityFactor × capacity / 10^6 per second, and
 * requestCostFactor × realCost / 10^9 per request; a priority client pays from its positive
 * balance, and once it is zero the rest goes onto the negative balance of its IP at the negative
 * factors, and its capacity drops to the minimum.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/flow/index.js';
import { ClientPool, type ClientPoolOptions, clientIdOf } from '../../../src/serve/index.js';
import { openMemoryStore } from '../../../src/store/memory.js';

const MIN = 16_000;
const peer = (n: number): string => n.toString(16).padStart(128, '0');

function setup(options: Partial<ClientPoolOptions> = {}) {
  const clock = new ManualClock(1_000);
  const dropped: string[] = [];
  const resized: Array<[string, number]> = [];
  const pool = new ClientPool({ store: openMemoryStore(), total: 160_000, min: MIN, clock, tickMs: 0, ...options });
  pool.attach({ disconnect: (id) => dropped.push(id), setCapacity: (id, c) => resized.push([id, c]) });
  return { pool, clock, dropped, resized };
}

/** Units per second at `capacity`, as the reference defines it. */
const perSecond = (time: number, capacity: number, cap: number): number => time + (capacity * cap) / 1_000_000;

describe('client pool pricing', () => {
  it('a priority client pays time and capacity × time from its balance', async () => {
    const { pool, clock } = setup({ prices: { positive: { timeFactor: 1_000_000, capacityFactor: 2_000_000_000, requestCostFactor: 0 } } });
    const id = clientIdOf(peer(1));
    await pool.addBalance(id, 1_000_000_000n, '');
    assert.equal(pool.admit({ id: peer(1), host: '10.0.0.1' }), MIN);
    clock.advance(10_000); // 10 s
    const expected = 1_000_000_000 - 10 * perSecond(1_000_000, 2_000_000_000, MIN); // 1e9 − 10 × 3.3e7
    assert.equal(pool.clientInfo(id)['pricing/balance'], BigInt(expected));
    assert.equal(pool.clientInfo(id)['pricing/negBalance'], 0n, 'nothing onto the negative balance while it pays');
    assert.equal(pool.clientInfo(id).connectionTime, 10);
  });

  it('each request costs requestCostFactor × realCost / 10^9', async () => {
    const { pool } = setup({ prices: { positive: { timeFactor: 0, capacityFactor: 0, requestCostFactor: 500_000_000 } } });
    const id = clientIdOf(peer(2));
    await pool.addBalance(id, 10_000_000n, 'm');
    pool.admit({ id: peer(2), host: '10.0.0.2' });
    pool.charge(peer(2), 1_000_000); // 0.5 × 1e6
    pool.charge(peer(2), 3_000); // 0.5 × 3e3
    assert.equal(pool.clientInfo(id)['pricing/balance'], 10_000_000n - 500_000n - 1_500n);
  });

  it('at zero it becomes a free client: the rest goes onto the negative balance and the capacity drops to the minimum', async () => {
    const positive = { timeFactor: 1_000_000, capacityFactor: 2_000_000_000, requestCostFactor: 0 };
    const negative = { timeFactor: 0, capacityFactor: 1_000_000_000, requestCostFactor: 0 };
    const { pool, clock, resized } = setup({ prices: { positive, negative } });
    const id = clientIdOf(peer(3));
    const cap = 100_000;
    const rate = perSecond(positive.timeFactor, positive.capacityFactor, cap); // 2.01e8 per second at 100,000
    await pool.addBalance(id, BigInt(rate), ''); // exactly one second's worth
    pool.admit({ id: peer(3), host: '10.0.0.3' });
    pool.setClientParams([id], { capacity: cap });
    assert.deepEqual(resized, [[peer(3), cap]]);
    assert.equal(pool.serverInfo().priorityConnectedCapacity, cap);
    clock.advance(3_000);
    pool.tick();
    const info = pool.clientInfo(id);
    assert.equal(info['pricing/balance'], 0n);
    assert.equal(info.priority, false);
    // Two of the three seconds were unpaid, charged at the negative factors at the capacity it had.
    assert.equal(info['pricing/negBalance'], BigInt(2 * perSecond(negative.timeFactor, negative.capacityFactor, cap)));
    assert.equal(info.capacity, MIN);
    assert.deepEqual(resized.at(-1), [peer(3), MIN]);
    assert.equal(pool.serverInfo().priorityConnectedCapacity, 0);
    assert.equal(pool.used, MIN);
  });

  it('a request that costs more than the balance left is paid partly from it and the rest at the negative factor', async () => {
    const { pool } = setup({ prices: { positive: { timeFactor: 0, capacityFactor: 0, requestCostFactor: 1e9 }, negative: { timeFactor: 0, capacityFactor: 0, requestCostFactor: 2e9 } } });
    const id = clientIdOf(peer(4));
    await pool.addBalance(id, 400n, '');
    pool.admit({ id: peer(4), host: '10.0.0.4' });
    pool.charge(peer(4), 1_000); // 1000 units wanted, 400 there: 60% unpaid → 0.6 × 2000
    const info = pool.clientInfo(id);
    assert.equal(info['pricing/balance'], 0n);
    assert.equal(info['pricing/negBalance'], 1_200n);
  });

  it('free clients grow the negative balance of their IP, shared by every client at that address', () => {
    const { pool, clock } = setup({ prices: { negative: { timeFactor: 1_000, capacityFactor: 0, requestCostFactor: 1e9 } } });
    pool.admit({ id: peer(5), host: '10.0.0.5' });
    pool.admit({ id: peer(6), host: '10.0.0.5' });
    pool.admit({ id: peer(7), host: '10.0.0.6' });
    clock.advance(2_000); // 2 s × 1000 per client
    pool.charge(peer(5), 700); // 700 units
    const neg = (n: number) => pool.clientInfo(clientIdOf(peer(n)))['pricing/negBalance'];
    assert.equal(neg(5), 2n * 2_000n + 700n);
    assert.equal(neg(6), neg(5), 'one balance per address');
    assert.equal(neg(7), 2_000n);
    assert.equal(pool.clientInfo(clientIdOf(peer(5)))['pricing/balance'], 0n);
  });

  it('fractions of a unit are carried, not lost: many small charges add up to the same as one large one', async () => {
    const prices = { positive: { timeFactor: 1_500, capacityFactor: 0, requestCostFactor: 0 } }; // 1.5 units per ms
    const a = setup({ prices });
    const b = setup({ prices });
    for (const s of [a, b]) {
      await s.pool.addBalance(clientIdOf(peer(8)), 1_000_000n, '');
      s.pool.admit({ id: peer(8), host: '10.0.0.8' });
    }
    for (let i = 0; i < 1000; i++) {
      a.clock.advance(1);
      a.pool.tick();
    }
    b.clock.advance(1000);
    b.pool.tick();
    const left = (s: typeof a) => s.pool.clientInfo(clientIdOf(peer(8)))['pricing/balance'];
    assert.equal(left(b), 1_000_000n - 1_500n);
    assert.equal(left(a), left(b));
  });

  it('les_setDefaultParams prices clients that connect afterwards; les_setClientParams changes one client from then on', async () => {
    const { pool, clock } = setup({ prices: { positive: { timeFactor: 0, capacityFactor: 0, requestCostFactor: 0 } } });
    const early = clientIdOf(peer(9));
    const late = clientIdOf(peer(10));
    await pool.addBalance(early, 1_000_000n, '');
    await pool.addBalance(late, 1_000_000n, '');
    pool.admit({ id: peer(9), host: '10.0.0.9' });
    pool.setDefaultParams({ 'pricing/timeFactor': 1_000 });
    pool.admit({ id: peer(10), host: '10.0.0.10' });
    clock.advance(1_000);
    assert.equal(pool.clientInfo(early)['pricing/balance'], 1_000_000n, 'connected before: still its old prices');
    assert.equal(pool.clientInfo(late)['pricing/balance'], 1_000_000n - 1_000n);
    pool.setClientParams([early], { 'pricing/timeFactor': 3_000 });
    clock.advance(1_000);
    assert.equal(pool.clientInfo(early)['pricing/balance'], 1_000_000n - 3_000n);
    assert.deepEqual(pool.defaults.positive, { timeFactor: 1_000, capacityFactor: 0, requestCostFactor: 0 });
  });
});
