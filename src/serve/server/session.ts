/**
 * One connected client: its LES peer, its capacity and flow-control buffer, the last head it was
 * announced, and its counters. The management layer reads `info()`.
 */
import type { Clock } from '../../flow/index.js';
import { DisconnectReason, type LesPeer, type PeerStats } from '../../net/index.js';
import { AnnounceType, Code, encodeAnnounce, encodeResumeMsg, encodeStopMsg, encodeUint } from '../../wire/index.js';
import type { ServeHead } from './backend.js';
import { flowParamsFor } from './capacity.js';
import { ClientFlow, type Scheduler } from './client-flow.js';

/**
 * A capacity decrease reaches the buffer this long after the client was told (go-ethereum's
 * 2 s), so that the client, which clamps its estimate first, never overruns the smaller buffer.
 */
export const CAPACITY_DECREASE_DELAY_MS = 2000;

const realTimers: Scheduler = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface SessionCounters {
  /** Requests received (of any kind, good or bad). */
  requests: number;
  /** Requests answered. */
  served: number;
  /** Malformed, over a limit, or of a type not served. */
  bad: number;
  /** Items of served requests that could not be answered (unknown blocks, state not servable...). */
  refusedItems: number;
  /** Requests whose serving failed on our side (answered with the fallback). */
  failed: number;
  /** Sum of real costs charged (cost units). */
  realCost: number;
  announces: number;
  /** Transactions relayed (items of served SendTxV2 requests). */
  txs: number;
}

export type AnnouncedHead = Pick<ServeHead, 'hash' | 'number' | 'td'>;

export interface SessionInfo {
  id: string;
  version: number;
  announceType: number;
  capacity: number;
  bl: number;
  mrr: number;
  bv: number;
  stopped: boolean;
  /** Every request is logged (the operator's `log` command). */
  logged: boolean;
  /** Told to disconnect, connection not yet closed. */
  closing: boolean;
  counters: SessionCounters & { stops: number; resumes: number; dropped: number; breaches: number };
  lastAnnounced: { hash: string; number: number; td: string } | undefined;
  peer: PeerStats;
  /** `transport`: what carries the RLPx session (a browser's is a WebSocket). */
  remote: { host: string; port: number; clientId: string; transport: 'tcp' | 'ws' };
}

export class ClientSession {
  readonly peer: LesPeer;
  readonly id: string;
  readonly version: number;
  readonly announceType: number;
  readonly flow: ClientFlow;
  readonly counters: SessionCounters = { requests: 0, served: 0, bad: 0, refusedItems: 0, failed: 0, realCost: 0, announces: 0, txs: 0 };
  /** The last head this client knows from us (the Status head, then each announce). */
  lastAnnounced: AnnouncedHead | undefined;
  /** Log every request of this client (toggled by the operator). */
  logged = false;
  #capacity: number;
  readonly #timers: Scheduler;
  #decrease: unknown;
  #closed = false;

  readonly #transport: 'tcp' | 'ws';

  constructor(peer: LesPeer, capacity: number, options: { clock?: Clock; timers?: Scheduler; transport?: 'tcp' | 'ws' } = {}) {
    this.peer = peer;
    this.#transport = options.transport ?? 'tcp';
    this.id = peer.id;
    this.version = peer.version;
    this.#capacity = capacity;
    this.#timers = options.timers ?? realTimers;
    // The spec's default is simple announces when the client says nothing.
    this.announceType = peer.remoteStatus?.announceType ?? AnnounceType.Simple;
    const local = peer.localStatus;
    if (local !== undefined) this.lastAnnounced = { hash: local.headHash, number: local.headNum, td: local.headTd };
    this.flow = new ClientFlow(flowParamsFor(capacity), peer.version, {
      sendStop: () => this.send(Code.StopMsg, encodeStopMsg()),
      sendResume: (bv) => this.send(Code.ResumeMsg, encodeResumeMsg({ bv })),
      disconnect: () => this.disconnect(DisconnectReason.SubprotocolError),
    }, options);
  }

  get closed(): boolean {
    return this.#closed || this.peer.state === 'closed';
  }

  /** The capacity (MRR) this client was last told. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * A new capacity: the client is told with an Announce carrying only the flowControl/BL and
   * flowControl/MRR updates and a zero head hash (go-ethereum's update announce, which clients
   * read as "no new head"). An increase applies to the buffer at once, a decrease after
   * CAPACITY_DECREASE_DELAY_MS.
   */
  setCapacity(capacity: number): void {
    if (capacity === this.#capacity || this.closed) return;
    const increase = capacity > this.#capacity;
    this.#capacity = capacity;
    const params = flowParamsFor(capacity);
    this.send(Code.Announce, encodeAnnounce({
      headHash: new Uint8Array(32),
      headNumber: 0,
      headTd: 0n,
      reorgDepth: 0,
      updates: [{ key: 'flowControl/BL', value: encodeUint(params.bl) }, { key: 'flowControl/MRR', value: encodeUint(params.mrr) }],
    }));
    if (this.#decrease !== undefined) this.#timers.clear(this.#decrease);
    this.#decrease = undefined;
    if (increase) {
      this.flow.buffer.setParams(params);
      return;
    }
    this.#decrease = this.#timers.set(() => {
      this.#decrease = undefined;
      if (!this.closed && this.#capacity === capacity) this.flow.buffer.setParams(params);
    }, CAPACITY_DECREASE_DELAY_MS);
  }

  /** Sends if still connected; false when the connection is gone. */
  send(code: number, payload: Uint8Array): boolean {
    if (this.closed) return false;
    this.peer.send(code, payload);
    return true;
  }

  disconnect(reason: number): void {
    this.close();
    this.peer.disconnect(reason);
  }

  /** Stops timers; the connection itself is closed by whoever called. */
  close(): void {
    this.#closed = true;
    this.flow.close();
    if (this.#decrease !== undefined) this.#timers.clear(this.#decrease);
    this.#decrease = undefined;
  }

  info(): SessionInfo {
    const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
    const last = this.lastAnnounced;
    return {
      id: this.id,
      version: this.version,
      announceType: this.announceType,
      capacity: this.capacity,
      bl: this.flow.buffer.bl,
      mrr: this.flow.buffer.mrr,
      bv: Math.floor(this.flow.buffer.bv),
      stopped: this.flow.stopped,
      logged: this.logged,
      closing: this.#closed && this.peer.state !== 'closed',
      counters: { ...this.counters, ...this.flow.counters },
      lastAnnounced: last === undefined ? undefined : { hash: hex(last.hash), number: last.number, td: last.td.toString() },
      peer: this.peer.stats(),
      remote: { host: this.peer.remoteHost, port: this.peer.remotePort, clientId: this.peer.remoteClientId, transport: this.#transport },
    };
  }
}
