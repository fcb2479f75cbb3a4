/**
 * One connected client: its LES peer, its capacity and flow-control buffer, the last head it was
 * announced, and its counters. The management layer reads `info()`.
 */
import type { Clock } from '../../flow/index.js';
import { DisconnectReason, type LesPeer, type PeerStats } from '../../net/index.js';
import { AnnounceType, Code, encodeResumeMsg, encodeStopMsg } from '../../wire/index.js';
import type { ServeHead } from './backend.js';
import { flowParamsFor } from './capacity.js';
import { ClientFlow, type Scheduler } from './client-flow.js';

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
  counters: SessionCounters & { stops: number; resumes: number; dropped: number; breaches: number };
  lastAnnounced: { hash: string; number: number; td: string } | undefined;
  peer: PeerStats;
  remote: { host: string; port: number; clientId: string };
}

export class ClientSession {
  readonly peer: LesPeer;
  readonly id: string;
  readonly version: number;
  readonly announceType: number;
  readonly capacity: number;
  readonly flow: ClientFlow;
  readonly counters: SessionCounters = { requests: 0, served: 0, bad: 0, refusedItems: 0, failed: 0, realCost: 0, announces: 0 };
  /** The last head this client knows from us (the Status head, then each announce). */
  lastAnnounced: AnnouncedHead | undefined;
  #closed = false;

  constructor(peer: LesPeer, capacity: number, options: { clock?: Clock; timers?: Scheduler } = {}) {
    this.peer = peer;
    this.id = peer.id;
    this.version = peer.version;
    this.capacity = capacity;
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
      counters: { ...this.counters, ...this.flow.counters },
      lastAnnounced: last === undefined ? undefined : { hash: hex(last.hash), number: last.number, td: last.td.toString() },
      peer: this.peer.stats(),
      remote: { host: this.peer.remoteHost, port: this.peer.remotePort, clientId: this.peer.remoteClientId },
    };
  }
}
