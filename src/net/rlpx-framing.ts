/**
 * Our RLPx packet reader in place of devp2p 6.1.3's (rlpx/peer.js `_onSocketData`), installed on
 * devp2p's Peer prototype when this module loads, so every RLPx connection of the process reads
 * through it. The library's reader
 *  - spins forever, synchronously, when a listener holds frame bytes before its ack went out: the
 *    frame keys are set up on nextTick, until then the header handler consumes nothing (one auth
 *    message plus 32 bytes in one TCP write froze `lesp serve` for good, SIGTERM included);
 *  - copies the whole buffer on every socket chunk (a 10 MiB frame ~n²/2 bytes copied);
 *  - bounds neither a frame's size nor how long a partial frame may sit in memory;
 *  - hex-encodes every frame body for a debug line, logged or not (a 10 MiB body: a 20 MB string
 *    built byte by byte, seconds of CPU and hundreds of MB of garbage).
 * This one gathers chunks until the next packet is complete, refuses a frame before the frame keys
 * exist, stops on any step that makes no progress and once the peer is closed, bounds the frame
 * size and the time between complete packets, and hands auth, ack and header packets to devp2p's
 * own handlers; bodies it opens itself, as devp2p does minus the debug line, over the library's
 * ECIES. Installed at run time rather than patched
 * into node_modules at install, so it holds wherever this code runs (npm ci, a consumer's install);
 * it refuses to load if devp2p's Peer no longer has the shape it drives.
 */
import type { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { Peer } from '@ethereumjs/devp2p';
import { RLP } from '@ethereumjs/rlp';
import * as snappy from 'snappyjs';
import { DisconnectReason } from './disconnect.js';
import { FramingError } from './errors.js';

import { DEFAULT_FRAME_READ_TIMEOUT_MS, MAX_FRAME_SIZE } from './rlpx-framing-limits.js';

export { DEFAULT_FRAME_READ_TIMEOUT_MS, MAX_FRAME_SIZE };

export interface FramingLimits {
  frameReadTimeoutMs: number;
  maxFrameSize: number;
}

const DEFAULT_LIMITS: FramingLimits = { frameReadTimeoutMs: DEFAULT_FRAME_READ_TIMEOUT_MS, maxFrameSize: MAX_FRAME_SIZE };
const limitsBySocket = new WeakMap<Socket, FramingLimits>();

/** Limits for the Peer about to be created on `socket` (defaults otherwise). */
export function setFramingLimits(socket: Socket, limits: FramingLimits): void {
  limitsBySocket.set(socket, limits);
}

type State = 'Auth' | 'Ack' | 'Header' | 'Body';

/** The devp2p Peer internals this reader drives (rlpx/peer.js, ecies.js). */
interface PeerInternals {
  _state: State;
  _nextPacketSize: number;
  _socketData: Uint8Array;
  _socket: Socket;
  _closed: boolean;
  _eciesSession: { _ingressMac: unknown; _gotEIP8Auth: boolean; _gotEIP8Ack: boolean; parseBody(data: Uint8Array): Uint8Array | undefined };
  _hello: { protocolVersion: number } | null;
  _getProtocol(code: number): { protocol: { _handleMessage?(code: number, payload: unknown): void }; offset: number } | undefined;
  events: EventEmitter;
  disconnect(reason: number): void;
  _handleAuth(): void;
  _handleAck(): void;
  _handleHeader(): void;
  _onSocketData(data: Uint8Array): void;
}

/** RLPx base-protocol codes (devp2p's PREFIXES). */
const HELLO = 0x00;
const DISCONNECT = 0x01;

/**
 * devp2p's Peer._handleBody without its debug line: the MAC-checked, decrypted body's code picks
 * the protocol; the payload is snappy-decompressed after the Hello of RLPx v5, RLP-decoded for the
 * base protocol (a Disconnect tried both ways, as devp2p's hotfix does), and handed over.
 */
function handleBody(peer: PeerInternals): void {
  const size = peer._nextPacketSize;
  const body = peer._eciesSession.parseBody(peer._socketData.subarray(0, size));
  if (body === undefined) return;
  peer._socketData = peer._socketData.subarray(size);
  peer._state = 'Header';
  peer._nextPacketSize = 32;
  // The code is one RLP byte for every code below 0x80; 0x80 is the encoding of 0.
  const code = body[0] === 0x80 ? 0 : (body[0] ?? 0);
  if (code !== HELLO && code !== DISCONNECT && peer._hello === null) return peer.disconnect(DisconnectReason.ProtocolError);
  const target = peer._getProtocol(code);
  if (target === undefined) return peer.disconnect(DisconnectReason.ProtocolError);
  const msgCode = code - target.offset;
  try {
    const raw = body.subarray(1);
    const compressed = peer._hello !== null && peer._hello.protocolVersion >= 5;
    let payload: unknown = compressed ? snappy.uncompress(raw) : raw;
    if ((target.protocol as unknown) === peer) {
      try {
        payload = RLP.decode(payload as Uint8Array);
      } catch (err) {
        // A Disconnect may come compressed or not around the Hello: devp2p tries the other way.
        if (msgCode !== DISCONNECT) throw err;
        payload = RLP.decode(compressed ? raw : snappy.uncompress(raw));
      }
    }
    target.protocol._handleMessage?.(msgCode, payload);
  } catch (err) {
    peer.disconnect(DisconnectReason.SubprotocolError);
    peer.events.emit('error', err);
  }
}

const STEP = {
  Auth: (p: PeerInternals) => p._handleAuth(),
  Ack: (p: PeerInternals) => p._handleAck(),
  Header: (p: PeerInternals) => p._handleHeader(),
  Body: handleBody,
} as const;

interface Reader {
  /** Chunks not yet joined: joined once the next packet is complete. */
  chunks: Uint8Array[];
  pending: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  limits: FramingLimits;
}

const readers = new WeakMap<PeerInternals, Reader>();

function readerOf(peer: PeerInternals): Reader {
  let r = readers.get(peer);
  if (r === undefined) {
    r = { chunks: [], pending: 0, timer: undefined, limits: limitsBySocket.get(peer._socket) ?? DEFAULT_LIMITS };
    readers.set(peer, r);
    const reader = r;
    peer._socket.once('close', () => release(peer, reader));
  }
  return r;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function release(peer: PeerInternals, r: Reader): void {
  clearTimeout(r.timer);
  r.timer = undefined;
  r.chunks = [];
  r.pending = 0;
  peer._socketData = new Uint8Array(0);
}

/** Close on a framing failure: a Disconnect where the frame keys allow one, else the socket. */
function fail(peer: PeerInternals, r: Reader, err: FramingError | Error, reason: number): void {
  if (!peer._closed) peer.disconnect(reason);
  // devp2p sends nothing (and stays open) when the frame keys do not exist yet.
  if (!peer._closed) {
    peer._closed = true;
    peer._socket.destroy();
  }
  release(peer, r);
  peer.events.emit('error', err);
}

function step(peer: PeerInternals, r: Reader): void {
  const state = peer._state;
  if (state === 'Header' && peer._eciesSession._ingressMac === null) {
    // No honest initiator can send this: its frame keys depend on our ack's nonce.
    throw new FramingError('FRAME_BEFORE_ACK', 'RLPx frame bytes arrived before the handshake ack was sent');
  }
  const size = peer._nextPacketSize;
  const buffered = peer._socketData.length;
  const eip8 = peer._eciesSession._gotEIP8Auth || peer._eciesSession._gotEIP8Ack;
  STEP[state](peer);
  if (peer._closed) return;
  if (peer._state === 'Body' && peer._nextPacketSize > r.limits.maxFrameSize) {
    throw new FramingError('FRAME_TOO_LARGE', `RLPx frame of ${peer._nextPacketSize} bytes, over ${r.limits.maxFrameSize}`);
  }
  const eip8After = peer._eciesSession._gotEIP8Auth || peer._eciesSession._gotEIP8Ack;
  if (peer._state === state && peer._nextPacketSize === size && peer._socketData.length === buffered && eip8 === eip8After) {
    throw new FramingError('NO_PROGRESS', `RLPx reader made no progress in state ${state}`);
  }
}

function onSocketData(this: PeerInternals, data: Uint8Array): void {
  if (this._closed) return;
  const r = readerOf(this);
  r.chunks.push(data);
  r.pending += data.length;
  if (this._socketData.length + r.pending >= this._nextPacketSize) {
    this._socketData = concat([this._socketData, ...r.chunks], this._socketData.length + r.pending);
    r.chunks = [];
    r.pending = 0;
    try {
      while (!this._closed && this._socketData.length >= this._nextPacketSize) {
        step(this, r);
        clearTimeout(r.timer);
        r.timer = undefined;
      }
    } catch (err) {
      fail(this, r, err as Error, DisconnectReason.SubprotocolError);
      return;
    }
  }
  if (this._closed) release(this, r);
  else if (this._socketData.length + r.pending > 0 && r.timer === undefined) {
    const ms = r.limits.frameReadTimeoutMs;
    r.timer = setTimeout(() => {
      r.timer = undefined;
      if (this._closed) return;
      const held = this._socketData.length + r.pending;
      fail(this, r, new FramingError('FRAME_READ_TIMEOUT', `no complete RLPx packet within ${ms} ms (${held} bytes held)`), DisconnectReason.Timeout);
    }, ms);
    r.timer.unref();
  }
}

const proto = Peer.prototype as unknown as PeerInternals;
for (const name of ['_onSocketData', '_handleAuth', '_handleAck', '_handleHeader', '_getProtocol', 'disconnect'] as const) {
  if (typeof proto[name] !== 'function') {
    throw new FramingError('UNSUPPORTED_DEVP2P', `@ethereumjs/devp2p's Peer has no ${name}(): the RLPx reader in src/net/rlpx-framing.ts does not fit this version`);
  }
}
// The constructor binds this._onSocketData as the socket's 'data' listener: every Peer created
// after this line reads through ours.
proto._onSocketData = onSocketData;
