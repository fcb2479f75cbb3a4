/**
 * A discrete-event simulation of one LES server and many clients, driven by a ManualClock, in
 * the spirit of go-ethereum's "constant total capacity" flow-control test. Only the flow-control
 * arithmetic is real (ServerBufferEstimate on each client, ClientBuffer per client on the
 * server); messages are events with a network delay.
 *
 * Network: each client has its own base delay per direction (2–40 ms) plus a jitter below
 * 0.5 ms, and each direction is FIFO (as on one TCP connection). The jitter stays under the
 * 1 ms safety margin on purpose: a request delayed more than the one sent after it is the case
 * the margin exists for.
 */
import { ClientBuffer, ManualClock, ServerBufferEstimate, bufferLimit, deriveMrcTable, maxCost } from '../../../src/flow/index.js';
import { prng } from '../../helpers/prng.js';

export { prng };

type Job = () => void;

/** Min-heap of events by (time, insertion order). */
class EventQueue {
  private heap: Array<{ t: number; seq: number; job: Job }> = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(t: number, job: Job): void {
    const h = this.heap;
    h.push({ t, seq: this.seq++, job });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { t: number; job: Job } | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a === undefined || b === undefined) return false;
    return a.t < b.t || (a.t === b.t && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i];
    const b = this.heap[j];
    if (a === undefined || b === undefined) return;
    this.heap[i] = b;
    this.heap[j] = a;
  }
}

/** Items per request a server serves (DESIGN §4), by request code. */
const MAX_ITEMS = new Map([[0x02, 192], [0x04, 32], [0x06, 128], [0x0a, 64], [0x0f, 64], [0x11, 64], [0x13, 64], [0x14, 256]]);

export interface SimConfig {
  seed: number;
  clients: number;
  /** C: total capacity, cost units per ms, shared out as the clients' MRRs. */
  totalCapacity: number;
  durationMs: number;
  /** Real cost served is summed over completions in [from, to). */
  window: { from: number; to: number };
  /** One extra client that sends a request of `maxCost` every `intervalMs`, whatever its estimate. */
  misbehaving?: { mrr: number; maxCost: number; intervalMs: number };
}

export interface SimResult {
  mrrs: number[];
  /** Σ MRR of the obeying clients. */
  capacity: number;
  sent: number;
  /** Requests of obeying clients the server refused. */
  obeyingRejected: number;
  misbehavingRejected: number;
  misbehavingAccepted: number;
  /** Arrivals where the client's BLE at send time exceeded the server's BV at arrival. */
  bleAboveBv: number;
  /** Smallest BV at arrival − BLE at send, over obeying clients' requests arriving in the window. */
  minHeadroom: number;
  /** Real cost of obeying clients' requests completed in the window. */
  servedInWindow: number;
  /** Largest BV/BL of any obeying client at the window's start. */
  maxFillAtWindowStart: number;
  /** Largest BV/BL of any obeying client sampled every 100 ms inside the window. */
  maxFillInWindow: number;
  /** Wake-ups at the time waitTime predicted that still could not send. */
  wakeMisses: number;
  events: number;
}

interface Peer {
  est: ServerBufferEstimate;
  server: ClientBuffer;
  reqDelay: number;
  replyDelay: number;
  lastArrive: number;
  lastReply: number;
  next: { cost: number };
  nextID: bigint;
  wakeAt: number;
}

const MRC = deriveMrcTable();

export function runSimulation(cfg: SimConfig): SimResult {
  const rnd = prng(cfg.seed);
  const clock = new ManualClock(0);
  const queue = new EventQueue();
  const at = (t: number, job: Job) => queue.push(t, job);

  // Shares of C: random weights in [1, 4), floored, the remainder to the last client.
  const weights = Array.from({ length: cfg.clients }, () => 1 + 3 * rnd());
  const wsum = weights.reduce((a, b) => a + b, 0);
  const mrrs = weights.map((w) => Math.floor((cfg.totalCapacity * w) / wsum));
  mrrs[mrrs.length - 1] = cfg.totalCapacity - mrrs.slice(0, -1).reduce((a, b) => a + b, 0);

  const r: SimResult = {
    mrrs, capacity: cfg.totalCapacity, sent: 0, obeyingRejected: 0, misbehavingRejected: 0, misbehavingAccepted: 0,
    bleAboveBv: 0, minHeadroom: Infinity, servedInWindow: 0, maxFillAtWindowStart: 0, maxFillInWindow: 0, wakeMisses: 0, events: 0,
  };

  const delay = () => 2 + 38 * rnd();
  const jitter = () => 0.5 * rnd();
  // FIFO per direction: a message never overtakes the one sent before it.
  const arriveTime = (p: Peer) => (p.lastArrive = Math.max(p.lastArrive, clock.now() + p.reqDelay + jitter()));
  const replyTime = (p: Peer) => (p.lastReply = Math.max(p.lastReply, clock.now() + p.replyDelay + jitter()));

  /** A random request that fits in a quarter of BL (a request dearer than BL can never be sent). */
  const randomRequest = (bl: number) => {
    const row = MRC[Math.floor(rnd() * MRC.length)] ?? MRC[0];
    if (row === undefined) throw new Error('empty MRC');
    const fit = Math.floor((bl / 4 - row.baseCost) / row.reqCost);
    const items = 1 + Math.floor(rnd() * Math.min(MAX_ITEMS.get(row.code) ?? 1, fit));
    return { cost: maxCost(MRC, row.code, items) };
  };

  const peers: Peer[] = mrrs.map((mrr) => {
    const params = { bl: bufferLimit(mrr), mrr };
    return {
      est: new ServerBufferEstimate(params, clock),
      server: new ClientBuffer(params, clock),
      reqDelay: delay(),
      replyDelay: delay(),
      lastArrive: 0,
      lastReply: 0,
      next: randomRequest(params.bl),
      nextID: 1n,
      wakeAt: -1,
    };
  });

  // Server side of any client: accept, serve for 0–20 ms at a random real cost ≤ maxCost, reply.
  const serve = (p: Peer, id: bigint, cost: number, onReject: () => void, onReply: (bv: number) => void) => {
    const res = p.server.accept(id, cost);
    if (!res.accepted) {
      onReject();
      return;
    }
    const real = Math.floor(rnd() * (cost + 1));
    at(clock.now() + 20 * rnd(), () => {
      const bv = p.server.complete(id, real);
      if (clock.now() >= cfg.window.from && clock.now() < cfg.window.to && onReply !== ignoreReply) r.servedInWindow += real;
      at(replyTime(p), () => onReply(bv));
    });
  };
  const ignoreReply = () => {};

  const trySend = (p: Peer, woken: boolean) => {
    for (;;) {
      const cost = p.next.cost;
      if (!p.est.canSend(cost)) {
        if (woken) r.wakeMisses++;
        const w = p.est.waitTime(cost);
        if (w === Infinity) return;
        const t = clock.now() + w;
        if (p.wakeAt !== t) {
          p.wakeAt = t;
          at(t, () => {
            if (p.wakeAt === t) trySend(p, true);
          });
        }
        return;
      }
      woken = false;
      const id = p.nextID++;
      const bleAtSend = p.est.ble;
      p.est.onSend(id, cost);
      r.sent++;
      p.next = randomRequest(p.est.bl);
      at(arriveTime(p), () => {
        const bvAtArrival = p.server.bv;
        if (clock.now() >= cfg.window.from) r.minHeadroom = Math.min(r.minHeadroom, bvAtArrival - bleAtSend);
        if (bleAtSend > bvAtArrival) r.bleAboveBv++;
        serve(p, id, cost, () => r.obeyingRejected++, (bv) => {
          p.est.onReply(id, bv);
          trySend(p, false);
        });
      });
    }
  };

  for (const p of peers) at(0, () => trySend(p, false));

  // Fill levels: at the window's start, then every 100 ms inside it.
  const fill = () => Math.max(...peers.map((p) => p.server.bv / p.server.bl));
  at(cfg.window.from, () => (r.maxFillAtWindowStart = fill()));
  for (let t = cfg.window.from; t < cfg.window.to; t += 100) at(t, () => (r.maxFillInWindow = Math.max(r.maxFillInWindow, fill())));

  if (cfg.misbehaving) addMisbehaving(cfg.misbehaving);

  /** Sends on a timer, ignores its estimate and StopMsg; the server stops and resumes it. */
  function addMisbehaving(m: NonNullable<SimConfig['misbehaving']>) {
    const params = { bl: bufferLimit(m.mrr), mrr: m.mrr };
    const p: Peer = {
      est: new ServerBufferEstimate(params, clock), server: new ClientBuffer(params, clock),
      reqDelay: delay(), replyDelay: delay(), lastArrive: 0, lastReply: 0, next: { cost: m.maxCost }, nextID: 1n, wakeAt: -1,
    };
    let resumeScheduled = false;
    const send = () => {
      const id = p.nextID++;
      at(arriveTime(p), () =>
        serve(p, id, m.maxCost, () => {
          r.misbehavingRejected++;
          if (resumeScheduled) return;
          resumeScheduled = true;
          // Resume once recharged, and no sooner than a round trip after the StopMsg.
          at(clock.now() + Math.max(p.server.resumeInMs(), p.reqDelay + p.replyDelay + 1), () => {
            resumeScheduled = false;
            p.server.resumeBV();
          });
        }, () => r.misbehavingAccepted++),
      );
      if (clock.now() + m.intervalMs < cfg.durationMs) at(clock.now() + m.intervalMs, send);
    };
    at(0, send);
  }

  for (let e = queue.pop(); e !== undefined && e.t <= cfg.durationMs; e = queue.pop()) {
    clock.set(e.t);
    e.job();
    if (++r.events > 50_000_000) throw new Error('simulation runaway');
  }
  return r;
}
