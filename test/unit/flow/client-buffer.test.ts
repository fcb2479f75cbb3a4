import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientBuffer, FlowError, ManualClock, ServerBufferEstimate } from '../../../src/flow/index.js';

// Minimum capacity of DESIGN §4: MRR 16000 cost units/ms, BL 96,000,000; 1 ms margin = 16000.
const MIN = { bl: 96_000_000, mrr: 16000 };
// Round numbers for the reply arithmetic: BL 10,000,000, MRR 1000 (margin 1000).
const SMALL = { bl: 10_000_000, mrr: 1000 };

function estimate(params = MIN) {
  const clock = new ManualClock(1000);
  return { clock, est: new ServerBufferEstimate(params, clock) };
}

const isFlow = (code: string, field?: string) => (e: unknown) =>
  e instanceof FlowError && e.code === code && (field === undefined || e.field === field);

describe('ServerBufferEstimate: recharge', () => {
  it('starts at BL', () => {
    const { est } = estimate();
    assert.equal(est.ble, 96_000_000);
    assert.equal(est.bl, 96_000_000);
    assert.equal(est.mrr, 16000);
    assert.equal(est.inFlight, 0);
    assert.equal(est.stopped, false);
  });

  it('recharges at MRR up to BL and no further', () => {
    const { clock, est } = estimate();
    est.onSend(1n, 1_000_000);
    assert.equal(est.ble, 95_000_000);
    est.onReply(1n, 95_000_000); // arrived and charged: nothing is in transit any more
    clock.advance(31.25); // 31.25 ms × 16000 = 500,000
    assert.equal(est.ble, 95_500_000);
    clock.advance(31.25);
    assert.equal(est.ble, 96_000_000);
    clock.advance(60_000);
    assert.equal(est.ble, 96_000_000);
  });

  it('recharges no higher than BL less the costs still in transit', () => {
    // The server's buffer may sit at BL until a request arrives, so its cost is not recharge.
    const { clock, est } = estimate();
    est.onSend(1n, 1_000_000);
    est.onSend(2n, 2_000_000);
    clock.advance(60_000);
    assert.equal(est.ble, 93_000_000);
    assert.equal(est.inTransitCost, 3_000_000);
    est.onReply(1n, 95_000_000); // 1 arrived: 95M − 2M sent after it = 93M; 2M still in transit
    assert.equal(est.inTransitCost, 2_000_000);
    clock.advance(60_000);
    assert.equal(est.ble, 94_000_000);
    est.onReply(2n, 94_000_000); // a reply to the later request also tells the earlier arrived
    clock.advance(60_000);
    assert.equal(est.ble, 96_000_000);
    assert.equal(est.inTransitCost, 0);
  });
});

describe('ServerBufferEstimate: send gate', () => {
  it('requires BLE ≥ maxCost + 1 ms of MRR', () => {
    const { est } = estimate();
    est.onSend(1n, 95_000_000);
    est.onReply(1n, 1_000_000); // BLE 1,000,000, nothing in transit
    assert.equal(est.canSend(984_000), true); // 984,000 + 16,000 = BLE exactly
    assert.equal(est.canSend(985_000), false);
    assert.equal(est.canSend(1_000_000), false); // BLE covers the cost but not the margin
  });

  it('waits exactly (maxCost + margin − BLE) / MRR ms', () => {
    const { clock, est } = estimate();
    est.onSend(1n, 95_000_000);
    est.onReply(1n, 1_000_000); // BLE 1,000,000, nothing in transit
    assert.equal(est.waitTime(984_000), 0);
    assert.equal(est.waitTime(1_000_000), 1); // 16,000 / 16,000
    assert.equal(est.waitTime(2_000_000), 63.5); // (2,016,000 − 1,000,000) / 16,000
    clock.advance(63.4);
    assert.equal(est.canSend(2_000_000), false);
    clock.advance(0.1);
    assert.equal(est.canSend(2_000_000), true);
    assert.equal(est.waitTime(2_000_000), 0);
  });

  it('never sends a request dearer than BL − 1 ms of MRR, however full the buffer', () => {
    const { clock, est } = estimate();
    assert.equal(est.canSend(96_000_000 - 16_000), true);
    assert.equal(est.canSend(96_000_000 - 15_999), false);
    assert.equal(est.waitTime(96_000_000 - 15_999), Infinity);
    clock.advance(60_000);
    assert.equal(est.canSend(96_000_001), false);
  });

  it('a request sent behind one still in transit fits the server buffer (server at BL)', () => {
    // Client and server share a clock; A costs 400 and takes 10.5 ms to arrive; B is sent while A
    // is in transit and, queued behind A, arrives at the same time. The server's BV sat at BL
    // meanwhile, so BLE must not have recharged A's cost back.
    const clock = new ManualClock(0);
    const est = new ServerBufferEstimate(SMALL, clock);
    const server = new ClientBuffer(SMALL, clock);
    est.onSend(1n, 400);
    clock.advance(0.4);
    assert.equal(est.ble, 9_999_600);
    const biggest = 9_999_600 - 1000; // BLE − 1 ms of MRR 1000
    assert.equal(est.canSend(biggest), true);
    assert.equal(est.canSend(biggest + 1), false);
    est.onSend(2n, biggest);
    clock.advance(10.1); // t = 10.5: both arrive, BV still at BL
    assert.equal(server.bv, 10_000_000);
    assert.equal(server.accept(1n, 400).accepted, true);
    assert.equal(server.accept(2n, biggest).accepted, true); // 9,999,600 ≥ 9,998,600
  });

  it('waits forever when short and MRR is 0', () => {
    const { est } = estimate({ bl: 1000, mrr: 0 });
    est.onSend(1n, 600);
    assert.equal(est.canSend(400), true);
    assert.equal(est.waitTime(401), Infinity);
  });

  it('lets a caller send past the gate (BLE goes negative) and refuses bad input', () => {
    const { est } = estimate(SMALL);
    est.onSend(1n, 10_000_000);
    est.onSend(2n, 500);
    assert.equal(est.ble, -500);
    assert.throws(() => est.onSend(2n, 1), isFlow('DUPLICATE_REQID', 'reqID'));
    assert.throws(() => est.onSend(3n, -1), isFlow('INVALID_NUMBER', 'maxCost'));
    assert.throws(() => est.canSend(Number.NaN), isFlow('INVALID_NUMBER', 'maxCost'));
    assert.throws(() => new ServerBufferEstimate({ bl: -1, mrr: 1 }), isFlow('INVALID_NUMBER', 'bl'));
  });
});

describe('ServerBufferEstimate: replies', () => {
  it('two in flight: BLE = BV − cost of the one sent after, capped at BL', () => {
    const { est } = estimate(SMALL);
    est.onSend(1n, 1_000_000);
    est.onSend(2n, 2_000_000);
    assert.equal(est.ble, 7_000_000);
    assert.equal(est.onReply(1n, 9_500_000), true); // 9.5M − 2M (request 2 sent after)
    assert.equal(est.ble, 7_500_000);
    assert.equal(est.onReply(2n, 12_000_000), true); // nothing sent after; BV above BL → BL
    assert.equal(est.ble, 10_000_000);
    assert.equal(est.inFlight, 0);
  });

  it('three in flight, answered out of order; a lower (stale) result never lowers BLE', () => {
    const { est } = estimate(SMALL);
    est.onSend(1n, 3_000_000);
    est.onSend(2n, 2_000_000);
    est.onSend(3n, 4_000_000);
    assert.equal(est.ble, 1_000_000);
    est.onReply(2n, 7_500_000); // − 4M (request 3) = 3.5M
    assert.equal(est.ble, 3_500_000);
    est.onReply(3n, 3_000_000); // − 0 = 3M < 3.5M: kept
    assert.equal(est.ble, 3_500_000);
    est.onReply(1n, 9_800_000); // − (2M + 4M), already answered or not = 3.8M
    assert.equal(est.ble, 3_800_000);
    assert.equal(est.inFlight, 0);
  });

  it('ignores and reports unknown or repeated reqIDs', () => {
    const { est } = estimate(SMALL);
    est.onSend(1n, 6_000_000);
    assert.equal(est.onReply(99n, 10_000_000), false);
    assert.equal(est.ble, 4_000_000);
    assert.equal(est.onReply(1n, 5_000_000), true);
    assert.equal(est.onReply(1n, 10_000_000), false);
    assert.equal(est.ble, 5_000_000);
  });

  it('recharges from the corrected value', () => {
    const { clock, est } = estimate(SMALL);
    est.onSend(1n, 9_000_000);
    est.onReply(1n, 2_000_000);
    clock.advance(500); // + 500 × 1000
    assert.equal(est.ble, 2_500_000);
  });
});

describe('ServerBufferEstimate: StopMsg / ResumeMsg', () => {
  it('StopMsg returns the requests in flight, oldest first, and stops sending', () => {
    const { clock, est } = estimate(SMALL);
    est.onSend(5n, 1_000_000);
    est.onSend(3n, 1_000_000);
    est.onSend(8n, 1_000_000);
    est.onReply(3n, 8_000_000);
    assert.deepEqual(est.onStop(), [5n, 8n]);
    assert.equal(est.stopped, true);
    assert.equal(est.inFlight, 0);
    assert.equal(est.canSend(0), false);
    clock.advance(60_000);
    assert.equal(est.waitTime(1), Infinity);
    assert.equal(est.onReply(5n, 10_000_000), false); // written off: a late reply is ignored
    assert.throws(() => est.onSend(9n, 1), isFlow('STOPPED'));
  });

  it('ResumeMsg after StopMsg sets BLE = BV and allows sending', () => {
    const { est } = estimate(SMALL);
    est.onSend(1n, 1_000_000);
    est.onStop();
    est.onResume(4_000_000);
    assert.equal(est.stopped, false);
    assert.equal(est.ble, 4_000_000);
    assert.equal(est.canSend(3_999_000), true);
    assert.equal(est.canSend(3_999_001), false);
  });

  it('ResumeMsg without StopMsg is a buffer update: BV − costs in flight, requests kept', () => {
    const { est } = estimate(SMALL);
    est.onSend(1n, 6_000_000);
    est.onSend(2n, 3_000_000);
    est.onReply(1n, 5_000_000); // − 3M = 2M
    assert.equal(est.ble, 2_000_000);
    est.onResume(6_000_000); // − 3M in flight = 3M
    assert.equal(est.ble, 3_000_000);
    assert.equal(est.inFlight, 1);
    est.onResume(4_000_000); // 1M < 3M: kept
    assert.equal(est.ble, 3_000_000);
  });
});

describe('ServerBufferEstimate: new parameters', () => {
  it('adds the difference when BL grows and clamps when it shrinks', () => {
    const { clock, est } = estimate(SMALL);
    est.onSend(1n, 9_000_000);
    est.onReply(1n, 1_000_000); // BLE 1M, nothing in transit
    est.setParams({ bl: 20_000_000, mrr: 2000 });
    assert.equal(est.ble, 11_000_000);
    clock.advance(1000); // new MRR: + 2M
    assert.equal(est.ble, 13_000_000);
    est.setParams({ bl: 5_000_000, mrr: 500 });
    assert.equal(est.ble, 5_000_000);
    assert.equal(est.bl, 5_000_000);
    assert.equal(est.mrr, 500);
  });
});
