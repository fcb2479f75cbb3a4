/**
 * devp2p's LES protocol object reduced to a transport. devp2p 6.1.3's LES (a) arms its 5 s status
 * timer twice and clears only the second, dropping every connection after 5 s; (b) writes
 * common.chainId() into our Status and checks the remote one itself; (c) declares message spaces
 * of 21/23/23 where the spec says 22/24/24, so TxStatus (0x15) falls outside les/2. Here the
 * timers are disarmed, every message goes out as raw bytes to the LesPeer, sends take raw RLP
 * (snappy applied as devp2p does for RLPx v5), and the capabilities carry the spec's lengths.
 * Status encoding and checks are ours (src/wire/status.ts, handshake.ts).
 */
import { LES, type Capabilities, type Peer as Devp2pPeer } from '@ethereumjs/devp2p';
import * as snappy from 'snappyjs';
import { type LesVersion, MESSAGE_SPACE, REPLY_CODES, SUPPORTED_VERSIONS } from '../wire/codes.js';
import { MAX_MESSAGE_SIZE } from '../wire/limits.js';
import { DisconnectReason } from './disconnect.js';
import { snappyDeclaredLength, snappyHead } from './snappy-block.js';
import type { LesTransport, TransportHandlers } from './transport.js';

/** Messages that may arrive between the Hello and the LesPeer attaching (normally none). */
const MAX_EARLY_MESSAGES = 64;
/** RLPx base-protocol codes devp2p handles itself; observed only for liveness counters. */
const RLPX_PING = 0x02;
const RLPX_PONG = 0x03;
/** Codes below this belong to the RLPx base protocol; the first capability starts here. */
const RLPX_BASE_LENGTH = 16;

/** Decompressed bytes a reply's reqID and BV always fit in (list head ≤ 9, each ≤ 9). */
const REPLY_HEAD_BYTES = 32;

export class LesProtocol extends LES {
  #handlers: TransportHandlers | undefined;
  #early: Array<[number, Uint8Array]> = [];
  /** The next message was dropped at its frame (see guardFrames); devp2p still hands it over. */
  #dropNext = false;

  /** Every LES code, Status included, goes to the attached handler as raw decompressed bytes. */
  override _handleMessage(code: number, data: Uint8Array): void {
    if (this.#dropNext) {
      this.#dropNext = false;
      return;
    }
    if (this.#handlers !== undefined) {
      this.#handlers.message(code, data);
      return;
    }
    if (this.#early.length >= MAX_EARLY_MESSAGES) {
      this._peer.disconnect(DisconnectReason.ProtocolError);
      return;
    }
    this.#early.push([code, data]);
  }

  dropNext(): void {
    this.#dropNext = true;
  }

  attach(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    const early = this.#early;
    this.#early = [];
    for (const [code, data] of early) handlers.message(code, data);
  }

  /** Send raw RLP bytes; snappy-compressed when the remote Hello says RLPx v5 or later. */
  sendRaw(code: number, payload: Uint8Array): void {
    const hello = this._peer.getHelloMessage();
    this._send(code, hello !== null && hello.protocolVersion >= 5 ? snappy.compress(payload) : payload);
  }
}

// Both constructors assign `this._statusTimeoutId = setTimeout(...)` (plain assignments, so this
// accessor on our prototype sees each); we clear every such timer at once. Our own handshake
// timeout lives in LesPeer.
Object.defineProperty(LesProtocol.prototype, '_statusTimeoutId', {
  configurable: true,
  get: () => undefined,
  set(timer: ReturnType<typeof setTimeout> | undefined) {
    if (timer !== undefined) clearTimeout(timer);
  },
});

export function lesCapability(version: LesVersion): Capabilities {
  return { name: 'les', version, length: MESSAGE_SPACE[version], constructor: LesProtocol };
}

export { snappyDeclaredLength, snappyHead };

/** les/2, les/3 and les/4 with the spec's message-space lengths. */
export const LES_CAPABILITIES: readonly Capabilities[] = SUPPORTED_VERSIONS.map(lesCapability);

interface FrameGuards {
  oversized?(code: number, size: number): void;
  /** True: the reply is dropped before decompression. */
  peekReply?(code: number, head: Uint8Array, total: number): boolean;
}

/**
 * devp2p decompresses every frame before handing it over, allocating whatever length the snappy
 * header declares: a 14 MiB frame of compressed zeros becomes 300 MiB and ~2 s of CPU. Check the
 * declared length as each frame is decrypted and refuse oversized ones before that happens.
 * Throwing here makes devp2p disconnect with SUBPROTOCOL_ERROR.
 *
 * Likewise a reply is looked at before decompression: its first bytes are decompressed alone and
 * the peer decides from its reqID; a reply no request waits for is replaced by an empty one that
 * `protocol` drops, so an unsolicited 10 MiB reply costs no ~250 ms of snappy.
 */
function guardFrames(peer: Devp2pPeer, protocol: LesProtocol, offset: number, guards: FrameGuards): void {
  const ecies = peer['_eciesSession'];
  const parseBody = ecies.parseBody.bind(ecies);
  ecies.parseBody = (data: Uint8Array) => {
    const body = parseBody(data);
    const hello = peer.getHelloMessage();
    if (body === undefined || body.length === 0 || hello === null || hello.protocolVersion < 5) return body;
    // body = rlp(frame code) ‖ compressed payload; frame codes are small integers.
    const first = body[0] as number;
    const codeLength = first < 0x80 ? 1 : 1 + (first - 0x80);
    const compressed = body.subarray(codeLength);
    const declared = snappyDeclaredLength(compressed);
    const code = (first < 0x80 ? first : (body[1] ?? 0)) - offset;
    if (declared > MAX_MESSAGE_SIZE) {
      guards.oversized?.(code, declared);
      throw new Error(`frame declares ${declared} bytes uncompressed, over ${MAX_MESSAGE_SIZE}`);
    }
    if (guards.peekReply !== undefined && REPLY_CODES.has(code) && declared > REPLY_HEAD_BYTES) {
      const head = snappyHead(compressed, REPLY_HEAD_BYTES);
      if (head !== undefined && guards.peekReply(code, head, declared)) {
        protocol.dropNext();
        // The frame code and an empty snappy block (its length varint 0).
        return Uint8Array.from([...body.subarray(0, codeLength), 0]);
      }
    }
    return body;
  };
}

/** A LesTransport over one devp2p peer whose shared les protocol is `protocol`. */
export function rlpxTransport(peer: Devp2pPeer, protocol: LesProtocol): LesTransport {
  const socket = peer['_socket'];
  const id = peer.getId();
  if (id === null) throw new Error('devp2p peer has no remote id after its Hello');
  return {
    version: protocol.getVersion() as LesVersion,
    remoteId: id,
    remoteHost: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    localHost: socket.localAddress,
    localPort: socket.localPort,
    carrier: (socket as { carrier?: 'tcp' | 'ws' }).carrier ?? 'tcp',
    remoteClientId: peer.getHelloMessage()?.clientId ?? '',
    send: (code, payload) => {
      // devp2p writes a frame's header and body separately: corked, they leave in one writev.
      socket.cork();
      try {
        protocol.sendRaw(code, payload);
      } finally {
        socket.uncork();
      }
    },
    disconnect: (reason) => peer.disconnect(reason),
    attach(handlers) {
      peer.events.once('close', (reason: number | undefined, byUs: boolean | null) => handlers.close(reason, byUs === true));
      if (handlers.keepalive !== undefined) {
        const keepalive = handlers.keepalive;
        // devp2p dispatches base-protocol messages through this instance method; wrap it on
        // this one object to observe Ping/Pong, then let devp2p answer as before.
        const base = peer._handleMessage.bind(peer);
        peer._handleMessage = (code, msg) => {
          if (code === RLPX_PING) keepalive('ping');
          else if (code === RLPX_PONG) keepalive('pong');
          base(code, msg);
        };
      }
      if (handlers.oversized !== undefined || handlers.peekReply !== undefined) {
        const offset = peer._protocols.find((p) => p.protocol === protocol)?.offset ?? RLPX_BASE_LENGTH;
        guardFrames(peer, protocol, offset, handlers);
      }
      protocol.attach(handlers);
    },
  };
}
