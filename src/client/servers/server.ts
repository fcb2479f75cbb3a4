/**
 * One connected LES server as the scheduler sees it (ServerView + SchedulableServer): its
 * capabilities and head (Status, then announces), its flow-control estimate (BLE, booked on every
 * send and corrected by every reply's BV, StopMsg and ResumeMsg), round trip and reliability.
 *
 * Announces: a trusted server's must carry a valid signature by its node key, and every head must
 * be above the last one; an announce that fails either is bad form, scored down, not forwarded.
 */
import { EventEmitter } from 'node:events';
import { type Clock, type MrcTable, systemClock } from '../../flow/index.js';
import { DisconnectReason, type LesPeer, type PeerStats, type ProtocolViolation, RequestTimeoutError } from '../../net/index.js';
import { verifyAnnounceSignature } from '../../verify/announce-signature.js';
import type { Announce } from '../../wire/announce.js';
import type { LesVersion, RequestCode } from '../../wire/codes.js';
import type { ServeCapabilities } from '../contracts.js';
import type { AnswerOutcome, Logger, ReplyLike, SchedulableServer } from '../scheduler/types.js';
import { BadAnnounceError } from './errors.js';
import { ServerBufferEstimate } from '../../flow/index.js';
import { type ServerParams, applyAnnounceUpdates, isHigherHead, paramsFromStatus } from './capabilities.js';
import { Reliability, RttAverage, type ScoreEvent } from './reliability.js';

/** What the pool keeps about a server across its connections. */
export class ServerRecord {
  readonly reliability = new Reliability();
  readonly rtt: RttAverage;
  requests = 0;
  timeouts = 0;
  invalidAnswers = 0;
  badAnnounces = 0;
  stops = 0;
  protocolErrors = 0;
  /** Bytes of connections that have closed (the open one's are in its peer's stats). */
  bytesIn = 0;
  bytesOut = 0;

  constructor(initialRttMs: number) {
    this.rtt = new RttAverage(initialRttMs);
  }

  score(event: ScoreEvent): void {
    this.reliability.record(event);
  }
}

/** The connection under a server, for management (getpeerinfo). */
export interface ServerConnection {
  remoteHost: string;
  remotePort: number;
  /** Our end of the connection, when known. */
  localHost: string | undefined;
  localPort: number | undefined;
  /** The client id of the server's RLPx Hello. */
  clientId: string;
  /** Head number of the server's Status. */
  startingHeight: number;
}

export interface ConnectedServerEvents {
  /** A verified announce (signature checked for trusted servers, head above the last). */
  announce: [announce: Announce];
  /** An announce refused as bad form. */
  badAnnounce: [announce: Announce, reason: Error];
  stop: [];
  /** ResumeMsg, or capabilities/flow parameters changed. */
  change: [];
}

export interface ConnectedServerOptions {
  peer: LesPeer;
  trusted: boolean;
  record: ServerRecord;
  clock?: Clock;
  /** ms since the epoch, for connectedSince. */
  now?: () => number;
  logger: Logger;
}

export class ConnectedServer extends EventEmitter<ConnectedServerEvents> implements SchedulableServer {
  readonly id: string;
  readonly version: LesVersion;
  readonly trusted: boolean;
  readonly flow: ServerBufferEstimate;
  /** ms since the epoch. */
  readonly connectedSince: number;
  readonly #peer: LesPeer;
  readonly #record: ServerRecord;
  readonly #clock: Clock;
  readonly #logger: Logger;
  #params: ServerParams;
  #head: { hash: Uint8Array; number: number; td: bigint };
  #invalidAnswers = 0;
  #disconnectWhy: string | undefined;

  constructor(options: ConnectedServerOptions) {
    super();
    const { peer } = options;
    const remote = peer.remoteStatus;
    if (remote === undefined) throw new TypeError('ConnectedServer needs a handshaken peer');
    this.#peer = peer;
    this.id = peer.id;
    this.version = peer.version;
    this.trusted = options.trusted;
    this.#record = options.record;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.connectedSince = (options.now ?? Date.now)();
    this.#params = paramsFromStatus(remote);
    this.#head = { hash: remote.headHash, number: remote.headNum, td: remote.headTd };
    this.flow = new ServerBufferEstimate({ bl: this.#params.bl, mrr: this.#params.mrr }, this.#clock);
    peer.on('announce', (a) => this.#onAnnounce(a));
    peer.on('stop', () => this.#onStop());
    peer.on('resume', ({ bv }) => {
      this.flow.onResume(bv);
      this.emit('change');
    });
    // A reply after its timeout still tells us the server's buffer.
    peer.on('lateReply', (r) => this.flow.onReply(r.reqID, r.bv));
    peer.on('protocolError', (v) => this.#onProtocolError(v));
  }

  get head(): { hash: Uint8Array; number: number; td: bigint } {
    return this.#head;
  }

  get caps(): ServeCapabilities {
    return this.#params.caps;
  }

  get mrc(): MrcTable {
    return this.#params.mrc;
  }

  get score(): number {
    return this.#record.reliability.value;
  }

  get rttMs(): number {
    return this.#record.rtt.value;
  }

  get connected(): boolean {
    return this.#peer.state === 'open';
  }

  get invalidAnswers(): number {
    return this.#invalidAnswers;
  }

  /** Why we dropped it, if we did (the pool backs off longer). */
  get disconnectReason(): string | undefined {
    return this.#disconnectWhy;
  }

  stats(): PeerStats {
    return this.#peer.stats();
  }

  connection(): ServerConnection {
    const p = this.#peer;
    return {
      remoteHost: p.remoteHost,
      remotePort: p.remotePort,
      localHost: p.localHost,
      localPort: p.localPort,
      clientId: p.remoteClientId,
      startingHeight: p.remoteStatus?.headNum ?? 0,
    };
  }

  request(code: RequestCode, build: (reqID: bigint) => Uint8Array, maxCost: number, timeoutMs: number): Promise<ReplyLike> {
    const sentAt = this.#clock.now();
    const reply = this.#peer.request(
      code,
      (reqID) => {
        const bytes = build(reqID);
        // Booked as it goes out: the estimate must stay below the server's buffer.
        this.flow.onSend(reqID, maxCost);
        this.#record.requests++;
        return bytes;
      },
      { timeoutMs },
    );
    return reply.then(
      (r) => {
        this.flow.onReply(r.reqID, r.bv);
        this.#record.rtt.sample(this.#clock.now() - sentAt);
        return r;
      },
      (err: unknown) => {
        if (err instanceof RequestTimeoutError) this.#record.timeouts++;
        throw err;
      },
    );
  }

  recordAnswer(outcome: AnswerOutcome): void {
    if (outcome === 'invalid') {
      this.#invalidAnswers++;
      this.#record.invalidAnswers++;
    }
    this.#record.score(outcome);
  }

  disconnect(why: string): void {
    if (!this.connected) return;
    this.#disconnectWhy = why;
    this.#logger.warn({ server: this.id.slice(0, 16), why }, 'dropping server');
    this.#peer.disconnect(DisconnectReason.UselessPeer);
  }

  /** Close without blame (removed by the operator, pool closing). */
  close(): void {
    this.#peer.disconnect(DisconnectReason.DisconnectRequested);
  }

  #onAnnounce(a: Announce): void {
    try {
      if (isUpdateOnly(a)) {
        // go-ethereum's update announce (zero head hash): new Status values, no head. It changes
        // only this connection's own parameters, which the RLPx session already authenticates,
        // so it carries no signature and is not a head for the header chain.
        this.#applyUpdates(a);
        this.emit('change');
        return;
      }
      if (this.trusted) verifyAnnounceSignature(a, this.#peer.remoteId);
      if (!isHigherHead({ number: a.headNumber, td: a.headTd }, this.#head)) {
        throw new BadAnnounceError('headTd', `head ${a.headNumber} (td ${a.headTd}) is not above ${this.#head.number} (td ${this.#head.td})`);
      }
      this.#applyUpdates(a);
      this.#head = { hash: a.headHash, number: a.headNumber, td: a.headTd };
      this.emit('announce', a);
      this.emit('change'); // a higher head or new windows may let it serve items waiting for them
    } catch (err) {
      this.#record.badAnnounces++;
      this.#record.score('bad-announce');
      const reason = err instanceof Error ? err : new Error(String(err));
      this.#logger.warn({ server: this.id.slice(0, 16), err: reason.message }, 'announce refused');
      this.emit('badAnnounce', a, reason);
    }
  }

  #applyUpdates(a: Announce): void {
    const next = applyAnnounceUpdates(this.#params, a.updates);
    if (next.bl !== this.#params.bl || next.mrr !== this.#params.mrr) this.flow.setParams({ bl: next.bl, mrr: next.mrr });
    this.#params = next;
  }

  #onStop(): void {
    this.flow.onStop();
    this.#record.stops++;
    this.#record.score('stop');
    this.emit('stop');
  }

  #onProtocolError(v: ProtocolViolation): void {
    this.#record.protocolErrors++;
    // A reply to a request we wrote off at a StopMsg or timed out is no fault of the server's.
    if (v.kind !== 'unknown-reqid') this.#record.score('protocol-error');
  }
}

/** An announce with an all-zero head hash: Status updates only (go-ethereum's capacity update). */
function isUpdateOnly(a: Announce): boolean {
  return a.headHash.every((b) => b === 0);
}
