/**
 * Per-peer traffic counters for the management commands (getpeerinfo, sessions). Bytes are LES
 * payload bytes before compression. `snapshot()` returns a plain object safe to serialise.
 */
import { codeName } from '../wire/codes.js';

export interface MessageTally {
  code: number;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
}

export interface PeerStats {
  /** ms since the epoch. */
  connectedAt: number;
  lastSendAt: number | null;
  lastReceiveAt: number | null;
  messagesIn: number;
  bytesIn: number;
  messagesOut: number;
  bytesOut: number;
  /** Keyed by the LES message name (or 0x.. for codes without one). */
  byMessage: Record<string, MessageTally>;
  protocolErrors: number;
  requestsSent: number;
  repliesMatched: number;
  requestTimeouts: number;
  /** RLPx keepalive messages received (devp2p answers pings itself). */
  pingsIn: number;
  pongsIn: number;
}

export class PeerCounters {
  readonly #now: () => number;
  readonly #stats: PeerStats;
  readonly #byCode = new Map<number, MessageTally>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#stats = {
      connectedAt: now(),
      lastSendAt: null,
      lastReceiveAt: null,
      messagesIn: 0,
      bytesIn: 0,
      messagesOut: 0,
      bytesOut: 0,
      byMessage: {},
      protocolErrors: 0,
      requestsSent: 0,
      repliesMatched: 0,
      requestTimeouts: 0,
      pingsIn: 0,
      pongsIn: 0,
    };
  }

  #tally(code: number): MessageTally {
    let t = this.#byCode.get(code);
    if (t === undefined) {
      t = { code, messagesIn: 0, bytesIn: 0, messagesOut: 0, bytesOut: 0 };
      this.#byCode.set(code, t);
    }
    return t;
  }

  received(code: number, bytes: number): void {
    const t = this.#tally(code);
    t.messagesIn++;
    t.bytesIn += bytes;
    this.#stats.messagesIn++;
    this.#stats.bytesIn += bytes;
    this.#stats.lastReceiveAt = this.#now();
  }

  sent(code: number, bytes: number): void {
    const t = this.#tally(code);
    t.messagesOut++;
    t.bytesOut += bytes;
    this.#stats.messagesOut++;
    this.#stats.bytesOut += bytes;
    this.#stats.lastSendAt = this.#now();
  }

  protocolError(): void {
    this.#stats.protocolErrors++;
  }

  requestSent(): void {
    this.#stats.requestsSent++;
  }

  replyMatched(): void {
    this.#stats.repliesMatched++;
  }

  requestTimedOut(): void {
    this.#stats.requestTimeouts++;
  }

  keepalive(kind: 'ping' | 'pong'): void {
    if (kind === 'ping') this.#stats.pingsIn++;
    else this.#stats.pongsIn++;
  }

  snapshot(): PeerStats {
    const byMessage: Record<string, MessageTally> = {};
    for (const [code, t] of [...this.#byCode].sort((a, b) => a[0] - b[0])) {
      byMessage[codeName.get(code) ?? `0x${code.toString(16)}`] = { ...t };
    }
    return { ...this.#stats, byMessage };
  }
}
