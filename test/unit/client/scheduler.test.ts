/**
 * The scheduler over fake servers and a manual clock: capability filtering, buffer-aware choice,
 * coalescing, dedup, soft timeouts, invalid and unanswered replies, StopMsg, hard timeouts, and
 * the typed failures (no server, verification failed, timeout, abort).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NoServerError,
  NotServedError,
  RetrieveAbortedError,
  RetrieveTimeoutError,
  Scheduler,
  type SchedulerOptions,
  VerificationFailedError,
} from '../../../src/client/scheduler/index.js';
import type { OdrKind } from '../../../src/client/contracts.js';
import { FakeSource, ManualTimers, doubleKind, flush } from './scheduler-fakes.js';

function setup(opts: Partial<SchedulerOptions> = {}) {
  const timers = new ManualTimers();
  const source = new FakeSource(timers);
  const scheduler = new Scheduler({ source, timers, ...opts });
  return { timers, source, scheduler };
}

/** Observes a promise without letting its rejection go unhandled. */
function watch<T>(p: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { settled: () => done, result: p };
}

describe('Scheduler: choice of server', () => {
  it('asks only a server that can serve the item (capability check)', async () => {
    const { source, scheduler } = setup();
    const low = source.add('low', { rttMs: 1 });
    const high = source.add('high', { rttMs: 50 });
    low.head = { ...low.head, number: 10 };
    const p = scheduler.retrieve(doubleKind(), 500);
    await flush();
    assert.equal(low.sent.length, 0);
    assert.equal(high.sent.length, 1);
    high.answer(high.sent[0]!);
    assert.equal(await p, 1000);
  });

  it('sends to the server whose buffer covers the cost, and never past the estimate', async () => {
    const { source, scheduler } = setup();
    const drained = source.add('drained', { rttMs: 1, bl: 100_000, mrr: 10 });
    const full = source.add('full', { rttMs: 40, bl: 100_000, mrr: 10 });
    drained.flow.onSend(999n, 99_500);
    const p = scheduler.retrieve(doubleKind(), 7);
    await flush();
    assert.equal(drained.sent.length, 0);
    assert.equal(full.sent.length, 1);
    full.answer(full.sent[0]!);
    assert.equal(await p, 14);
  });

  it('waits for the buffer to recharge rather than overrun it, then sends', async () => {
    const { source, scheduler, timers } = setup();
    // 1000 per item + 10 margin; BL 2500 allows two items now.
    const s = source.add('s', { bl: 2_500, mrr: 10 });
    const all = [1, 2, 3, 4].map((n) => scheduler.retrieve(doubleKind(), n));
    await flush();
    assert.deepEqual(s.sent.map((m) => m.items), [[1, 2]]);
    // Until a reply says [1, 2] arrived the estimate cannot recharge past BL − 2000 (in transit).
    await timers.advance(50);
    assert.equal(s.sent.length, 1, 'nothing sent while the first message may still be in transit');
    s.answer(s.sent[0]!, undefined, 500); // arrived and charged: BV 2500 − 2000
    await timers.advance(50);
    assert.ok(scheduler.metrics().flowWaits > 0, 'now the wait is a recharge wait');
    assert.equal(s.sent.length, 1, 'nothing sent while the estimate is short');
    await timers.advance(100); // +1500 recharged: one more item fits (BLE 1500 ≥ 1010), not two
    assert.deepEqual(s.sent.map((m) => m.items), [[1, 2], [3]]);
    for (const m of s.open()) s.answer(m, undefined, 0);
    await timers.advance(200);
    for (const m of s.open()) s.answer(m, undefined, 0);
    assert.deepEqual(await Promise.all(all), [2, 4, 6, 8]);
    assert.ok(s.sent.every((m) => m.allowed), 'every message was allowed by the estimate when sent');
  });
});

describe('Scheduler: coalescing and dedup', () => {
  it('coalesces same-kind items for one server into messages of at most maxItems', async () => {
    const { source, scheduler } = setup();
    const s = source.add('s');
    const kind = doubleKind(4);
    const all = Array.from({ length: 10 }, (_, i) => scheduler.retrieve(kind, i + 1));
    await flush();
    assert.deepEqual(s.sent.map((m) => m.items), [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]);
    assert.deepEqual(s.sent.map((m) => m.maxCost), [4_000, 4_000, 2_000]);
    for (const m of s.open()) s.answer(m);
    assert.deepEqual(await Promise.all(all), [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    const k = scheduler.metrics().kinds.double!;
    assert.equal(k.messagesSent, 3);
    assert.equal(k.itemsSent, 10);
    assert.equal(k.items.ok, 10);
  });

  it('keeps a message under what the buffer covers (max cost under BL)', async () => {
    const { source, scheduler } = setup();
    const s = source.add('s', { bl: 3_500, mrr: 10 });
    void Array.from({ length: 6 }, (_, i) => scheduler.retrieve(doubleKind(), i + 1).catch(() => {}));
    await flush();
    assert.deepEqual(s.sent[0]?.items, [1, 2, 3]);
    assert.ok(s.sent[0]!.maxCost + 10 <= 3_500);
    scheduler.close();
  });

  it('asks an equal question in flight once; every caller gets the answer', async () => {
    const { source, scheduler } = setup();
    const s = source.add('s');
    const kind = doubleKind();
    const a = scheduler.retrieve(kind, 21);
    const b = scheduler.retrieve(kind, 21);
    await flush();
    assert.equal(s.sent.length, 1);
    assert.deepEqual(s.sent[0]?.items, [21]);
    const c = scheduler.retrieve(kind, 21); // joins while in flight
    await flush();
    assert.equal(s.sent.length, 1);
    s.answer(s.sent[0]!);
    assert.deepEqual(await Promise.all([a, b, c]), [42, 42, 42]);
    assert.equal(scheduler.metrics().kinds.double?.deduplicated, 2);
  });
});

describe('Scheduler: slow, lying and silent servers', () => {
  it('after the soft timeout also asks a second server; the first valid answer wins', async () => {
    const { source, scheduler, timers } = setup({ softTimeout: { factor: 1.5, marginMs: 100, minMs: 300 } });
    const fast = source.add('fast', { rttMs: 10 });
    const other = source.add('other', { rttMs: 60 });
    const p = watch(scheduler.retrieve(doubleKind(), 5));
    await flush();
    assert.equal(fast.sent.length, 1);
    assert.equal(other.sent.length, 0);
    await timers.advance(299);
    assert.equal(other.sent.length, 0, 'not before the soft timeout (300 ms)');
    await timers.advance(1);
    assert.equal(other.sent.length, 1);
    other.answer(other.sent[0]!);
    assert.equal(await p.result, 10);
    fast.answer(fast.sent[0]!); // the late answer changes nothing and costs nothing
    await flush();
    assert.deepEqual(fast.answers, ['valid']);
    assert.equal(fast.connected, true);
    assert.equal(scheduler.metrics().kinds.double?.messages['soft-timeout'], 1);
  });

  it('never returns an invalid answer: scores the liar down and asks another server', async () => {
    const { source, scheduler } = setup();
    const liar = source.add('liar', { rttMs: 1 });
    const honest = source.add('honest', { rttMs: 30 });
    const p = scheduler.retrieve(doubleKind(), 8);
    await flush();
    liar.answer(liar.sent[0]!, [17]);
    await flush();
    assert.deepEqual(liar.answers, ['invalid']);
    assert.ok(liar.score < 1);
    assert.equal(honest.sent.length, 1);
    honest.answer(honest.sent[0]!);
    assert.equal(await p, 16);
    assert.equal(scheduler.metrics().verificationFailures, 1);
  });

  it('a malformed reply (ProtocolError) counts as invalid like a wrong value', async () => {
    const { source, scheduler } = setup();
    const garbler = source.add('garbler', { rttMs: 1 });
    const honest = source.add('honest', { rttMs: 30 });
    const p = scheduler.retrieve(doubleKind(), 3);
    await flush();
    garbler.answer(garbler.sent[0]!, [[new Uint8Array([1])]]);
    await flush();
    assert.deepEqual(garbler.answers, ['invalid']);
    honest.answer(honest.sent[0]!);
    assert.equal(await p, 6);
  });

  it('drops a server after maxInvalidAnswers invalid answers', async () => {
    const { source, scheduler } = setup({ maxInvalidAnswers: 2 });
    const liar = source.add('liar', { rttMs: 1 });
    source.add('honest', { rttMs: 30 });
    for (const n of [1, 2]) {
      void scheduler.retrieve(doubleKind(), n, { server: 'liar' }).catch(() => {});
      await flush();
      liar.answer(liar.open()[0]!, [0]);
      await flush();
    }
    assert.equal(liar.connected, false);
    assert.match(liar.disconnectedWhy ?? '', /2 invalid answers/);
    scheduler.close();
  });

  it('fails with VERIFICATION_FAILED when every capable server answered wrongly', async () => {
    const { source, scheduler } = setup();
    const a = source.add('a', { rttMs: 1 });
    const b = source.add('b', { rttMs: 2 });
    const p = watch(scheduler.retrieve(doubleKind(), 4));
    await flush();
    a.answer(a.sent[0]!, [1]);
    await flush();
    b.answer(b.sent[0]!, [2]);
    await flush();
    await assert.rejects(p.result, (e: unknown) => {
      assert.ok(e instanceof VerificationFailedError);
      assert.equal(e.code, 'VERIFICATION_FAILED');
      assert.equal(e.kind, 'double');
      assert.deepEqual([...e.servers].sort(), ['a', 'b']);
      return true;
    });
    assert.equal(scheduler.metrics().kinds.double?.items['verification-failed'], 1);
  });

  it('asks again for items a valid reply left unanswered', async () => {
    const { source, scheduler } = setup();
    const s = source.add('s');
    const all = [1, 2, 3].map((n) => scheduler.retrieve(doubleKind(), n));
    await flush();
    s.answer(s.sent[0]!, [2]); // only the first
    await flush();
    assert.deepEqual(s.sent[1]?.items, [2, 3]);
    s.answer(s.sent[1]!);
    assert.deepEqual(await Promise.all(all), [2, 4, 6]);
    assert.equal(scheduler.metrics().kinds.double?.unanswered, 2);
    assert.deepEqual(s.answers, ['valid', 'valid']);
  });

  it('an item every server keeps leaving unanswered fails with NO_SERVER, not a loop', async () => {
    const { source, scheduler, timers } = setup({ maxDeclines: 2, noServerTimeoutMs: 1_000 });
    const s = source.add('s');
    const p = watch(scheduler.retrieve(doubleKind(), 9));
    for (let i = 0; i < 2; i++) {
      await flush();
      s.answer(s.open()[0]!, []);
    }
    await timers.advance(1_000);
    assert.equal(s.sent.length, 2);
    await assert.rejects(p.result, (e: unknown) => e instanceof NoServerError && e.code === 'NO_SERVER');
  });

  it('a hard timeout drops the server and the item goes to another', async () => {
    const { source, scheduler, timers } = setup({ hardTimeoutMs: 2_000, softTimeout: { minMs: 5_000 } });
    const silent = source.add('silent', { rttMs: 1 });
    const other = source.add('other', { rttMs: 50 });
    const p = scheduler.retrieve(doubleKind(), 6);
    await flush();
    assert.equal(other.sent.length, 0);
    await timers.advance(2_000);
    assert.equal(silent.connected, false);
    assert.deepEqual(silent.answers, ['timeout']);
    assert.equal(other.sent.length, 1);
    other.answer(other.sent[0]!);
    assert.equal(await p, 12);
  });
});

describe('Scheduler: StopMsg', () => {
  it('re-routes what was in flight at once, sends nothing to the stopped server, and does not punish its silence', async () => {
    const { source, scheduler, timers } = setup({ hardTimeoutMs: 2_000 });
    const a = source.add('a', { rttMs: 1 });
    const b = source.add('b', { rttMs: 50 });
    const all = [1, 2].map((n) => scheduler.retrieve(doubleKind(), n));
    await flush();
    assert.deepEqual(a.sent[0]?.items, [1, 2]);
    a.stop();
    await flush();
    assert.deepEqual(b.sent[0]?.items, [1, 2], 're-routed without waiting for any timeout');
    const more = scheduler.retrieve(doubleKind(), 3);
    await flush();
    assert.equal(a.sent.length, 1, 'nothing sent between StopMsg and ResumeMsg');
    for (const m of b.open()) b.answer(m);
    assert.deepEqual(await Promise.all([...all, more]), [2, 4, 6]);
    await timers.advance(2_000); // a never answers the written-off request
    assert.equal(a.connected, true);
    assert.deepEqual(a.answers, []);
    assert.equal(scheduler.metrics().kinds.double?.messages.stopped, 1);
    a.resume(a.flow.bl);
    const after = scheduler.retrieve(doubleKind(), 4);
    await flush();
    assert.equal(a.sent.length, 2, 'used again after ResumeMsg');
    a.answer(a.sent[1]!);
    assert.equal(await after, 8);
  });
});

describe('Scheduler: nothing waits forever', () => {
  it('with no server connected an item fails with NoServerError after noServerTimeoutMs', async () => {
    const { scheduler, timers } = setup({ noServerTimeoutMs: 3_000 });
    const p = watch(scheduler.retrieve(doubleKind(), 100));
    await timers.advance(2_999);
    assert.equal(p.settled(), false);
    await timers.advance(1);
    await assert.rejects(p.result, (e: unknown) => {
      assert.ok(e instanceof NoServerError);
      assert.equal(e.code, 'NO_SERVER');
      assert.equal(e.field, 'kind');
      assert.equal(e.kind, 'double');
      return true;
    });
  });

  it('an item outside every connected server’s window (not above a head) fails with NotServedError at once', async () => {
    const { source, scheduler } = setup({ noServerTimeoutMs: 3_000 });
    const s = source.add('s');
    s.head = { ...s.head, number: 100 };
    // Served from block 50 on: block 10 is below the window, and no announce will change that.
    const windowed: OdrKind<number, number> = { ...doubleKind(), canServe: (server, n) => n >= 50 && n <= server.head.number };
    const p = watch(scheduler.retrieve(windowed, 10));
    await flush();
    assert.equal(p.settled(), true, 'settled without waiting for the no-server timeout');
    await assert.rejects(p.result, (e: unknown) => e instanceof NotServedError && e.code === 'NOT_SERVED');
    assert.equal(s.sent.length, 0);
  });

  it('an item above every connected server’s head fails with NotServedError after the wait (servers are there: not a disconnection)', async () => {
    const { source, scheduler, timers } = setup({ noServerTimeoutMs: 3_000 });
    const s = source.add('s');
    s.head = { ...s.head, number: 5 };
    const p = watch(scheduler.retrieve(doubleKind(), 100));
    await timers.advance(2_999);
    assert.equal(p.settled(), false);
    await timers.advance(1);
    await assert.rejects(p.result, (e: unknown) => {
      assert.ok(e instanceof NotServedError);
      assert.equal(e.code, 'NOT_SERVED');
      assert.equal(e.kind, 'double');
      return true;
    });
    assert.equal(s.sent.length, 0);
  });

  it('a server that connects in time answers the waiting item', async () => {
    const { source, scheduler, timers } = setup({ noServerTimeoutMs: 3_000 });
    const p = scheduler.retrieve(doubleKind(), 1);
    await timers.advance(2_000);
    const late = source.add('late');
    await flush();
    late.answer(late.sent[0]!);
    assert.equal(await p, 2);
  });

  it("the caller's own timeout and abort signal end its wait with typed errors", async () => {
    const { source, scheduler, timers } = setup();
    const s = source.add('s');
    const timed = watch(scheduler.retrieve(doubleKind(), 1, { timeoutMs: 500 }));
    const ctl = new AbortController();
    const aborted = watch(scheduler.retrieve(doubleKind(), 2, { signal: ctl.signal }));
    await flush();
    ctl.abort();
    await assert.rejects(aborted.result, (e: unknown) => e instanceof RetrieveAbortedError && e.code === 'ABORTED');
    await timers.advance(500);
    await assert.rejects(timed.result, (e: unknown) => e instanceof RetrieveTimeoutError && e.code === 'TIMEOUT' && e.attempts === 1);
    assert.equal(s.sent.length, 1);
    scheduler.close();
  });

  it('an encoder that throws fails the callers with its error and does not score the server', async () => {
    const { source, scheduler } = setup();
    const s = source.add('s');
    const kind = { ...doubleKind(), encode: () => { throw new RangeError('bad item'); } };
    await assert.rejects(scheduler.retrieve(kind, 1), RangeError);
    assert.deepEqual(s.answers, []);
  });
});

describe('Scheduler: queues behind a busy server', () => {
  it('items that would queue behind a busy fast server go to a slower idle one', async () => {
    const { source, scheduler } = setup();
    // fast: room for 2 items now, then 1000 cost per item at 10/ms = 100 ms each.
    const fast = source.add('fast', { rttMs: 1, bl: 2_500, mrr: 10 });
    const slow = source.add('slow', { rttMs: 150, bl: 100_000, mrr: 10 });
    const kind = doubleKind(1); // one item per message, so each waits on its own
    const first = [1, 2].map((n) => scheduler.retrieve(kind, n));
    await flush();
    assert.deepEqual(fast.sent.map((m) => m.items), [[1], [2]]);
    for (const m of fast.open()) fast.answer(m, undefined, 500); // arrived: BLE 500, nothing in transit
    await Promise.all(first);
    const all = Array.from({ length: 6 }, (_, i) => scheduler.retrieve(kind, i + 3));
    await flush();
    assert.deepEqual(fast.sent.map((m) => m.items), [[1], [2]]);
    // Item 3 would wait ~100 ms at fast, item 4 ~200 ms: from there the 150 ms round trip wins.
    assert.deepEqual(slow.sent.map((m) => m.items), [[4], [5], [6], [7], [8]]);
    for (const m of slow.open()) slow.answer(m);
    for (const m of fast.open()) fast.answer(m, undefined, 0);
    scheduler.close();
    await Promise.allSettled(all);
  });
});

describe('Scheduler: metrics', () => {
  it('reports per server BLE, score, RTT and messages in flight; per kind outcomes', async () => {
    const { source, scheduler } = setup();
    const s = source.add('s', { rttMs: 33, bl: 50_000, mrr: 10 });
    s.score = 0.75;
    const p = scheduler.retrieve(doubleKind(), 2);
    await flush();
    const during = scheduler.metrics();
    assert.deepEqual(during.servers, [{ id: 's', ble: 49_000, bl: 50_000, mrr: 10, stopped: false, score: 0.75, rttMs: 33, inFlight: 1 }]);
    assert.equal(during.inFlight, 1);
    assert.equal(during.waiting, 0);
    s.answer(s.sent[0]!);
    await p;
    const done = scheduler.metrics();
    assert.equal(done.servers[0]?.inFlight, 0);
    assert.equal(done.kinds.double?.items.ok, 1);
    assert.equal(done.kinds.double?.messages.valid, 1);
  });
});
