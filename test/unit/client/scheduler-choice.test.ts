/**
 * The pure choice functions: which server is expected to answer first, how a message is filled,
 * the soft timeout rule.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedMs, fillBatch, messageCost, pickServer, softTimeoutMs } from '../../../src/client/scheduler/index.js';
import { FakeSource, GET_RECEIPTS, ManualTimers } from './scheduler-fakes.js';

function setup() {
  const timers = new ManualTimers();
  return { timers, source: new FakeSource(timers) };
}

describe('messageCost', () => {
  it('is baseCost + reqCost × units from the server MRC, undefined for a code it does not price', () => {
    const mrc = [{ code: 0x06, baseCost: 500, reqCost: 1_000 }];
    assert.equal(messageCost(mrc, 0x06, 3), 3_500);
    assert.equal(messageCost(mrc, 0x0f, 1), undefined);
  });
});

describe('pickServer', () => {
  it('prefers the server whose buffer covers the cost now over one that must wait', () => {
    const { source } = setup();
    const a = source.add('a', { bl: 100_000, mrr: 10 });
    const b = source.add('b', { bl: 100_000, mrr: 10 });
    a.flow.onSend(1n, 99_000); // a must now wait ~10 s for a 1000-cost message
    const pick = pickServer([a, b], GET_RECEIPTS, 1, 1000);
    assert.equal(pick?.server.id, 'b');
    assert.equal(pick?.waitMs, 0);
    assert.ok(expectedMs(a, 1_000, 0, 1000) > expectedMs(b, 1_000, 0, 1000));
  });

  it('with equal buffers, prefers the shorter round trip', () => {
    const { source } = setup();
    const slow = source.add('slow', { rttMs: 80 });
    const fast = source.add('fast', { rttMs: 5 });
    assert.equal(pickServer([slow, fast], GET_RECEIPTS, 1, 1000)?.server.id, 'fast');
  });

  it('a low score costs more than a longer round trip', () => {
    const { source } = setup();
    const liar = source.add('liar', { rttMs: 5 });
    const honest = source.add('honest', { rttMs: 50 });
    liar.score = 0.5; // penalty 500 ms at 1000 ms for score 0
    assert.equal(pickServer([liar, honest], GET_RECEIPTS, 1, 1000)?.server.id, 'honest');
    assert.equal(pickServer([liar, honest], GET_RECEIPTS, 1, 0)?.server.id, 'liar');
  });

  it('skips servers that are stopped or do not price the code; undefined when none is left', () => {
    const { source } = setup();
    const stopped = source.add('stopped');
    stopped.flow.onStop();
    const other = source.add('other', { mrc: [{ code: 0x0f, baseCost: 0, reqCost: 1 }] });
    assert.equal(pickServer([stopped, other], GET_RECEIPTS, 1, 1000), undefined);
  });

  it('returns a wait when every candidate must wait, the shortest one', () => {
    const { source } = setup();
    const a = source.add('a', { bl: 10_000, mrr: 10 });
    const b = source.add('b', { bl: 10_000, mrr: 10 });
    a.flow.onSend(1n, 10_000);
    a.flow.onReply(1n, 0); // arrived: BLE 0, needs 1000 + 10 margin: 101 ms
    b.flow.onSend(2n, 9_500);
    b.flow.onReply(2n, 500); // arrived: BLE 500, needs 510 more: 51 ms
    const pick = pickServer([a, b], GET_RECEIPTS, 1, 1000);
    assert.equal(pick?.server.id, 'b');
    assert.ok(pick !== undefined && Math.abs(pick.waitMs - 51) < 1e-6);
  });
});

describe('fillBatch', () => {
  const items = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const units = (n: number) => (n === 4 ? 5 : 1);

  it('stops at maxItems', () => {
    const out = fillBatch(1, items, { maxItems: 4, units: () => 1, eligible: () => true, sendable: () => true });
    assert.deepEqual(out.items, [1, 2, 3, 4]);
    assert.equal(out.units, 4);
  });

  it('keeps the message sendable: an item that would not fit is skipped, a later smaller one is taken', () => {
    const out = fillBatch(1, items, { maxItems: 64, units, eligible: () => true, sendable: (u) => u <= 5 });
    assert.deepEqual(out.items, [1, 2, 3, 5, 6]);
    assert.equal(out.units, 5);
  });

  it('takes only eligible items and never the first twice', () => {
    const out = fillBatch(3, items, { maxItems: 64, units: () => 1, eligible: (n) => n % 3 === 0, sendable: () => true });
    assert.deepEqual(out.items, [3, 6, 9]);
  });
});

describe('softTimeoutMs', () => {
  it('is factor × RTT + margin, never under the minimum', () => {
    const rule = { factor: 1.5, marginMs: 100, minMs: 300 };
    assert.equal(softTimeoutMs(400, rule), 700);
    assert.equal(softTimeoutMs(20, rule), 300);
  });
});
