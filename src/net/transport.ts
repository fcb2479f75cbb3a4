/**
 * What a LesPeer needs from the connection under it: raw LES payloads in and out, a disconnect,
 * and word of the close. The RLPx implementation is in les-protocol.ts; unit tests use a fake.
 */
import type { LesVersion } from '../wire/codes.js';

export interface TransportHandlers {
  /** One LES message: its code within the les space and its (decompressed) RLP bytes. */
  message(code: number, payload: Uint8Array): void;
  /** The connection closed. `reason` is undefined when no Disconnect message was exchanged. */
  close(reason: number | undefined, byUs: boolean): void;
  /** An RLPx-level Ping or Pong arrived (liveness; devp2p answers pings itself). */
  keepalive?(kind: 'ping' | 'pong'): void;
  /**
   * A message declared larger than MAX_MESSAGE_SIZE was refused before decompression; the
   * transport closes the connection itself (close() follows).
   */
  oversized?(code: number, size: number): void;
  /**
   * A reply's first decompressed bytes (`head`, up to 32) and its whole decompressed length, seen
   * before the transport decompresses the rest: true means drop it (message() is not called).
   */
  peekReply?(code: number, head: Uint8Array, total: number): boolean;
}

export interface LesTransport {
  /** The les version both sides agreed on in the RLPx Hello. */
  readonly version: LesVersion;
  /** 64-byte node id of the remote side. */
  readonly remoteId: Uint8Array;
  readonly remoteHost: string;
  readonly remotePort: number;
  /** Our end of the connection (getpeerinfo's addrlocal); absent where there is no socket. */
  readonly localHost?: string;
  readonly localPort?: number;
  /** What carries the RLPx session: TCP, or a WebSocket's byte stream (absent: TCP). */
  readonly carrier?: 'tcp' | 'ws';
  /** The client id string from the remote Hello. */
  readonly remoteClientId: string;
  /** Send raw RLP bytes under `code`; compression is the transport's business. */
  send(code: number, payload: Uint8Array): void;
  disconnect(reason: number): void;
  /** Start delivering; messages that arrived before this are delivered first, in order. */
  attach(handlers: TransportHandlers): void;
}
