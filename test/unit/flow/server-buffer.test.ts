import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientBuffer, FlowError, ManualClock, ServerBufferEstimate } from '../../../src/flow/index.js';

// BL 10,000,000, MRR 1000 cost units/ms: recharging the whole buffer takes 10 s.
const P = { bl: 10_000_000, mrr: 1000 };

function buffer(options = {}) {
  const clock = new ManualClock(0);
  return { clock, buf: new ClientBuffer(P, clock, options) };
}

const isFlow = (code: string, field?: string) => (e: unknown) =>
  e instanceof FlowError && e.code === code && (field === undefined || e.field === field);

describe('ClientBuffer: recharge and accept', () => {
  it('starts at BL and recharges at MRR up to BL', () => {
    const { clock, buf } = buffer();
    assert.equal(buf.bv, 10_000_000);
    assert.deepEqual(buf.accept(1n, 4_000_000), { accepted: true });
    assert.equal(buf.bv, 6_000_000);
    assert.equal(buf.inFlight, 1);
    clock.advance(1000);
    assert.equal(buf.bv, 7_000_000);
    clock.advance(10_000);
    assert.equal(buf.bv, 10_000_000);
  });

  it('accepts a request costing exactly BV, rejects one costing more and stops', () => {
    const { buf } = buffer();
    assert.equal(buf.accept(1n, 6_000_000).accepted, true);
    assert.equal(buf.accept(2n, 4_000_000).accepted, true); // BV 4M = maxCost
    const r = buf.accept(3n, 1);
    assert.equal(r.accepted, false);
    assert.equal(buf.stopped, true);
    assert.equal(buf.bv, 0);
  });

  it('on underrun reports when BV will cover the refused request (and stays uncharged)', () => {
    const { clock, buf } = buffer();
    buf.accept(1n, 4_000_000); // BV 6M
    assert.deepEqual(buf.accept(2n, 7_000_000), { accepted: false, reason: 'underrun', resumeInMs: 1000 }); // (7M − 6M) / 1000
    assert.equal(buf.bv, 6_000_000);
    clock.advance(400);
    assert.equal(buf.resumeInMs(), 600);
  });

  it('resumes no earlier than BV = BL/8 after a small refused request', () => {
    const { buf } = buffer();
    buf.accept(1n, 9_900_000); // BV 100,000
    const r = buf.accept(2n, 500_000);
    // max(500,000, 10,000,000 / 8 = 1,250,000) − 100,000 = 1,150,000 → 1150 ms
    assert.deepEqual(r, { accepted: false, reason: 'underrun', resumeInMs: 1150 });
  });

  it('drops requests uncharged while stopped, then resumes with the floored BV', () => {
    const { clock, buf } = buffer();
    buf.accept(1n, 4_000_000);
    buf.accept(2n, 7_000_000); // underrun
    assert.deepEqual(buf.accept(3n, 1_000_000), { accepted: false, reason: 'stopped', resumeInMs: 1000 });
    assert.equal(buf.bv, 6_000_000);
    assert.equal(buf.inFlight, 1);
    clock.advance(1000.0004); // + 1,000,000.4
    assert.equal(buf.resumeInMs(), 0);
    assert.equal(buf.resumeBV(), 7_000_000);
    assert.equal(buf.stopped, false);
    assert.equal(buf.accept(4n, 7_000_000).accepted, true);
  });

  it('stop() for overload freezes the client until the caller resumes it', () => {
    const { buf } = buffer();
    buf.stop();
    assert.equal(buf.stopped, true);
    assert.deepEqual(buf.accept(1n, 1), { accepted: false, reason: 'stopped', resumeInMs: 0 });
    assert.equal(buf.resumeBV(), 10_000_000);
    assert.equal(buf.accept(1n, 1).accepted, true);
  });

  it('refuses a reqID already being served and bad numbers', () => {
    const { buf } = buffer();
    buf.accept(1n, 1);
    assert.throws(() => buf.accept(1n, 1), isFlow('DUPLICATE_REQID', 'reqID'));
    assert.throws(() => buf.accept(2n, -1), isFlow('INVALID_NUMBER', 'maxCost'));
    assert.throws(() => buf.complete(9n, 0), isFlow('UNKNOWN_REQID', 'reqID'));
  });
});

describe('ClientBuffer: completion and the reported BV', () => {
  it('refunds maxCost − realCost', () => {
    const { buf } = buffer();
    buf.accept(1n, 4_000_000);
    assert.equal(buf.complete(1n, 1_000_000), 9_000_000);
    assert.equal(buf.bv, 9_000_000);
    assert.equal(buf.inFlight, 0);
  });

  it('reports BV plus the max costs of requests accepted after this one', () => {
    const { buf } = buffer();
    buf.accept(1n, 3_000_000);
    buf.accept(2n, 2_000_000);
    buf.accept(3n, 1_000_000); // BV 4M
    assert.equal(buf.complete(2n, 2_000_000), 5_000_000); // 4M + 1M (request 3)
    assert.equal(buf.complete(1n, 1_000_000), 9_000_000); // refund 2M → 6M, + 2M + 1M
    assert.equal(buf.complete(3n, 0), 7_000_000); // refund 1M → 7M, nothing after
    assert.equal(buf.bv, 7_000_000);
  });

  it('caps the reported BV and the refund at BL', () => {
    const { clock, buf } = buffer();
    buf.accept(1n, 1_000_000);
    buf.accept(2n, 1_000_000); // BV 8M
    clock.advance(1500); // 9.5M
    assert.equal(buf.complete(1n, 0), 10_000_000); // min(BL, 9.5M + 1M refund) + 1M → BL
    assert.equal(buf.bv, 10_000_000);
  });

  it('clamps realCost to [0, maxCost] (NaN is charged in full)', () => {
    const { buf } = buffer();
    buf.accept(1n, 4_000_000);
    assert.equal(buf.complete(1n, 9_000_000), 6_000_000); // above maxCost: no negative refund
    buf.accept(2n, 4_000_000);
    assert.equal(buf.complete(2n, Number.NaN), 2_000_000);
    buf.accept(3n, 1_000_000);
    assert.equal(buf.complete(3n, -5), 2_000_000); // negative: full refund
  });

  it('floors the reported BV', () => {
    const { clock, buf } = buffer();
    buf.accept(1n, 4_000_000);
    clock.advance(0.0005); // + 0.5
    assert.equal(buf.complete(1n, 4_000_000), 6_000_000);
    assert.ok(buf.bv > 6_000_000);
  });

  it('agrees with the client rule: all answered, no time passed → BLE = BV', () => {
    // The spec's client update (BLE = BV − costs sent after) fed with this server's replies.
    const clock = new ManualClock(0);
    const server = new ClientBuffer(P, clock);
    const client = new ServerBufferEstimate(P, clock);
    const costs: Array<[bigint, number, number]> = [
      [1n, 3_000_000, 500_000],
      [2n, 2_000_000, 2_000_000],
      [3n, 1_000_000, 0],
      [4n, 2_500_000, 1_250_000],
    ];
    for (const [id, max] of costs) {
      client.onSend(id, max);
      assert.equal(server.accept(id, max).accepted, true);
    }
    for (const i of [2, 0, 3, 1]) {
      const [id, , real] = costs[i] ?? [0n, 0, 0];
      client.onReply(id, server.complete(id, real));
      assert.ok(client.ble <= server.bv);
    }
    assert.equal(client.ble, server.bv);
    assert.equal(server.bv, 10_000_000 - (500_000 + 2_000_000 + 0 + 1_250_000));
  });
});

describe('ClientBuffer: new parameters', () => {
  it('adds the difference when BL grows and clamps when it shrinks', () => {
    const { clock, buf } = buffer();
    buf.accept(1n, 9_000_000); // BV 1M
    buf.setParams({ bl: 20_000_000, mrr: 2000 });
    assert.equal(buf.bv, 11_000_000);
    clock.advance(1000);
    assert.equal(buf.bv, 13_000_000);
    buf.setParams({ bl: 5_000_000, mrr: 500 });
    assert.equal(buf.bv, 5_000_000);
    assert.equal(buf.complete(1n, 9_000_000), 5_000_000);
  });
});
