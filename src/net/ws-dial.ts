/**
 * Dialing an LES server over WebSocket without Node built-ins: the browser's WebSocket (or any
 * constructor of its shape) carries our pure-JS RLPx session (rlpx-session.ts), and the LesPeer
 * above it is the one TCP peers use, with the same Status checks, limits and request table.
 * The server must be named by an enode URL with `?transport=ws|wss`: its node id is what the
 * RLPx handshake authenticates, so a server holding another key cannot answer.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { ForkFilter } from '../config/forkid.js';
import { type LesVersion, MESSAGE_SPACE, SUPPORTED_VERSIONS } from '../wire/codes.js';
import { HANDSHAKE_TIMEOUT_MS } from '../wire/limits.js';
import type { Status } from '../wire/status.js';
import { bytesToHex } from './bytes.js';
import { DisconnectReason, disconnectReasonName } from './disconnect.js';
import { type Enode, parseEnode } from './enode.js';
import { CarrierError, DialError, NodeError } from './errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, LesPeer } from './peer.js';
import { RlpxSession } from './rlpx-session.js';
import type { LesTransport, TransportHandlers } from './transport.js';

/** The part of the WHATWG WebSocket this carrier uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export const DEFAULT_WS_DIAL_TIMEOUT_MS = 15_000;
const RLPX_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Messages that may arrive between the Hello and the LesPeer attaching (normally none). */
const MAX_EARLY_MESSAGES = 64;

export interface WsDialOptions {
  /** Our Status for the agreed version (a client's names its head, network and genesis). */
  status: Status | ((ctx: { version: LesVersion; remoteId: Uint8Array }) => Status);
  forkFilter?: ForkFilter;
  /** 32-byte secp256k1 key; a fresh one per dial when absent (a browser has no identity to keep). */
  privateKey?: Uint8Array;
  versions?: readonly LesVersion[];
  clientId?: string;
  dialTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  requestTimeoutMs?: number;
  frameReadTimeoutMs?: number;
  /** Default: globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Called as the Status handshake completes, before the peer's next message is dispatched. */
  onHandshake?(peer: LesPeer): void;
}

/** The ws:// or wss:// URL an enode with a WebSocket transport names. */
export function wsUrlOf(enode: Enode): string {
  if (enode.transport === undefined) throw new DialError('CONNECT_FAILED', 'not a WebSocket enode: add ?transport=ws (or wss)');
  const host = enode.host.includes(':') ? `[${enode.host}]` : enode.host;
  return `${enode.transport}://${host}:${enode.port}/`;
}

/** Open a WebSocket to `target`, run RLPx and the LES Status handshake, and resolve with the peer. */
export function dialWs(target: string | Enode, options: WsDialOptions): Promise<LesPeer> {
  let enode: Enode;
  let url: string;
  try {
    enode = typeof target === 'string' ? parseEnode(target) : target;
    url = wsUrlOf(enode);
  } catch (err) {
    return Promise.reject(err as Error);
  }
  const Ws = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (Ws === undefined) return Promise.reject(new CarrierError('NO_WEBSOCKET', 'no WebSocket constructor here: pass options.WebSocket'));
  const versions = [...new Set(options.versions ?? SUPPORTED_VERSIONS)];
  if (versions.length === 0 || versions.some((v) => !SUPPORTED_VERSIONS.includes(v))) {
    return Promise.reject(new NodeError('BAD_OPTIONS', `versions must be a non-empty subset of ${SUPPORTED_VERSIONS.join(', ')}`, { field: 'versions' }));
  }
  const privateKey = options.privateKey ?? secp256k1.utils.randomSecretKey();
  const where = `${enode.host}:${enode.port}`;
  const timeoutMs = options.dialTimeoutMs ?? DEFAULT_WS_DIAL_TIMEOUT_MS;

  return new Promise<LesPeer>((resolve, reject) => {
    let settled = false;
    let session: RlpxSession | undefined;
    let bytesIn = 0;
    let handlers: TransportHandlers | undefined;
    let early: Array<[number, Uint8Array]> = [];
    let closeInfo: { reason: number | undefined; byUs: boolean } | undefined;
    const settle = (outcome: Error | LesPeer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (outcome instanceof LesPeer) resolve(outcome);
      else {
        reject(outcome);
        if (session !== undefined) session.disconnect(DisconnectReason.ClientQuitting);
        else ws.close();
      }
    };
    const timer = setTimeout(() => settle(new DialError('DIAL_TIMEOUT', `no handshake with ${where} within ${timeoutMs} ms`)), timeoutMs);
    const ws = new Ws(url);
    ws.binaryType = 'arraybuffer';
    ws.onerror = () => undefined;
    ws.onopen = () => {
      session = new RlpxSession(
        {
          privateKey,
          remoteId: enode.id,
          clientId: options.clientId ?? 'les-provider/browser',
          capabilities: versions.map((v) => ({ name: 'les', version: v, length: MESSAGE_SPACE[v] })),
          write: (bytes) => {
            if (ws.readyState === 1) ws.send(bytes);
          },
          end: () => ws.close(1000),
          frameReadTimeoutMs: options.frameReadTimeoutMs,
          handshakeTimeoutMs: RLPX_HANDSHAKE_TIMEOUT_MS,
        },
        {
          hello: (hello) => onHello(hello.clientId, hello.capability.version as LesVersion),
          message: (code, payload) => {
            if (handlers !== undefined) return handlers.message(code, payload);
            if (early.length >= MAX_EARLY_MESSAGES) return session?.disconnect(DisconnectReason.ProtocolError);
            early.push([code, payload]);
          },
          oversized: (code, size) => handlers?.oversized?.(code, size),
          keepalive: (kind) => handlers?.keepalive?.(kind),
          close: (reason, byUs, error) => {
            closeInfo = { reason, byUs };
            handlers?.close(reason, byUs);
            if (error !== undefined) settle(new DialError('CONNECTION_CLOSED', `RLPx error: ${error.message}`, { cause: error }));
            else if (reason !== undefined) settle(new DialError('CONNECTION_CLOSED', `refused: ${disconnectReasonName(reason)} (RLPx Disconnect before the LES handshake)`));
            else settle(new DialError('CONNECTION_CLOSED', `connection to ${where} closed before the handshake`));
          },
        },
      );
    };
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) {
        const err = new CarrierError('WS_NOT_BINARY', 'a text WebSocket message where RLPx bytes belong');
        settle(err);
        session?.carrierClosed(err);
        return;
      }
      bytesIn += ev.data.byteLength;
      session?.feed(new Uint8Array(ev.data));
    };
    ws.onclose = () => {
      if (session === undefined) {
        settle(new DialError('CONNECT_FAILED', `cannot open ${url}`));
        return;
      }
      // The server drops an auth only our intended node could decrypt, without a byte back.
      if (bytesIn === 0) settle(new DialError('AUTH_DROPPED', `node id at ${where} is not ${bytesToHex(enode.id).slice(0, 16)}…: the node there dropped our RLPx auth, which only that node id can read`));
      session.carrierClosed();
    };

    const onHello = (remoteClientId: string, version: LesVersion): void => {
      const s = session as RlpxSession;
      const transport: LesTransport = {
        version,
        remoteId: enode.id,
        remoteHost: enode.host,
        remotePort: enode.port,
        carrier: 'ws',
        remoteClientId,
        send: (code, payload) => s.send(code, payload),
        disconnect: (reason) => s.disconnect(reason),
        attach(h) {
          handlers = h;
          const queued = early;
          early = [];
          for (const [code, payload] of queued) h.message(code, payload);
          if (closeInfo !== undefined) h.close(closeInfo.reason, closeInfo.byUs);
        },
      };
      let status: Status;
      try {
        status = typeof options.status === 'function' ? options.status({ version, remoteId: enode.id }) : options.status;
      } catch (cause) {
        s.disconnect(DisconnectReason.SubprotocolError);
        settle(new DialError('CONNECTION_CLOSED', `status builder failed: ${(cause as Error).message}`, { cause }));
        return;
      }
      const peer = new LesPeer(transport, {
        role: 'client',
        status,
        forkFilter: options.forkFilter,
        handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
        requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      });
      if (options.onHandshake !== undefined) {
        const onHandshake = options.onHandshake;
        peer.once('handshake', () => onHandshake(peer));
      }
      peer.start().then(
        () => settle(peer),
        (err: Error) => settle(err),
      );
    };
  });
}
