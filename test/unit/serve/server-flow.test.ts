/**
 * The server's capacity policy and per-client flow control, with a manual clock and timers:
 * the pool's total and minimum, BL/MRR per capacity (DESIGN §4: 16000 → 96,000,000), StopMsg then
 * ResumeMsg on a les/3+ breach, requests dropped while stopped, disconnect on a les/2 breach,
 * charges for bad requests.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/flow/index.js';
import { CapacityPool, ClientFlow, type FlowActions, ServeError, flowParamsFor } from '../../../src/serve/index.js';

class FakeTimers {
  readonly pending: Array<{ fn: () => void; ms: number; id: number }> = [];
  #id = 0;
  set = (fn: () => void, ms: number): unknown => {
    const id = ++this.#id;
    this.pending.push({ fn, ms, id });
    return id;
  };
  clear = (h: unknown): void => {
    const i = this.pending.findIndex((p) => p.id === h);
    if (i >= 0) this.pending.splice(i, 1);
  };
  fire(): number {
    const p = this.pending.shift();
    assert.ok(p !== undefined, 'a timer is pending');
    p.fn();
    return p.ms;
  }
}

function flow(version: number, capacity = 16_000) {
  const clock = new ManualClock(1000);
  const timers = new FakeTimers();
  const log: string[] = [];
  const actions: FlowActions = {
    sendStop: () => log.push('stop'),
    sendResume: (bv) => log.push(`resume ${bv}`),
    disconnect: () => log.push('disconnect'),
  };
  return { clock, timers, log, f: new ClientFlow(flowParamsFor(capacity), version, actions, { clock, timers }) };
}

describe('CapacityPool', () => {
  it('gives each client the minimum and refuses one that no longer fits', () => {
    const pool = new CapacityPool({ total: 50_000, min: 16_000 });
    assert.equal(pool.freeSlots, 3);
    assert.equal(pool.assign('a'), 16_000);
    assert.equal(pool.assign('b'), 16_000);
    assert.equal(pool.assign('c'), 16_000);
    assert.equal(pool.assign('d'), undefined, '2,000 left is below the minimum');
    assert.equal(pool.used, 48_000);
    pool.release('b');
    assert.equal(pool.assign('d'), 16_000);
    assert.equal(pool.assign('d'), undefined, 'one assignment per client');
    assert.deepEqual(pool.assignments().map((x) => x.clientId).sort(), ['a', 'c', 'd']);
  });

  it('changes a capacity only within the total and never below the minimum', () => {
    const pool = new CapacityPool({ total: 64_000, min: 16_000 });
    pool.assign('a');
    pool.assign('b');
    assert.equal(pool.setCapacity('a', 48_000), true);
    assert.equal(pool.free, 0);
    assert.equal(pool.setCapacity('b', 20_000), false);
    assert.equal(pool.setCapacity('a', 8_000), false);
    assert.equal(pool.setCapacity('zz', 16_000), false);
    assert.equal(pool.capacityOf('a'), 48_000);
  });

  it('refuses nonsense options with a typed error naming the field', () => {
    assert.throws(() => new CapacityPool({ total: 0 }), (e: unknown) => e instanceof ServeError && e.field === 'capacity.total');
    assert.throws(() => new CapacityPool({ total: 10, min: 20 }), (e: unknown) => e instanceof ServeError && e.field === 'capacity.min');
    assert.throws(() => new CapacityPool({ min: 1.5 }), (e: unknown) => e instanceof ServeError);
  });

  it('BL is 6000 ms of MRR: the minimum capacity 16000 gives BL 96,000,000 (DESIGN §4)', () => {
    assert.deepEqual(flowParamsFor(16_000), { bl: 96_000_000, mrr: 16_000 });
  });
});

describe('ClientFlow', () => {
  it('accepts within BV, refunds the unused part of the max cost, answers with BV', () => {
    const { f } = flow(4);
    assert.equal(f.admit(1n, 60_000_000), 'accepted');
    assert.equal(f.complete(1n, 1_000_000), 95_000_000);
    assert.equal(f.admit(2n, 60_000_000), 'accepted');
    assert.equal(f.complete(2n, 1e18), 35_000_000, 'real cost is never above the max cost');
  });

  it('les/3+: a breach sends StopMsg, requests while stopped are dropped uncharged, ResumeMsg follows once recharged', () => {
    const { f, clock, timers, log } = flow(3);
    assert.equal(f.admit(1n, 90_000_000), 'accepted');
    assert.equal(f.admit(2n, 60_000_000), 'stopped');
    assert.deepEqual(log, ['stop']);
    assert.equal(f.admit(3n, 1), 'dropped');
    assert.equal(f.admit(4n, 1), 'dropped');
    assert.equal(f.counters.dropped, 2);
    assert.equal(f.buffer.bv, 6_000_000, 'dropped requests are not charged');
    f.complete(1n, 90_000_000);
    // Resume once BV covers the refused request (60M): (60M − 6M) / 16000 per ms = 3375 ms.
    assert.equal(timers.pending.length, 1);
    assert.equal(timers.pending[0]!.ms, 3375);
    clock.advance(3375);
    timers.fire();
    assert.deepEqual(log, ['stop', 'resume 60000000']);
    assert.equal(f.stopped, false);
    assert.equal(f.admit(5n, 60_000_000), 'accepted');
    assert.deepEqual(f.counters, { stops: 1, resumes: 1, dropped: 2, breaches: 1 });
  });

  it('a resume timer that fires early waits again instead of resuming short', () => {
    const { f, clock, timers, log } = flow(4);
    f.admit(1n, 96_000_000);
    assert.equal(f.admit(2n, 50_000_000), 'stopped');
    clock.advance(1000);
    timers.fire();
    assert.deepEqual(log, ['stop']);
    assert.equal(timers.pending.length, 1);
    clock.advance(timers.pending[0]!.ms);
    timers.fire();
    assert.equal(log[1], 'resume 50000000');
  });

  it('les/2: a breach disconnects (no StopMsg in les/2)', () => {
    const { f, log } = flow(2);
    f.admit(1n, 90_000_000);
    assert.equal(f.admit(2n, 10_000_000), 'disconnected');
    assert.deepEqual(log, ['disconnect']);
  });

  it('charges take BV without a request and can cause a stop; a reqID in use is refused', () => {
    const { f, log } = flow(4);
    assert.equal(f.charge(50_000_000), 'accepted');
    assert.equal(f.buffer.bv, 46_000_000);
    assert.equal(f.charge(50_000_000), 'stopped');
    assert.deepEqual(log, ['stop']);
    const g = flow(4).f;
    g.admit(7n, 1000);
    assert.throws(() => g.admit(7n, 1000), (e: unknown) => (e as { code?: string }).code === 'DUPLICATE_REQID');
  });

  it('close() cancels a pending resume', () => {
    const { f, timers, log } = flow(4);
    f.admit(1n, 96_000_000);
    f.admit(2n, 1_000_000);
    assert.equal(timers.pending.length, 1);
    f.close();
    assert.equal(timers.pending.length, 0);
    assert.deepEqual(log, ['stop']);
  });
});
