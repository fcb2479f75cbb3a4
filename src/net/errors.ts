/**
 * Errors of the net layer. Each names what went wrong (`code`) and, where one input is at fault,
 * that `field`, so callers (scheduler, server, management commands) branch on data.
 */
import { LespError } from '../errors.js';
import { disconnectReasonName } from './disconnect.js';

/** A malformed enode URL or node key; `field` is the part at fault (scheme, nodeId, host, port, ...). */
export class EnodeError extends LespError {
  constructor(field: string, detail: string, code: 'INVALID_ENODE' | 'INVALID_KEY' = 'INVALID_ENODE') {
    super(code, `${field}: ${detail}`, { field });
  }
}

export type HandshakeErrorCode =
  | 'BAD_STATUS'
  | 'VERSION_MISMATCH'
  | 'NETWORK_MISMATCH'
  | 'GENESIS_MISMATCH'
  | 'MISSING_FORKID'
  | 'FORKID_REJECTED'
  | 'NOT_A_SERVER'
  | 'UNEXPECTED_MESSAGE'
  | 'HANDSHAKE_TIMEOUT'
  | 'LOCAL_STATUS';

/**
 * The Status handshake failed; `field` is the Status key at fault where there is one, and
 * `remote` / `local` its two values where they differ (for callers that explain the mismatch).
 */
export class HandshakeError extends LespError {
  readonly remote: unknown;
  readonly local: unknown;

  constructor(code: HandshakeErrorCode, message: string, options: { field?: string; cause?: unknown; remote?: unknown; local?: unknown } = {}) {
    super(code, message, { field: options.field, cause: options.cause });
    this.remote = options.remote;
    this.local = options.local;
  }
}

/** No reply with this reqID arrived in time. */
export class RequestTimeoutError extends LespError {
  readonly reqID: bigint;
  readonly requestCode: number;
  readonly timeoutMs: number;

  constructor(requestCode: number, reqID: bigint, timeoutMs: number) {
    super('REQUEST_TIMEOUT', `no reply to request 0x${requestCode.toString(16)} (reqID ${reqID}) within ${timeoutMs} ms`, {
      field: 'reqID',
    });
    this.reqID = reqID;
    this.requestCode = requestCode;
    this.timeoutMs = timeoutMs;
  }
}

export type CloseInitiator = 'local' | 'remote';

/** The connection closed: every request still pending on it is rejected with this. */
export class PeerClosedError extends LespError {
  /** RLPx disconnect reason, undefined when the socket closed without a Disconnect message. */
  readonly reason: number | undefined;
  readonly initiator: CloseInitiator;

  constructor(reason: number | undefined, initiator: CloseInitiator) {
    super('PEER_CLOSED', `connection closed by the ${initiator} side (${disconnectReasonName(reason)})`);
    this.reason = reason;
    this.initiator = initiator;
  }
}

/** A message larger than MAX_MESSAGE_SIZE was about to be sent. */
export class MessageTooLargeError extends LespError {
  readonly size: number;

  constructor(messageCode: number, size: number, max: number) {
    super('MESSAGE_TOO_LARGE', `message 0x${messageCode.toString(16)} of ${size} bytes exceeds ${max}`, { field: 'payload' });
    this.size = size;
  }
}

export type PeerStateErrorCode = 'NOT_READY' | 'CODE_NOT_ALLOWED' | 'WRONG_ROLE';

/** A call that the peer's state, version or role does not allow (a programming error upstream). */
export class PeerStateError extends LespError {
  constructor(code: PeerStateErrorCode, message: string, field?: string) {
    super(code, message, field === undefined ? {} : { field });
  }
}

/**
 * AUTH_DROPPED: the node at that address closed the connection on our RLPx auth without a byte in
 * reply. The auth is encrypted to the node id we dialed, so this is what a node with another id
 * does (go-ethereum and devp2p alike): the enode names the wrong node for that address.
 * RESOLVE_FAILED: the enode's host name did not resolve (in time).
 */
export type DialErrorCode = 'CONNECT_FAILED' | 'CONNECTION_CLOSED' | 'AUTH_DROPPED' | 'RESOLVE_FAILED' | 'DIAL_TIMEOUT' | 'NODE_CLOSED' | 'ALREADY_CONNECTED';

/** Dialing a node failed before a Status handshake could start. */
export class DialError extends LespError {
  constructor(code: DialErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { field: 'target', cause: options.cause });
  }
}

export type NodeErrorCode = 'NOT_LISTENING' | 'ALREADY_LISTENING' | 'LISTEN_FAILED' | 'NODE_CLOSED' | 'BAD_OPTIONS';

/** A LesNode call its state or options do not allow, or a listen that failed. */
export class NodeError extends LespError {
  constructor(code: NodeErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export type FramingErrorCode =
  | 'FRAME_BEFORE_ACK'
  | 'FRAME_TOO_LARGE'
  | 'FRAME_READ_TIMEOUT'
  | 'NO_PROGRESS'
  | 'UNSUPPORTED_DEVP2P'
  // The pure-JS initiator (rlpx-ecies.ts, rlpx-session.ts):
  | 'BAD_ACK'
  | 'BAD_MAC'
  | 'BAD_HELLO'
  | 'NO_SHARED_CAPABILITY'
  | 'RLPX_HANDSHAKE_TIMEOUT';

/** The remote's RLPx byte stream cannot be framed (or our devp2p is not the one the reader fits); the connection is closed. */
export class FramingError extends LespError {
  constructor(code: FramingErrorCode, message: string) {
    super(code, message, { field: 'frame' });
  }
}

export type CarrierErrorCode = 'WS_NOT_BINARY' | 'WS_MESSAGE_TOO_LARGE' | 'WS_BAD_FRAME' | 'WS_CONNECT_FAILED' | 'WS_CLOSED' | 'NO_WEBSOCKET';

/** The WebSocket under an RLPx session misbehaved or failed (the RLPx layer above never sees the bytes). */
export class CarrierError extends LespError {
  constructor(code: CarrierErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, { field: 'websocket', cause: options.cause });
  }
}
