/**
 * RLPx over WebSocket, Node side: a WebSocket made to look like the net.Socket devp2p's Peer
 * reads and writes (a Duplex of the binary messages' bytes, with the socket's addresses), and a
 * listener that hands each accepted WebSocket to the same RLPx endpoint as a TCP socket. The RLPx
 * handshake (ECIES auth/ack under the server's node key) and framing run unchanged over the
 * stream, so a WebSocket peer is authenticated and encrypted as a TCP one, and everything above
 * (Hello, Status, flow control, peer limits) is the same code. Message boundaries carry no meaning:
 * the RLPx reader gathers bytes across them as across TCP segments.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { MAX_FRAME_SIZE } from './rlpx-framing.js';
import { CarrierError } from './errors.js';

/**
 * The largest WebSocket message accepted: one RLPx frame with its 32-byte header, with room to
 * spare. A sender may split packets across messages freely; it may not send more at once.
 */
export const MAX_WS_MESSAGE = MAX_FRAME_SIZE + 64;
/** Limit on the HTTP upgrade request (headers) before the WebSocket exists. */
export const WS_UPGRADE_TIMEOUT_MS = 10_000;

export type Carrier = 'tcp' | 'ws';

interface Endpoints {
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/** Map ws's own protocol errors (RFC 6455 violations, sizes) onto ours. */
function carrierError(err: Error & { code?: string }): CarrierError {
  if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return new CarrierError('WS_MESSAGE_TOO_LARGE', `WebSocket message over ${MAX_WS_MESSAGE} bytes`, { cause: err });
  if (err.code?.startsWith('WS_ERR_') === true) return new CarrierError('WS_BAD_FRAME', `malformed WebSocket frame: ${err.message}`, { cause: err });
  return new CarrierError('WS_CLOSED', `WebSocket failed: ${err.message}`, { cause: err });
}

/**
 * The byte stream of one WebSocket, with what devp2p and LesRlpx read from a net.Socket. A text
 * message is refused (WS_NOT_BINARY): RLPx is bytes, and a browser sending text is not ours.
 */
export class WsByteStream extends Duplex {
  readonly carrier: Carrier = 'ws';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  bytesRead = 0;
  readonly #ws: WebSocket;

  constructor(ws: WebSocket, endpoints: Endpoints) {
    super();
    this.#ws = ws;
    ({ remoteAddress: this.remoteAddress, remotePort: this.remotePort, localAddress: this.localAddress, localPort: this.localPort } = endpoints);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.destroyed) return;
      if (!isBinary) {
        this.destroy(new CarrierError('WS_NOT_BINARY', `a text WebSocket message (${data.length} bytes) where RLPx bytes belong`));
        return;
      }
      this.bytesRead += data.length;
      if (!this.push(data)) ws.pause();
    });
    ws.on('error', (err) => this.destroy(carrierError(err)));
    ws.on('close', () => {
      this.push(null);
      this.destroy();
    });
  }

  /** TCP_NODELAY is ws's business (it sets it on its socket); here for devp2p's caller. */
  setNoDelay(): this {
    return this;
  }

  override _read(): void {
    if (this.#ws.isPaused) this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== WebSocket.OPEN) {
      callback(new CarrierError('WS_CLOSED', 'write on a closed WebSocket'));
      return;
    }
    this.#ws.send(chunk, { binary: true }, (err) => callback(err === undefined || err === null ? null : carrierError(err)));
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(1000);
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#ws.readyState !== WebSocket.CLOSED) this.#ws.terminate();
    callback(err);
  }
}

/** A WebSocket listener handing each connection's byte stream to `accept` (the RLPx endpoint). */
export class WsListener {
  readonly #http: Server;
  readonly #wss: WebSocketServer;

  constructor(accept: (stream: WsByteStream) => void, onError: (err: Error) => void) {
    this.#http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
      res.end('LES over WebSocket: upgrade required\n');
    });
    this.#http.headersTimeout = WS_UPGRADE_TIMEOUT_MS;
    this.#http.requestTimeout = WS_UPGRADE_TIMEOUT_MS;
    this.#wss = new WebSocketServer({ server: this.#http, maxPayload: MAX_WS_MESSAGE, perMessageDeflate: false });
    this.#wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      const s = req.socket;
      const stream = new WsByteStream(ws, {
        remoteAddress: s.remoteAddress ?? '',
        remotePort: s.remotePort ?? 0,
        localAddress: s.localAddress ?? '',
        localPort: s.localPort ?? 0,
      });
      accept(stream);
    });
    this.#wss.on('error', onError);
    this.#http.on('clientError', (_err, socket) => socket.destroy());
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        const addr = this.#http.address();
        resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
      });
    });
  }

  /** Stop accepting; open sessions are the RLPx endpoint's to close. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#wss.close();
      this.#http.close(() => resolve());
      this.#http.closeIdleConnections();
    });
  }
}

/** Open a WebSocket to `url` and resolve with its byte stream (Node side; the browser has its own). */
export function connectWs(url: string, timeoutMs: number): Promise<WsByteStream> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: MAX_WS_MESSAGE, perMessageDeflate: false, handshakeTimeout: timeoutMs });
    const fail = (err: Error): void => reject(new CarrierError('WS_CONNECT_FAILED', `cannot open ${url}: ${err.message}`, { cause: err }));
    ws.once('error', fail);
    ws.once('open', () => {
      ws.off('error', fail);
      const s = (ws as unknown as { _socket: { remoteAddress?: string; remotePort?: number; localAddress?: string; localPort?: number } })._socket;
      resolve(new WsByteStream(ws, { remoteAddress: s.remoteAddress ?? '', remotePort: s.remotePort ?? 0, localAddress: s.localAddress ?? '', localPort: s.localPort ?? 0 }));
    });
  });
}

/** The carrier of the socket under an RLPx peer: a WsByteStream says so, anything else is TCP. */
export function carrierOf(socket: unknown): Carrier {
  return socket instanceof WsByteStream ? 'ws' : 'tcp';
}
