/**
 * ServerBufferEstimate's in-transit cap. The simulation pits the estimate against the real
 * server-side ClientBuffer over a link with random, ordered delays: a client that sends only when
 * the estimate allows must never make the server's buffer underrun.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientBuffer, ManualClock, ServerBufferEstimate } from '../../../src/flow/index.js';

describe('ServerBufferEstimate: the in-transit cap', () => {
  it('does not recharge past BL minus what is still in transit, until a reply says it arrived', () => {
    const clock = new ManualClock(0);
    const e = new ServerBufferEstimate({ bl: 10_000, mrr: 10 }, clock);
    e.onSend(1n, 4_000);
    clock.advance(1_000); // 10,000 of recharge, but the server sat full until the request arrived
    assert.equal(e.ble, 6_000);
    assert.equal(e.inTransitCost, 4_000);
    assert.equal(e.onReply(1n, 9_000), true);
    assert.equal(e.ble, 9_000);
    assert.equal(e.inTransitCost, 0);
    clock.advance(1_000);
    assert.equal(e.ble, 10_000);
  });

  it('a reply tells that every request sent before it arrived too', () => {
    const clock = new ManualClock(0);
    const e = new ServerBufferEstimate({ bl: 10_000, mrr: 10 }, clock);
    e.onSend(1n, 1_000);
    e.onSend(2n, 2_000);
    e.onSend(3n, 3_000);
    e.onReply(2n, 5_000); // 1 and 2 arrived; 3 may not have
    assert.equal(e.inTransitCost, 3_000);
    assert.equal(e.ble, 4_000); // max(4,000, 5,000 − 3,000)
    clock.advance(10_000);
    assert.equal(e.ble, 7_000);
  });

  it('waitTime is Infinity when only a reply can make room, finite when recharge can', () => {
    const clock = new ManualClock(0);
    const e = new ServerBufferEstimate({ bl: 10_000, mrr: 10 }, clock);
    e.onSend(1n, 8_000);
    assert.equal(e.waitTime(3_000), Infinity);
    assert.equal(e.waitTime(1_000), 0);
    e.onReply(1n, 2_000);
    assert.equal(e.waitTime(3_000), (3_000 + 10 - 2_000) / 10);
  });

  it('StopMsg clears what is in flight; ResumeMsg sets BLE to its BV', () => {
    const clock = new ManualClock(0);
    const e = new ServerBufferEstimate({ bl: 10_000, mrr: 10 }, clock);
    e.onSend(1n, 4_000);
    assert.deepEqual(e.onStop(), [1n]);
    assert.equal(e.canSend(1), false);
    assert.equal(e.waitTime(1), Infinity);
    assert.throws(() => e.onSend(2n, 1));
    e.onResume(7_000);
    assert.equal(e.stopped, false);
    assert.equal(e.ble, 7_000);
    assert.equal(e.inTransitCost, 0);
  });
});

/**
 * The LES spec's client rule with nothing more: deduct on send, recharge at MRR up to BL, on a
 * reply BLE = max(BLE, BV − costs sent after). The control of the simulation.
 */
class SpecOnlyEstimate {
  #ble: number;
  #last: number;
  #sum = 0;
  readonly #sentAt = new Map<bigint, number>();
  constructor(
    private readonly p: { bl: number; mrr: number },
    private readonly clock: ManualClock,
  ) {
    this.#ble = p.bl;
    this.#last = clock.now();
  }
  #recharge(): void {
    const now = this.clock.now();
    this.#ble = Math.min(this.p.bl, this.#ble + (now - this.#last) * this.p.mrr);
    this.#last = now;
  }
  canSend(cost: number): boolean {
    this.#recharge();
    return this.#ble >= cost + this.p.mrr;
  }
  onSend(reqID: bigint, cost: number): void {
    this.#recharge();
    this.#ble -= cost;
    this.#sum += cost;
    this.#sentAt.set(reqID, this.#sum);
  }
  onReply(reqID: bigint, bv: number): boolean {
    this.#recharge();
    const at = this.#sentAt.get(reqID);
    if (at === undefined) return false;
    this.#sentAt.delete(reqID);
    this.#ble = Math.min(this.p.bl, Math.max(this.#ble, bv - (this.#sum - at)));
    return true;
  }
}

/** Deterministic pseudo-random numbers (LCG), so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Estimate {
  canSend(cost: number): boolean;
  onSend(reqID: bigint, cost: number): void;
  onReply(reqID: bigint, bv: number): boolean;
}

/**
 * A client sending as fast as its estimate allows to a server (ClientBuffer) over a link whose
 * delays vary from 0 to `maxDelayMs`, delivering in order. Returns the server's underruns.
 */
function simulate(make: (clock: ManualClock) => Estimate, seed: number, maxDelayMs: number): { underruns: number; requests: number } {
  const random = rng(seed);
  const clock = new ManualClock(0);
  const params = { bl: 100_000, mrr: 100 };
  const client = make(clock);
  const server = new ClientBuffer(params, clock);
  type Event = { at: number; seq: number; run: () => void };
  const events: Event[] = [];
  let seq = 0;
  const at = (time: number, run: () => void) => events.push({ at: time, seq: seq++, run });
  let toServerFree = 0;
  let toClientFree = 0;
  let underruns = 0;
  let requests = 0;
  let nextID = 1n;
  for (let step = 0; step < 4_000; step++) {
    const cost = 1_000 + Math.floor(random() * 20_000);
    if (client.canSend(cost)) {
      const reqID = nextID++;
      client.onSend(reqID, cost);
      requests++;
      // In order: a message never overtakes the one before it.
      toServerFree = Math.max(toServerFree, clock.now() + random() * maxDelayMs);
      at(toServerFree, () => {
        const r = server.accept(reqID, cost);
        if (!r.accepted) {
          underruns++;
          return;
        }
        const done = clock.now() + random() * 5;
        at(done, () => {
          const bv = server.complete(reqID, cost * random());
          toClientFree = Math.max(toClientFree, clock.now() + random() * maxDelayMs);
          at(toClientFree, () => client.onReply(reqID, bv));
        });
      });
    }
    // Advance to the next event or by a small step, running what is due.
    const target = clock.now() + random() * 3;
    for (;;) {
      events.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = events[0];
      if (next === undefined || next.at > target) break;
      events.shift();
      clock.set(Math.max(clock.now(), next.at));
      next.run();
    }
    clock.set(target);
  }
  return { underruns, requests };
}

describe('ServerBufferEstimate against the server buffer (seeded simulation)', () => {
  it('never lets the server buffer underrun, whatever the transit delays', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      for (const maxDelayMs of [1, 20, 150]) {
        const { underruns, requests } = simulate((c) => new ServerBufferEstimate({ bl: 100_000, mrr: 100 }, c), seed, maxDelayMs);
        assert.ok(requests > 100, `the load ran (${requests} requests)`);
        assert.equal(underruns, 0, `seed ${seed}, delays up to ${maxDelayMs} ms`);
      }
    }
  });

  it('the simulation can fail: the spec rule alone (recharge up to BL) underruns with long transits', () => {
    let underruns = 0;
    for (const seed of [1, 2, 3, 4, 5]) underruns += simulate((c) => new SpecOnlyEstimate({ bl: 100_000, mrr: 100 }, c), seed, 150).underruns;
    assert.ok(underruns > 0);
  });
});
