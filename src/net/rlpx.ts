/**
 * devp2p's RLPx endpoint with what LesNode needs and devp2p does not offer: every socket tracked
 * (to close them all, and to learn when a dial died before the RLPx Hello, which devp2p reports
 * nowhere), the bound address, the Hello's listen port set after binding, and the refill timer
 * unref'd (no discovery here, so it has nothing to refill), and Nagle's algorithm off.
 */
import type { Socket } from 'node:net';
import { Common } from '@ethereumjs/common';
import { RLPx, type Capabilities, type Peer } from '@ethereumjs/devp2p';
import { bytesToHex } from './bytes.js';

export interface LesRlpxOptions {
  capabilities: Capabilities[];
  maxPeers: number;
  clientId: string;
  /** Sockets that have not completed the RLPx handshake (auth, ack, Hello) by then are destroyed. */
  rlpxHandshakeTimeoutMs: number;
  /** Called when the socket to a dialed node closes (after devp2p handled the close). */
  onDialSocketClosed(idHex: string): void;
}

export class LesRlpx extends RLPx {
  readonly sockets = new Set<Socket>();
  /** Outbound sockets by remote node id (hex). */
  readonly outbound = new Map<string, Socket>();
  readonly #onDialSocketClosed: (idHex: string) => void;
  readonly #rlpxHandshakeTimeoutMs: number;
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
    this._refillIntervalId.unref();
    this.events.on('peer:added', (peer: Peer) => this.#helloDone(peer['_socket']));
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
    super._onConnect(socket, peerId);
    this.sockets.add(socket);
    this.#beforeHello.set(socket, setTimeout(() => socket.destroy(), this.#rlpxHandshakeTimeoutMs));
    const idHex = peerId === null ? undefined : bytesToHex(peerId);
    if (idHex !== undefined) this.outbound.set(idHex, socket);
    // Registered after devp2p's own close handling, so a handshaken peer reports its close first.
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.#helloDone(socket);
      if (idHex === undefined) return;
      if (this.outbound.get(idHex) === socket) this.outbound.delete(idHex);
      this.#onDialSocketClosed(idHex);
    });
  }

  /** Destroy every socket whose RLPx handshake has not completed (nobody to say goodbye to). */
  destroyUnhandshaken(): void {
    for (const socket of this.#beforeHello.keys()) socket.destroy();
  }

  #helloDone(socket: Socket): void {
    clearTimeout(this.#beforeHello.get(socket));
    this.#beforeHello.delete(socket);
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
