/**
 * devp2p's RLPx endpoint with what LesNode needs and devp2p does not offer: every socket tracked
 * (to close them all, and to learn when a dial died before the RLPx Hello, which devp2p reports
 * nowhere), the bound address, the Hello's listen port set after binding, and the refill timer
 * unref'd (no discovery here, so it has nothing to refill), Nagle's algorithm off, our RLPx packet
 * reader (rlpx-framing.ts) with this node's limits, and every socket devp2p ends destroyed soon
 * after: devp2p only half-closes, so a dropped peer that never reads nor closes kept its socket,
 * its peer slot and whatever it had buffered for as long as it liked.
 */
import type { Socket } from 'node:net';
import { Common } from '@ethereumjs/common';
import { RLPx, type Capabilities, type Peer } from '@ethereumjs/devp2p';
import { bytesToHex } from './bytes.js';
import { DEFAULT_FRAME_READ_TIMEOUT_MS, MAX_FRAME_SIZE, type FramingLimits, setFramingLimits } from './rlpx-framing.js';

/**
 * How long a socket devp2p ended (2 s after its Disconnect message, or on the remote's) may
 * stay before it is destroyed: time for the FIN exchange of a peer that still reads.
 */
export const END_GRACE_MS = 1_000;

export interface LesRlpxOptions {
  capabilities: Capabilities[];
  maxPeers: number;
  clientId: string;
  /** Sockets that have not completed the RLPx handshake (auth, ack, Hello) by then are destroyed. */
  rlpxHandshakeTimeoutMs: number;
  /** A packet, once begun, must complete within this (default DEFAULT_FRAME_READ_TIMEOUT_MS). */
  frameReadTimeoutMs?: number;
  /**
   * Called when the socket to a dialed node closes (after devp2p handled the close):
   * `silentDrop`, the remote closed it without sending a byte (we did not time it out);
   * `remoteReason`, the RLPx Disconnect reason the remote sent, if it sent one.
   */
  onDialSocketClosed(idHex: string, socket: Socket, how: { silentDrop: boolean; remoteReason: number | undefined }): void;
}

export class LesRlpx extends RLPx {
  readonly sockets = new Set<Socket>();
  /** Outbound sockets by remote node id (hex). */
  readonly outbound = new Map<string, Socket>();
  readonly #onDialSocketClosed: LesRlpxOptions['onDialSocketClosed'];
  /** The Disconnect reason each remote gave, read when its socket closes. */
  readonly #remoteReasons = new WeakMap<Socket, number>();
  readonly #rlpxHandshakeTimeoutMs: number;
  readonly #framing: FramingLimits;
  /** Sockets before their devp2p peer connected: devp2p has no timeout there, and a peer that
   * fails the ECIES exchange leaves its socket open. */
  readonly #beforeHello = new Map<Socket, ReturnType<typeof setTimeout>>();

  constructor(privateKey: Uint8Array, options: LesRlpxOptions) {
    super(privateKey, {
      // devp2p reads only chainId (for its own Status, unused here) and crypto hooks from it.
      common: new Common({ chain: 'mainnet' }),
      capabilities: options.capabilities,
      maxPeers: options.maxPeers,
      clientId: new TextEncoder().encode(options.clientId),
      dpt: null,
      listenPort: null,
    });
    this.#onDialSocketClosed = options.onDialSocketClosed;
    this.#rlpxHandshakeTimeoutMs = options.rlpxHandshakeTimeoutMs;
    this.#framing = { frameReadTimeoutMs: options.frameReadTimeoutMs ?? DEFAULT_FRAME_READ_TIMEOUT_MS, maxFrameSize: MAX_FRAME_SIZE };
    this._refillIntervalId.unref();
    this.events.on('peer:added', (peer: Peer) => this.#helloDone(peer['_socket']));
    // Emitted from the devp2p peer's own socket close handler, before ours below.
    this.events.on('peer:removed', (peer: Peer, reason: number | undefined, byUs: boolean | undefined) => {
      if (byUs !== true && typeof reason === 'number') this.#remoteReasons.set(peer['_socket'], reason);
    });
  }

  override _onConnect(socket: Socket, peerId: Uint8Array | null): void {
    // A dial whose TCP connect completes after destroy(): nobody wants this socket any more.
    if (!this._isAlive()) {
      socket.destroy();
      return;
    }
    // devp2p writes each frame's header and body separately: with Nagle's algorithm the body
    // waits for the peer's delayed ACK (~40 ms per message on Linux).
    socket.setNoDelay(true);
    setFramingLimits(socket, this.#framing);
    destroyAfterEnd(socket);
    super._onConnect(socket, peerId);
    this.sockets.add(socket);
    let expired = false;
    this.#beforeHello.set(
      socket,
      setTimeout(() => {
        expired = true;
        socket.destroy();
      }, this.#rlpxHandshakeTimeoutMs),
    );
    const idHex = peerId === null ? undefined : bytesToHex(peerId);
    if (idHex !== undefined) this.outbound.set(idHex, socket);
    // Registered after devp2p's own close handling, so a handshaken peer reports its close first.
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.#helloDone(socket);
      if (idHex === undefined) return;
      if (this.outbound.get(idHex) === socket) this.outbound.delete(idHex);
      this.#onDialSocketClosed(idHex, socket, { silentDrop: socket.bytesRead === 0 && !expired, remoteReason: this.#remoteReasons.get(socket) });
    });
  }

  /**
   * An inbound connection over another carrier (a WebSocket's byte stream looking like a socket):
   * the same path, limits and timers as a TCP connection devp2p's server accepted.
   */
  acceptStream(stream: Socket): void {
    this._onConnect(stream, null);
  }

  /**
   * An outbound connection to node `id` over another carrier, already open: devp2p's connect()
   * after its TCP connect (the slot and duplicate checks, the peer map entry until it closes).
   */
  connectStream(stream: Socket, id: Uint8Array): void {
    const key = bytesToHex(id);
    if (this._peers.has(key)) throw new Error('Already connected');
    if (this._getOpenSlots() === 0) throw new Error('Too many peers already connected');
    this._peers.set(key, stream);
    stream.once('close', () => this._peers.delete(key));
    this._onConnect(stream, id);
  }

  /** Destroy every socket whose RLPx handshake has not completed (nobody to say goodbye to). */
  destroyUnhandshaken(): void {
    for (const socket of this.#beforeHello.keys()) socket.destroy();
  }

  #helloDone(socket: Socket): void {
    clearTimeout(this.#beforeHello.get(socket));
    this.#beforeHello.delete(socket);
  }

  /** A connection to this node (hex id) is open or still closing: devp2p refuses another until it is gone. */
  hasConnection(idHex: string): boolean {
    return this._peers.has(idHex);
  }

  /** The TCP port the server is bound to, or undefined. */
  boundPort(): number | undefined {
    const addr = this._server?.address();
    return typeof addr === 'object' && addr !== null ? addr.port : undefined;
  }

  /** The port our Hello advertises. */
  setListenPort(port: number): void {
    this._listenPort = port;
  }
}

/** Every end() of `socket` (devp2p's way to close) is followed by destroy() END_GRACE_MS later. */
function destroyAfterEnd(socket: Socket): void {
  const end = socket.end.bind(socket) as (...args: unknown[]) => Socket;
  socket.end = ((...args: unknown[]) => {
    setTimeout(() => socket.destroy(), END_GRACE_MS).unref();
    return end(...args);
  }) as Socket['end'];
}
