/**
 * One LES connection in either role: the Status handshake, reqID-matched requests and replies,
 * and the routing of announces, StopMsg/ResumeMsg and incoming requests to events. It works on
 * raw payload bytes over a LesTransport and knows no payload codec beyond the envelopes.
 *
 * Misbehaviour of the remote (malformed envelope, unknown reqID, reply with the wrong code,
 * message not meant for our role) is counted and reported with a 'protocolError' event. A reply's
 * reqID is read before anything else: one no request waits for is dropped undecoded. In the client
 * role the peer also disconnects a server that misbehaves: at its first undecodable message (as
 * go-ethereum does) or past `violationLimit` other violations; scoring stays with the layer above.
 * The serving role leaves that policy to the server's dispatcher. An oversized message ends the
 * connection.
 */
import { EventEmitter } from 'node:events';
import { type Announce, decodeAnnounce } from '../wire/announce.js';
import { Code, MESSAGE_SPACE, REPLY_CODES, type LesVersion, type RequestCode, isRequestCode, minVersion } from '../wire/codes.js';
import { ProtocolError } from '../wire/errors.js';
import { HANDSHAKE_TIMEOUT_MS, MAX_MESSAGE_SIZE } from '../wire/limits.js';
import { type ResumeMsg, decodeResumeMsg, decodeStopMsg } from '../wire/stop-resume.js';
import { type Status, decodeStatus, encodeStatus } from '../wire/status.js';
import { bytesToHex } from './bytes.js';
import { type PeerStats, PeerCounters } from './counters.js';
import { DisconnectReason, disconnectReasonName } from './disconnect.js';
import { type IncomingRequest, type Reply, type ReplyHead, readReply, readReplyHead, readRequest } from './envelope.js';
import {
  type CloseInitiator,
  HandshakeError,
  MessageTooLargeError,
  PeerClosedError,
  PeerStateError,
} from './errors.js';
import type { ForkFilter } from '../config/forkid.js';
import { type Role, checkRemoteStatus, localStatusFor } from './handshake.js';
import { RequestTable } from './request-table.js';
import type { LesTransport } from './transport.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * Violations other than an undecodable message (unknown reqID, wrong reply code, a message not
 * for our role) a client tolerates from one connection; the next one disconnects it. Small, but
 * not 0: a reply to a request that timed out is recognised as late only while its reqID is
 * remembered (the last 256), and a slow server's reply after that is no lie.
 */
export const CLIENT_VIOLATION_LIMIT = 3;

export interface LesPeerOptions {
  role: Role;
  /** Our Status for this connection; its protocolVersion is set to the agreed version. */
  status: Status;
  /** EIP-2124 check of the remote forkID (config forkFilterFor); none: the forkID is only required on les/4. */
  forkFilter?: ForkFilter;
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  now?: () => number;
  /**
   * Violations tolerated before disconnecting (SubprotocolError); an undecodable message
   * disconnects at once. Default: CLIENT_VIOLATION_LIMIT in the client role; in the serving role
   * no limit here (null), the dispatcher charges and drops bad clients itself.
   */
  violationLimit?: number | null;
}

/** A reply to a request that already timed out: only its head is read (the BV still counts). */
export interface LateReply extends ReplyHead {
  bv: number;
}

export type ViolationKind = 'malformed' | 'unknown-reqid' | 'wrong-reply-code' | 'unexpected-message' | 'too-large';

export interface ProtocolViolation {
  kind: ViolationKind;
  /** The LES message code concerned. */
  code: number;
  detail: string;
  reqID?: bigint;
  error?: unknown;
}

export interface PeerCloseInfo {
  reason: number | undefined;
  reasonName: string;
  initiator: CloseInitiator;
  /** Why the handshake failed, when it did. */
  error?: Error;
  /** The violation that made us disconnect, when one did. */
  violation?: ProtocolViolation;
}

export interface LesPeerEvents {
  handshake: [remote: Status];
  request: [request: IncomingRequest];
  announce: [announce: Announce];
  stop: [];
  resume: [resume: ResumeMsg];
  /** A message no other event carries (les/1 codes). */
  message: [code: number, payload: Uint8Array];
  /** A reply to a request that already timed out. */
  lateReply: [reply: LateReply];
  protocolError: [violation: ProtocolViolation];
  close: [info: PeerCloseInfo];
}

export type PeerState = 'new' | 'handshaking' | 'open' | 'closed';

export class LesPeer extends EventEmitter<LesPeerEvents> {
  readonly role: Role;
  readonly version: LesVersion;
  readonly remoteId: Uint8Array;
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly remoteClientId: string;
  /** Our end of the connection, when the transport knows it. */
  readonly localHost: string | undefined;
  readonly localPort: number | undefined;

  readonly #transport: LesTransport;
  readonly #statusOption: Status;
  readonly #forkFilter: ForkFilter | undefined;
  readonly #handshakeTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #counters: PeerCounters;
  readonly #table: RequestTable;
  #state: PeerState = 'new';
  #localStatus: Status | undefined;
  #remoteStatus: Status | undefined;
  #handshake: Promise<Status> | undefined;
  #settleHandshake: { resolve(s: Status): void; reject(e: Error): void } | undefined;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;
  #handshakeError: Error | undefined;
  #closed: PeerClosedError | undefined;
  readonly #violationLimit: number | null;
  #violations = 0;
  #closingViolation: ProtocolViolation | undefined;

  constructor(transport: LesTransport, options: LesPeerOptions) {
    super();
    this.#transport = transport;
    this.role = options.role;
    this.version = transport.version;
    this.remoteId = transport.remoteId;
    this.remoteHost = transport.remoteHost;
    this.remotePort = transport.remotePort;
    this.localHost = transport.localHost;
    this.localPort = transport.localPort;
    this.remoteClientId = transport.remoteClientId;
    this.#statusOption = options.status;
    this.#forkFilter = options.forkFilter;
    this.#handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#counters = new PeerCounters(options.now);
    this.#table = new RequestTable({ onTimeout: () => this.#counters.requestTimedOut() });
    this.#violationLimit = options.violationLimit !== undefined ? options.violationLimit : this.role === 'client' ? CLIENT_VIOLATION_LIMIT : null;
  }

  get state(): PeerState {
    return this.#state;
  }

  /** The remote node id as 128 hex digits. */
  get id(): string {
    return bytesToHex(this.remoteId);
  }

  /** The remote Status, once the handshake has completed. */
  get remoteStatus(): Status | undefined {
    return this.#remoteStatus;
  }

  /** The Status we sent. */
  get localStatus(): Status | undefined {
    return this.#localStatus;
  }

  get pendingRequests(): number {
    return this.#table.size;
  }

  stats(): PeerStats {
    return this.#counters.snapshot();
  }

  /**
   * Send our Status and wait for theirs. Resolves with the remote Status; rejects with a
   * HandshakeError (after disconnecting with a reason) or a PeerClosedError. Idempotent.
   */
  start(): Promise<Status> {
    if (this.#handshake !== undefined) return this.#handshake;
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    this.#handshake = new Promise<Status>((resolve, reject) => {
      this.#settleHandshake = { resolve, reject };
    });
    this.#state = 'handshaking';
    this.#handshakeTimer = setTimeout(
      () =>
        this.#failHandshake(
          new HandshakeError('HANDSHAKE_TIMEOUT', `no Status within ${this.#handshakeTimeoutMs} ms`),
          DisconnectReason.Timeout,
        ),
      this.#handshakeTimeoutMs,
    );
    try {
      this.#localStatus = localStatusFor(this.#statusOption, this.version, this.role);
      this.#sendRaw(Code.Status, encodeStatus(this.#localStatus));
    } catch (cause) {
      const err =
        cause instanceof HandshakeError
          ? cause
          : new HandshakeError('LOCAL_STATUS', `cannot send our Status: ${(cause as Error).message}`, { cause });
      this.#failHandshake(err, DisconnectReason.SubprotocolError);
      return this.#handshake;
    }
    this.#transport.attach({
      message: (code, payload) => this.#onMessage(code, payload),
      close: (reason, byUs) => {
        if (this.#state !== 'closed') this.#close(reason, byUs ? 'local' : 'remote');
      },
      keepalive: (kind) => this.#counters.keepalive(kind),
      oversized: (code, size) =>
        this.#violation({ kind: 'too-large', code, detail: `declares ${size} bytes, over ${MAX_MESSAGE_SIZE}; refused before decompression` }),
      peekReply: (code, head, total) => this.#peekReply(code, head, total),
    });
    return this.#handshake;
  }

  /**
   * Send request `code` built by `build(reqID)` (the full `[reqID, data]` RLP) and resolve with
   * the reply carrying that reqID. Rejects with RequestTimeoutError, PeerClosedError,
   * MessageTooLargeError or PeerStateError.
   */
  request(code: RequestCode, build: (reqID: bigint) => Uint8Array, options: { timeoutMs?: number } = {}): Promise<Reply> {
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    if (this.#state !== 'open') return Promise.reject(new PeerStateError('NOT_READY', 'handshake not complete'));
    if (!isRequestCode(code)) {
      return Promise.reject(new PeerStateError('CODE_NOT_ALLOWED', `0x${Number(code).toString(16)} is not a request`, 'code'));
    }
    const reqID = this.#table.nextReqID();
    let payload: Uint8Array;
    try {
      payload = build(reqID);
      this.#checkSendable(code, payload);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const reply = this.#table.wait(reqID, code, options.timeoutMs ?? this.#requestTimeoutMs);
    try {
      this.#sendRaw(code, payload);
      this.#counters.requestSent();
    } catch (err) {
      this.#table.cancel(reqID, err instanceof Error ? err : new Error(String(err)));
    }
    return reply;
  }

  /** Serving role: send a reply `[reqID, BV, data]` already encoded. */
  reply(code: number, payload: Uint8Array): void {
    if (this.role !== 'server') throw new PeerStateError('WRONG_ROLE', 'only the serving role sends replies');
    if (!REPLY_CODES.has(code)) throw new PeerStateError('CODE_NOT_ALLOWED', `0x${code.toString(16)} is not a reply`, 'code');
    this.send(code, payload);
  }

  /** Send any LES message but Status (announces, StopMsg, ResumeMsg, replies). */
  send(code: number, payload: Uint8Array): void {
    if (this.#closed !== undefined) throw this.#closed;
    if (this.#state !== 'open') throw new PeerStateError('NOT_READY', 'handshake not complete');
    if (code === Code.Status) throw new PeerStateError('CODE_NOT_ALLOWED', 'Status is sent by the handshake', 'code');
    this.#checkSendable(code, payload);
    this.#sendRaw(code, payload);
  }

  disconnect(reason: number = DisconnectReason.DisconnectRequested): void {
    if (this.#state === 'closed') return;
    this.#transport.disconnect(reason);
    this.#close(reason, 'local');
  }

  #checkSendable(code: number, payload: Uint8Array): void {
    if (!Number.isInteger(code) || code < 0 || code >= MESSAGE_SPACE[this.version] || minVersion(code) > this.version) {
      throw new PeerStateError('CODE_NOT_ALLOWED', `0x${code.toString(16)} is not in the les/${this.version} space`, 'code');
    }
    if (payload.length > MAX_MESSAGE_SIZE) throw new MessageTooLargeError(code, payload.length, MAX_MESSAGE_SIZE);
  }

  #sendRaw(code: number, payload: Uint8Array): void {
    this.#transport.send(code, payload);
    this.#counters.sent(code, payload.length);
  }

  #onMessage(code: number, payload: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#counters.received(code, payload.length);
    if (payload.length > MAX_MESSAGE_SIZE) {
      this.#violation({ kind: 'too-large', code, detail: `${payload.length} bytes exceeds ${MAX_MESSAGE_SIZE}` });
      this.disconnect(DisconnectReason.SubprotocolError);
      return;
    }
    if (this.#state === 'handshaking') this.#onHandshakeMessage(code, payload);
    else this.#route(code, payload);
  }

  #onHandshakeMessage(code: number, payload: Uint8Array): void {
    if (code !== Code.Status) {
      const err = new HandshakeError('UNEXPECTED_MESSAGE', `message 0x${code.toString(16)} before Status`);
      this.#failHandshake(err, DisconnectReason.ProtocolError);
      return;
    }
    let remote: Status;
    try {
      remote = decodeStatus(payload);
    } catch (cause) {
      const field = cause instanceof ProtocolError ? cause.field : undefined;
      const err = new HandshakeError('BAD_STATUS', `malformed remote Status: ${(cause as Error).message}`, { field, cause });
      this.#failHandshake(err, DisconnectReason.SubprotocolError);
      return;
    }
    try {
      checkRemoteStatus(this.#localStatus as Status, remote, this.version, this.role, this.#forkFilter);
    } catch (err) {
      this.#failHandshake(err as Error, DisconnectReason.UselessPeer);
      return;
    }
    clearTimeout(this.#handshakeTimer);
    this.#remoteStatus = remote;
    this.#state = 'open';
    this.#settleHandshake?.resolve(remote);
    this.emit('handshake', remote);
  }

  #route(code: number, payload: Uint8Array): void {
    if (code === Code.Status) {
      this.#violation({ kind: 'unexpected-message', code, detail: 'Status after the handshake' });
    } else if (REPLY_CODES.has(code)) {
      this.#onReply(code, payload);
    } else if (isRequestCode(code)) {
      const request = this.#decode(code, this.role === 'server', () => readRequest(code, payload));
      if (request !== undefined) this.emit('request', request);
    } else if (code === Code.Announce) {
      const announce = this.#decode(code, this.role === 'client', () => decodeAnnounce(payload));
      if (announce !== undefined) this.emit('announce', announce);
    } else if (code === Code.StopMsg) {
      if (this.#decode(code, this.role === 'client', () => (decodeStopMsg(payload), true))) this.emit('stop');
    } else if (code === Code.ResumeMsg) {
      const resume = this.#decode(code, this.role === 'client', () => decodeResumeMsg(payload));
      if (resume !== undefined) this.emit('resume', resume);
    } else {
      this.emit('message', code, payload);
    }
  }

  /** Decode a message our role accepts; report and return undefined otherwise. */
  #decode<T>(code: number, forOurRole: boolean, decode: () => T): T | undefined {
    if (!forOurRole) {
      this.#violation({ kind: 'unexpected-message', code, detail: `not expected by a ${this.role}` });
      return undefined;
    }
    try {
      return decode();
    } catch (error) {
      this.#violation({ kind: 'malformed', code, detail: (error as Error).message, error });
      return undefined;
    }
  }

  /**
   * The reqID decides before the rest is decoded: only a reply a request waits for is decoded
   * whole; a late one is read to its BV; anything else costs a look at its first bytes.
   */
  #onReply(code: number, payload: Uint8Array): void {
    const head = this.#decode(code, true, () => readReplyHead(code, payload));
    if (head === undefined) return;
    const outcome = this.#table.classify(head.reqID, code);
    if (outcome === 'unknown' || outcome === 'wrong-code') {
      this.#unanswerable(code, head.reqID, outcome);
      return;
    }
    if (outcome === 'late') {
      this.#table.forgetLate(head.reqID);
      if (head.bv === undefined) this.#violation({ kind: 'malformed', code, reqID: head.reqID, detail: 'reply without a BV' });
      else this.emit('lateReply', { ...head, bv: head.bv });
      return;
    }
    const reply = this.#decode(code, true, () => readReply(code, payload));
    if (reply === undefined) return;
    this.#table.deliver(reply);
    this.#counters.replyMatched();
  }

  /**
   * The transport's look at a compressed reply's first bytes (`total` = its decompressed length):
   * true drops it undecompressed, as a violation. Anything it cannot tell goes the full way.
   */
  #peekReply(code: number, head: Uint8Array, total: number): boolean {
    if (this.#state !== 'open') return false;
    let h: ReplyHead;
    try {
      h = readReplyHead(code, head, total);
    } catch {
      return false;
    }
    const outcome = this.#table.classify(h.reqID, code);
    if (outcome !== 'unknown' && outcome !== 'wrong-code') return false;
    this.#counters.received(code, total);
    this.#unanswerable(code, h.reqID, outcome);
    return true;
  }

  #unanswerable(code: number, reqID: bigint, outcome: 'unknown' | 'wrong-code'): void {
    if (outcome === 'wrong-code') {
      this.#violation({ kind: 'wrong-reply-code', code, reqID, detail: `reply 0x${code.toString(16)} does not answer that request` });
    } else {
      this.#violation({ kind: 'unknown-reqid', code, reqID, detail: `no request with reqID ${reqID}` });
    }
  }

  #violation(v: ProtocolViolation): void {
    this.#counters.protocolError();
    this.emit('protocolError', v);
    // 'too-large' closes the connection where it is found.
    if (this.#violationLimit === null || this.#state === 'closed' || v.kind === 'too-large') return;
    if (v.kind === 'malformed' || ++this.#violations > this.#violationLimit) {
      this.#closingViolation = v;
      this.disconnect(DisconnectReason.SubprotocolError);
    }
  }

  #failHandshake(err: Error, reason: number): void {
    if (this.#state === 'closed') return;
    this.#handshakeError = err;
    this.disconnect(reason);
  }

  #close(reason: number | undefined, initiator: CloseInitiator): void {
    this.#state = 'closed';
    clearTimeout(this.#handshakeTimer);
    this.#closed = new PeerClosedError(reason, initiator);
    this.#table.rejectAll(this.#closed);
    if (this.#remoteStatus === undefined) this.#settleHandshake?.reject(this.#handshakeError ?? this.#closed);
    const info: PeerCloseInfo = { reason, reasonName: disconnectReasonName(reason), initiator };
    if (this.#handshakeError !== undefined) info.error = this.#handshakeError;
    if (this.#closingViolation !== undefined) info.violation = this.#closingViolation;
    this.emit('close', info);
  }
}
