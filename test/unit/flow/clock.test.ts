import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowError, ManualClock, systemClock } from '../../../src/flow/index.js';
import { CostLedger } from '../../../src/flow/cost-ledger.js';

describe('clocks', () => {
  it('ManualClock moves only when advanced or set forward', () => {
    const c = new ManualClock(5);
    assert.equal(c.now(), 5);
    c.advance(2.5);
    assert.equal(c.now(), 7.5);
    c.set(10);
    assert.equal(c.now(), 10);
  });

  it('ManualClock refuses to go backwards', () => {
    const c = new ManualClock(10);
    assert.throws(() => c.advance(-1), (e: unknown) => e instanceof FlowError && e.code === 'CLOCK_BACKWARDS');
    assert.throws(() => c.set(9), (e: unknown) => e instanceof FlowError && e.code === 'CLOCK_BACKWARDS');
    assert.equal(c.now(), 10);
  });

  it('systemClock never decreases', () => {
    let prev = systemClock.now();
    for (let i = 0; i < 1000; i++) {
      const t = systemClock.now();
      assert.ok(t >= prev);
      prev = t;
    }
  });
});

describe('cost ledger', () => {
  it('gives the sum of costs recorded after a request, whatever was taken in between', () => {
    const l = new CostLedger();
    l.record(1n, 10);
    l.record(2n, 20);
    l.record(3n, 40);
    assert.deepEqual(l.take(2n), { cost: 20, after: 40 });
    assert.deepEqual(l.take(1n), { cost: 10, after: 60 });
    assert.equal(l.inFlightCost, 40);
    assert.equal(l.take(9n), undefined);
  });

  it('stays exact when the running sum passes 2^53 (rebases)', () => {
    const l = new CostLedger();
    const big = 2 ** 50;
    l.record(0n, 1);
    for (let i = 1n; i <= 20n; i++) {
      l.record(i, big);
      l.take(i - 1n);
    }
    l.record(21n, 3);
    // 20 × 2^50 + 4 is not a safe integer; without rebasing `after` would round.
    assert.deepEqual(l.take(20n), { cost: big, after: 3 });
    assert.deepEqual(l.take(21n), { cost: 3, after: 0 });
  });

  it('refuses a reqID already in flight', () => {
    const l = new CostLedger();
    l.record(7n, 1);
    assert.throws(() => l.record(7n, 1), (e: unknown) => e instanceof FlowError && e.code === 'DUPLICATE_REQID');
  });
});
