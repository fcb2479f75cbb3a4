import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runSimulation } from './sim.js';

/*
 * Window: every client starts with a full buffer, BL = 6000 ms of its MRR, and spends it in a
 * burst on top of its recharge, so the first seconds serve more than C. Clients send back to back,
 * so the credit is gone within a few round trips; the window starts at 20 s (over three times the
 * 6 s a full buffer is worth), and the test checks that every buffer is indeed well below BL then.
 * From there, as long as no server-side BV reaches BL (no recharge is wasted), the real cost
 * served can only be the recharge: C per ms, up to the buffers' fluctuation at the window's ends.
 */
const WINDOW = { from: 20_000, to: 200_000 };

describe('flow control simulation: one server, constant total capacity', () => {
  for (const [seed, clients] of [[1, 10], [2, 30], [3, 50]] as const) {
    it(`seed ${seed}, ${clients} clients: never rejected, BLE ≤ BV, serves C within 2%`, () => {
      const started = performance.now();
      const r = runSimulation({ seed, clients, totalCapacity: 2_000_000, durationMs: WINDOW.to, window: WINDOW });
      const ratio = r.servedInWindow / ((WINDOW.to - WINDOW.from) * r.capacity);
      console.log(
        `  seed ${seed}: ${clients} clients, MRR ${Math.min(...r.mrrs)}..${Math.max(...r.mrrs)}, ${r.sent} requests, ` +
          `${r.events} events, served/C = ${ratio.toFixed(5)}, min BV−BLE = ${r.minHeadroom.toFixed(1)}, ` +
          `fill at start ${r.maxFillAtWindowStart.toFixed(3)}, max fill ${r.maxFillInWindow.toFixed(3)}, ` +
          `${(performance.now() - started).toFixed(0)} ms`,
      );
      assert.equal(r.mrrs.reduce((a, b) => a + b, 0), 2_000_000);
      assert.ok(r.sent > 1000 * clients / 10, 'the clients kept sending');
      assert.equal(r.obeyingRejected, 0, 'an estimate-obeying client was rejected');
      assert.equal(r.bleAboveBv, 0, 'BLE at send exceeded the BV the request met');
      assert.equal(r.wakeMisses, 0, 'waitTime was too short');
      assert.ok(r.maxFillAtWindowStart < 0.5, `initial buffers not spent by ${WINDOW.from} ms`);
      assert.ok(r.maxFillInWindow < 1, 'a buffer reached BL in the window: recharge was wasted');
      assert.ok(ratio > 0.98 && ratio < 1.02, `served/C = ${ratio}`);
    });
  }

  it('rejects a client that ignores its estimate, and only that one', () => {
    // MRR 16000 (BL 96M); a 4M request every 100 ms asks for 40,000 per ms, 2.5 × its MRR.
    const r = runSimulation({
      seed: 7,
      clients: 20,
      totalCapacity: 1_000_000,
      durationMs: 60_000,
      window: { from: 20_000, to: 60_000 },
      misbehaving: { mrr: 16_000, maxCost: 4_000_000, intervalMs: 100 },
    });
    console.log(`  misbehaving: ${r.misbehavingAccepted} accepted, ${r.misbehavingRejected} rejected; others rejected ${r.obeyingRejected}`);
    assert.ok(r.misbehavingRejected > 0, 'the overrunning client was never rejected');
    assert.ok(r.misbehavingAccepted > 0);
    assert.equal(r.obeyingRejected, 0);
    assert.equal(r.bleAboveBv, 0);
  });
});
