/**
 * LesNode: one RLPx endpoint with a node key, speaking les/2..les/4 in one role. It listens,
 * dials, runs the Status handshake on every new connection (LesPeer) and announces handshaken
 * peers with a 'peer' event. Attach per-peer listeners inside that event: it fires synchronously
 * when the handshake completes, before any later message of that peer is dispatched.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Peer as Devp2pPeer } from '@ethereumjs/devp2p';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { type LesVersion, SUPPORTED_VERSIONS } from '../wire/codes.js';
import { HANDSHAKE_TIMEOUT_MS } from '../wire/limits.js';
import type { ForkFilter } from '../config/forkid.js';
import type { Status } from '../wire/status.js';
import { bytesToHex } from './bytes.js';
import { DisconnectReason, disconnectReasonName } from './disconnect.js';
import { checkNodeId, formatEnode, nodeIdFromPrivateKey, parseEnode, parseNodeId } from './enode.js';
import { DialError, HandshakeError, NodeError } from './errors.js';
import type { Role } from './handshake.js';
import { LesProtocol, lesCapability, rlpxTransport } from './les-protocol.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, LesPeer } from './peer.js';
import { LesRlpx } from './rlpx.js';
import { RESOLVE_TIMEOUT_MS, resolveHost } from './resolve.js';
import type { LesTransport } from './transport.js';
import { type Carrier, WsListener, connectWs } from './ws-carrier.js';

export const DEFAULT_DIAL_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_PEERS = 25;
/** Limit on the RLPx handshake (auth, ack, Hello) of any socket, inbound or outbound. */
export const RLPX_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long close() lets peers finish the Disconnect exchange before destroying sockets. */
const CLOSE_GRACE_MS = 3_000;

export interface StatusContext {
  version: LesVersion;
  remoteId: Uint8Array;
}

export interface LesNodeOptions {
  role: Role;
  /** Our Status, or a function building it per connection (a server's head moves). */
  status: Status | ((ctx: StatusContext) => Status);
  /** EIP-2124 check of each remote's forkID at our head (config forkFilterFor); none: not checked. */
  forkFilter?: ForkFilter;
  /** 32-byte secp256k1 node key; a fresh one when absent. */
  privateKey?: Uint8Array;
  /** les versions offered; the highest one both sides offer is used. Default 2, 3, 4. */
  versions?: readonly LesVersion[];
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Limit on dial(): TCP connect, RLPx handshake and Status handshake together. */
  dialTimeoutMs?: number;
  /** Limit on the RLPx handshake of every socket (default RLPX_HANDSHAKE_TIMEOUT_MS). */
  rlpxHandshakeTimeoutMs?: number;
  /** Limit on receiving one RLPx packet once begun (default 30 s, as go-ethereum). */
  frameReadTimeoutMs?: number;
  maxPeers?: number;
  clientId?: string;
}

export interface DialTarget {
  /** 64-byte node id, or its 128 hex digits. */
  id: Uint8Array | string;
  host: string;
  port: number;
}

/** A connection that failed outside any dial() (an inbound handshake, a transport error). */
export interface PeerFailure {
  error: Error;
  remoteId?: string;
  host?: string;
  port?: number;
}

export interface LesNodeEvents {
  peer: [peer: LesPeer];
  peerError: [failure: PeerFailure];
}

interface PendingDial {
  resolve(peer: LesPeer): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
  /** host:port as the enode gave it. */
  where: string;
  /** The socket of this dial, once TCP connected. */
  socket?: unknown;
}

export class LesNode extends EventEmitter<LesNodeEvents> {
  /** Our 64-byte node id. */
  readonly id: Uint8Array;
  readonly role: Role;
  readonly versions: readonly LesVersion[];
  readonly #options: LesNodeOptions;
  readonly #rlpx: LesRlpx;
  readonly #peers = new Map<string, LesPeer>();
  readonly #handshaking = new Set<LesPeer>();
  readonly #dials = new Map<string, PendingDial>();
  #host: string | undefined;
  #port: number | undefined;
  #ws: { listener: WsListener; host: string; port: number } | undefined;
  /** The carrier of each peer's session (LesPeer does not carry it). */
  readonly #carriers = new WeakMap<LesPeer, Carrier>();
  #closing: Promise<void> | undefined;

  constructor(options: LesNodeOptions) {
    super();
    const versions = [...new Set(options.versions ?? SUPPORTED_VERSIONS)].sort((a, b) => a - b);
    if (versions.length === 0 || versions.some((v) => !SUPPORTED_VERSIONS.includes(v))) {
      throw new NodeError('BAD_OPTIONS', `versions must be a non-empty subset of ${SUPPORTED_VERSIONS.join(', ')}`, {
        field: 'versions',
      });
    }
    if (options.role !== 'server' && options.role !== 'client') {
      throw new NodeError('BAD_OPTIONS', 'role must be "server" or "client"', { field: 'role' });
    }
    const privateKey = options.privateKey ?? secp256k1.utils.randomPrivateKey();
    this.id = nodeIdFromPrivateKey(privateKey);
    this.role = options.role;
    this.versions = versions;
    this.#options = options;
    this.#rlpx = new LesRlpx(privateKey, {
      capabilities: versions.map(lesCapability),
      maxPeers: options.maxPeers ?? DEFAULT_MAX_PEERS,
      clientId: options.clientId ?? `les-provider/${options.role}`,
      rlpxHandshakeTimeoutMs: options.rlpxHandshakeTimeoutMs ?? RLPX_HANDSHAKE_TIMEOUT_MS,
      frameReadTimeoutMs: options.frameReadTimeoutMs,
      // Deferred past the promise callbacks of a LesPeer on that socket, whose close (with its
      // reason) settles the dial first when the RLPx Hello got that far.
      onDialSocketClosed: (idHex, socket, { silentDrop, remoteReason }) =>
        setImmediate(() => {
          // Only the socket of the dial waiting now: an earlier connection's may close late.
          const dial = this.#dials.get(idHex);
          if (dial === undefined || dial.socket !== socket) return;
          const where = dial.where;
          this.#settleDial(
            idHex,
            silentDrop
              ? new DialError('AUTH_DROPPED', `node id at ${where} is not ${idHex.slice(0, 16)}…: the node there dropped our RLPx auth, which only that node id can read`)
              : remoteReason !== undefined
                ? new DialError('CONNECTION_CLOSED', `refused: ${disconnectReasonName(remoteReason)} (RLPx Disconnect before the LES handshake)`)
                : new DialError('CONNECTION_CLOSED', `connection to ${idHex.slice(0, 16)}… closed before the handshake`),
          );
        }),
    });
    this.#rlpx.events.on('peer:added', (peer: Devp2pPeer) => this.#onRlpxPeer(peer));
    this.#rlpx.events.on('peer:error', (peer: Devp2pPeer, error: Error) => this.#onRlpxError(peer, error));
    // Server socket errors after listen() resolved; without a listener devp2p's emit would throw.
    this.#rlpx.events.on('error', (error: Error) => {
      if (this.#port !== undefined) this.emit('peerError', { error });
    });
  }

  /** The bound TCP port, once listening. */
  get port(): number | undefined {
    return this.#port;
  }

  /** Our enode URL (requires listen()). */
  get enode(): string {
    if (this.#port === undefined || this.#host === undefined) throw new NodeError('NOT_LISTENING', 'listen() first');
    const host = this.#host === '0.0.0.0' ? '127.0.0.1' : this.#host === '::' ? '::1' : this.#host;
    return formatEnode({ id: this.id, host, port: this.#port });
  }

  /** The bound WebSocket port, once listenWs() resolved. */
  get wsPort(): number | undefined {
    return this.#ws?.port;
  }

  /** Our enode URL for the WebSocket listener (`?transport=ws`; requires listenWs()). */
  get wsEnode(): string {
    if (this.#ws === undefined) throw new NodeError('NOT_LISTENING', 'listenWs() first');
    const h = this.#ws.host;
    const host = h === '0.0.0.0' ? '127.0.0.1' : h === '::' ? '::1' : h;
    return formatEnode({ id: this.id, host, port: this.#ws.port, transport: 'ws' });
  }

  /** Whether `peer`'s RLPx session runs over TCP or a WebSocket. */
  carrierOf(peer: LesPeer): Carrier {
    return this.#carriers.get(peer) ?? 'tcp';
  }

  /**
   * Accept RLPx sessions over WebSocket on `host:port` (port 0: a free one), beside the TCP
   * listener: the same node key, peer limit and handshake. Resolves with the bound port.
   */
  async listenWs(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.#closing !== undefined) throw new NodeError('NODE_CLOSED', 'node is closed');
    if (this.#ws !== undefined) throw new NodeError('ALREADY_LISTENING', 'listenWs() was already called');
    const listener = new WsListener(
      (stream) => {
        if (this.#closing !== undefined || !this.#rlpx._isAlive()) stream.destroy();
        else this.#rlpx.acceptStream(stream as unknown as Socket);
      },
      (error) => this.emit('peerError', { error }),
    );
    try {
      const bound = await listener.listen(port, host);
      this.#ws = { listener, host, port: bound };
      return bound;
    } catch (cause) {
      throw new NodeError('LISTEN_FAILED', `cannot listen for WebSocket on ${host}:${port}: ${(cause as Error).message}`, { field: 'wsPort', cause });
    }
  }

  /** Peers whose handshake completed and that are still connected. */
  get peers(): LesPeer[] {
    return [...this.#peers.values()];
  }

  getPeer(id: Uint8Array | string): LesPeer | undefined {
    return this.#peers.get(typeof id === 'string' ? id.replace(/^0x/, '').toLowerCase() : bytesToHex(id));
  }

  /** Bind to `host:port` (port 0: a free one). Resolves with the bound port. */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.#closing !== undefined) return Promise.reject(new NodeError('NODE_CLOSED', 'node is closed'));
    if (this.#host !== undefined) return Promise.reject(new NodeError('ALREADY_LISTENING', 'listen() was already called'));
    this.#host = host;
    return new Promise<number>((resolve, reject) => {
      const onError = (cause: Error): void => {
        this.#rlpx.events.off('listening', onListening);
        this.#host = undefined;
        reject(new NodeError('LISTEN_FAILED', `cannot listen on ${host}:${port}: ${cause.message}`, { field: 'port', cause }));
      };
      const onListening = (): void => {
        this.#rlpx.events.off('error', onError);
        this.#port = this.#rlpx.boundPort();
        if (this.#port !== undefined) this.#rlpx.setListenPort(this.#port);
        resolve(this.#port ?? port);
      };
      this.#rlpx.events.once('error', onError);
      this.#rlpx.events.once('listening', onListening);
      this.#rlpx.listen(port, host);
    });
  }

  /** Connect to a node and complete the Status handshake. */
  dial(target: string | DialTarget): Promise<LesPeer> {
    if (this.#closing !== undefined) return Promise.reject(new DialError('NODE_CLOSED', 'node is closed'));
    let id: Uint8Array;
    let host: string;
    let port: number;
    let transport: 'ws' | 'wss' | undefined;
    try {
      if (typeof target === 'string') ({ id, host, port, transport } = parseEnode(target));
      else {
        id = typeof target.id === 'string' ? parseNodeId(target.id) : target.id;
        checkNodeId(id);
        ({ host, port } = target);
      }
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const key = bytesToHex(id);
    if (this.#peers.has(key) || this.#dials.has(key)) {
      return Promise.reject(new DialError('ALREADY_CONNECTED', `already connected or dialing ${key.slice(0, 16)}…`));
    }
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    return new Promise<LesPeer>((resolve, reject) => {
      const timeoutMs = this.#options.dialTimeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.#settleDial(key, new DialError('DIAL_TIMEOUT', `no handshake with ${where} within ${timeoutMs} ms`));
        for (const p of this.#handshaking) if (p.id === key) p.disconnect(DisconnectReason.Timeout);
        this.#rlpx.outbound.get(key)?.destroy();
      }, timeoutMs);
      const pending: PendingDial = { resolve, reject, timer, where };
      this.#dials.set(key, pending);
      const stillWanted = (): boolean => this.#dials.get(key) === pending;
      resolveHost(host, Math.min(timeoutMs, RESOLVE_TIMEOUT_MS))
        .then(async (address) => {
          // A redial soon after a refused handshake: the last connection's socket lingers a few
          // seconds for its Disconnect to be read, and devp2p refuses a second one meanwhile.
          while (stillWanted() && this.#rlpx.hasConnection(key)) await new Promise((r) => setTimeout(r, 25));
          // Timed out or closed meanwhile: nobody waits for this connection.
          if (!stillWanted()) return;
          if (transport !== undefined) {
            const url = `${transport}://${where}/`;
            const stream = await connectWs(url, timeoutMs).catch((cause: Error) => {
              throw new DialError('CONNECT_FAILED', `cannot connect to ${url}: ${cause.message}`, { cause });
            });
            if (!stillWanted() || this.#closing !== undefined) {
              stream.destroy();
              return;
            }
            this.#rlpx.connectStream(stream as unknown as Socket, id);
            pending.socket = this.#rlpx.outbound.get(key);
            return;
          }
          await this.#rlpx.connect({ id, address, tcpPort: port }).then(
            () => {
              pending.socket = this.#rlpx.outbound.get(key);
            },
            (cause: unknown) => {
              const detail = cause instanceof Error ? cause.message : String(cause);
              this.#settleDial(key, new DialError('CONNECT_FAILED', `cannot connect to ${where}: ${detail}`, { cause }));
            },
          );
        })
        .catch((err: Error) => this.#settleDial(key, err));
    });
  }

  /** Disconnect every peer, stop listening, and wait (briefly) for the sockets to close. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const key of [...this.#dials.keys()]) this.#settleDial(key, new DialError('NODE_CLOSED', 'node closed while dialing'));
    for (const peer of [...this.#handshaking, ...this.#peers.values()]) peer.disconnect(DisconnectReason.ClientQuitting);
    if (this.#rlpx._isAlive()) this.#rlpx.destroy();
    // Resolves once its accepted connections are gone too, so it is awaited last.
    const wsClosed = this.#ws?.listener.close();
    this.#rlpx.destroyUnhandshaken();
    const deadline = Date.now() + CLOSE_GRACE_MS;
    while (this.#rlpx.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    for (const socket of this.#rlpx.sockets) socket.destroy();
    await wsClosed;
  }

  #settleDial(key: string, outcome: Error | LesPeer): boolean {
    const dial = this.#dials.get(key);
    if (dial === undefined) return false;
    this.#dials.delete(key);
    clearTimeout(dial.timer);
    if (outcome instanceof LesPeer) dial.resolve(outcome);
    else dial.reject(outcome);
    return true;
  }

  #onRlpxError(peer: Devp2pPeer, error: Error): void {
    const id = peer.getId();
    const key = id === null ? undefined : bytesToHex(id);
    if (key !== undefined && this.#settleDial(key, new DialError('CONNECTION_CLOSED', `RLPx error: ${error.message}`, { cause: error }))) {
      return;
    }
    this.emit('peerError', key === undefined ? { error } : { error, remoteId: key });
  }

  #onRlpxPeer(devp2pPeer: Devp2pPeer): void {
    if (this.#closing !== undefined) {
      devp2pPeer.disconnect(DisconnectReason.ClientQuitting);
      return;
    }
    const protocol = devp2pPeer.getProtocols().find((p): p is LesProtocol => p instanceof LesProtocol);
    if (protocol === undefined) {
      devp2pPeer.disconnect(DisconnectReason.UselessPeer);
      return;
    }
    const transport: LesTransport = rlpxTransport(devp2pPeer, protocol);
    const key = bytesToHex(transport.remoteId);
    const where = { remoteId: key, host: transport.remoteHost, port: transport.remotePort };
    const fail = (error: Error): void => {
      // A handshake cut short by our own close() is no failure worth reporting.
      if (!this.#settleDial(key, error) && this.#closing === undefined) this.emit('peerError', { error, ...where });
    };
    let status: Status;
    try {
      const option = this.#options.status;
      status = typeof option === 'function' ? option({ version: transport.version, remoteId: transport.remoteId }) : option;
    } catch (cause) {
      transport.disconnect(DisconnectReason.SubprotocolError);
      fail(new HandshakeError('LOCAL_STATUS', `status builder failed: ${(cause as Error).message}`, { cause }));
      return;
    }
    const peer = new LesPeer(transport, {
      role: this.role,
      status,
      forkFilter: this.#options.forkFilter,
      handshakeTimeoutMs: this.#options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
      requestTimeoutMs: this.#options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
    this.#carriers.set(peer, transport.carrier ?? 'tcp');
    this.#handshaking.add(peer);
    peer.once('handshake', () => {
      this.#handshaking.delete(peer);
      this.#peers.set(key, peer);
      peer.once('close', () => {
        if (this.#peers.get(key) === peer) this.#peers.delete(key);
      });
      this.#settleDial(key, peer);
      this.emit('peer', peer);
    });
    peer.start().catch((err: Error) => {
      this.#handshaking.delete(peer);
      fail(err);
    });
  }
}
