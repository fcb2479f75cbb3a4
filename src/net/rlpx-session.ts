/**
 * An RLPx session as initiator, in pure JavaScript over any byte carrier (a browser WebSocket):
 * the EIP-8 auth/ack handshake (rlpx-ecies.ts), then frames encrypted with AES-256-CTR and
 * authenticated by the keccak MACs of rlpx.md, the base protocol's Hello (version 5, so snappy
 * after it), Ping/Pong and Disconnect, and one shared `les` capability at offset 16. The reader
 * keeps the limits of our devp2p reader (rlpx-framing.ts): a frame's size is bounded before its
 * body is buffered, a packet once begun must complete in time, a message's declared decompressed
 * size is checked before snappy runs. No Node built-ins: the browser bundle carries this file.
 */
import { ctr, ecb } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { RLP } from '@ethereumjs/rlp';
import * as snappy from 'snappyjs';
import { MAX_MESSAGE_SIZE } from '../wire/limits.js';
import { bytesToHex, equalBytes } from './bytes.js';
import { DisconnectReason } from './disconnect.js';
import { FramingError } from './errors.js';
import { type AuthState, type Secrets, makeAuth, readAck } from './rlpx-ecies.js';
import { DEFAULT_FRAME_READ_TIMEOUT_MS, MAX_FRAME_SIZE } from './rlpx-framing-limits.js';
import { snappyDeclaredLength } from './snappy-block.js';

const HELLO = 0x00;
const DISCONNECT = 0x01;
const PING = 0x02;
const PONG = 0x03;
/** The first capability's codes start here. */
export const BASE_PROTOCOL_LENGTH = 16;
const BASE_PROTOCOL_VERSION = 5;
/** An EIP-8 ack's size prefix says at most this (its 2 bytes could say 65535). */
const MAX_ACK_SIZE = 2048;

export interface Capability {
  name: string;
  version: number;
  /** Codes the capability uses (its message space). */
  length: number;
}

export interface RemoteHello {
  clientId: string;
  /** The capability both sides offer at the highest shared version. */
  capability: Capability;
}

export interface RlpxSessionOptions {
  privateKey: Uint8Array;
  remoteId: Uint8Array;
  clientId: string;
  capabilities: readonly Capability[];
  /** Bytes to the carrier. */
  write(bytes: Uint8Array): void;
  /** Close the carrier (after a Disconnect went out, or at once on a broken stream). */
  end(): void;
  frameReadTimeoutMs?: number;
  handshakeTimeoutMs: number;
}

export interface RlpxSessionHandlers {
  hello(hello: RemoteHello): void;
  /** A capability message: its code within the capability and its decompressed payload. */
  message(code: number, payload: Uint8Array): void;
  /** Its declared decompressed size is over MAX_MESSAGE_SIZE: the session disconnects. */
  oversized(code: number, size: number): void;
  keepalive(kind: 'ping' | 'pong'): void;
  /** The session ended: `reason` as the Disconnect said (undefined: none was exchanged). */
  close(reason: number | undefined, byUs: boolean, error: Error | undefined): void;
}

/** Streaming AES-CTR with a zero IV: one per direction, continued across frames. */
class CtrStream {
  readonly #key: Uint8Array;
  readonly #counter = new Uint8Array(16);

  constructor(key: Uint8Array) {
    this.#key = key;
  }

  /** `data` is whole 16-byte blocks (RLPx pads every header and frame to 16). */
  apply(data: Uint8Array): Uint8Array {
    const out = ctr(this.#key, this.#counter.slice()).encrypt(data);
    let carry = data.length / 16;
    for (let i = 15; i >= 0 && carry > 0; i--) {
      const v = (this.#counter[i] as number) + carry;
      this.#counter[i] = v & 0xff;
      carry = Math.floor(v / 256);
    }
    return out;
  }
}

class FrameMac {
  readonly #state: Secrets['egressMac'];
  readonly #macSecret: Uint8Array;

  constructor(state: Secrets['egressMac'], macSecret: Uint8Array) {
    this.#state = state;
    this.#macSecret = macSecret;
  }

  #digest(): Uint8Array {
    return this.#state.clone().digest().subarray(0, 16);
  }

  #seed(with16: Uint8Array): Uint8Array {
    // noble's ciphers refuse a second encrypt() per instance: one AES-ECB block each.
    const enc = ecb(this.#macSecret, { disablePadding: true }).encrypt(this.#digest());
    for (let i = 0; i < 16; i++) enc[i] = (enc[i] as number) ^ (with16[i] as number);
    return enc;
  }

  header(headerCiphertext: Uint8Array): Uint8Array {
    this.#state.update(this.#seed(headerCiphertext));
    return this.#digest();
  }

  body(bodyCiphertext: Uint8Array): Uint8Array {
    this.#state.update(bodyCiphertext);
    this.#state.update(this.#seed(this.#digest()));
    return this.#digest();
  }
}

const pad16 = (n: number): number => (n % 16 === 0 ? n : n + 16 - (n % 16));
/** RLP [capability-id 0, context-id 0]: the only header-data anyone sends. */
const HEADER_DATA = Uint8Array.of(0xc2, 0x80, 0x80);

type State = 'ack' | 'hello' | 'open' | 'closed';

export class RlpxSession {
  readonly #o: RlpxSessionOptions;
  readonly #h: RlpxSessionHandlers;
  readonly #auth: AuthState;
  #state: State = 'ack';
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Bytes the next packet needs: the ack's size prefix first. */
  #need = 2;
  /** The frame body size once its header was read; undefined while reading a header. */
  #bodySize: number | undefined;
  #ackSize: number | undefined;
  #egressAes?: CtrStream;
  #ingressAes?: CtrStream;
  #egressMac?: FrameMac;
  #ingressMac?: FrameMac;
  #snappy = false;
  #capability?: Capability;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #handshakeTimer: ReturnType<typeof setTimeout>;

  constructor(options: RlpxSessionOptions, handlers: RlpxSessionHandlers) {
    this.#o = options;
    this.#h = handlers;
    this.#auth = makeAuth(options.privateKey, options.remoteId);
    this.#handshakeTimer = setTimeout(
      () => this.#fail(new FramingError('RLPX_HANDSHAKE_TIMEOUT', `no RLPx ack and Hello within ${options.handshakeTimeoutMs} ms`)),
      options.handshakeTimeoutMs,
    );
    options.write(this.#auth.packet);
  }

  get capability(): Capability | undefined {
    return this.#capability;
  }

  /** Bytes from the carrier, in order. */
  feed(data: Uint8Array): void {
    if (this.#state === 'closed') return;
    this.#chunks.push(data);
    this.#buffered += data.length;
    try {
      while (this.#live() && this.#buffered >= this.#need) this.#step(this.#take(this.#need));
    } catch (err) {
      this.#fail(err as Error);
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#live() && this.#buffered > 0) {
      const ms = this.#o.frameReadTimeoutMs ?? DEFAULT_FRAME_READ_TIMEOUT_MS;
      this.#timer = setTimeout(() => this.#fail(new FramingError('FRAME_READ_TIMEOUT', `no complete RLPx packet within ${ms} ms (${this.#buffered} bytes held)`)), ms);
    }
  }

  /** Send a capability message (code within the capability); snappy as the Hello agreed. */
  send(code: number, payload: Uint8Array): void {
    if (this.#state !== 'open') throw new FramingError('BAD_HELLO', 'send before the RLPx Hello exchange completed');
    this.#frame(BASE_PROTOCOL_LENGTH + code, payload);
  }

  /** Send a Disconnect and close the carrier (after a moment for it to be read, as devp2p does). */
  disconnect(reason: number): void {
    if (this.#state === 'closed') return;
    if (this.#egressAes !== undefined) this.#frame(DISCONNECT, RLP.encode([reason]));
    this.#close(reason, true, undefined);
  }

  /** The carrier closed under us. */
  carrierClosed(error?: Error): void {
    this.#close(undefined, false, error);
  }

  /** A method, so the compiler does not narrow #state across calls that may close the session. */
  #live(): boolean {
    return this.#state !== 'closed';
  }

  #take(n: number): Uint8Array {
    const all = this.#chunks.length === 1 ? (this.#chunks[0] as Uint8Array) : concatBytes(...this.#chunks);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#buffered = rest.length;
    return out;
  }

  #step(packet: Uint8Array): void {
    if (this.#state === 'ack') {
      if (this.#ackSize === undefined) {
        const size = ((packet[0] as number) << 8) | (packet[1] as number);
        if (size > MAX_ACK_SIZE || size < 113) throw new FramingError('BAD_ACK', `RLPx ack of ${size} bytes`);
        this.#ackSize = size;
        this.#chunks.unshift(packet);
        this.#buffered += 2;
        this.#need = 2 + size;
        return;
      }
      const secrets = readAck(this.#auth, packet);
      this.#egressAes = new CtrStream(secrets.aesSecret);
      this.#ingressAes = new CtrStream(secrets.aesSecret);
      this.#egressMac = new FrameMac(secrets.egressMac, secrets.macSecret);
      this.#ingressMac = new FrameMac(secrets.ingressMac, secrets.macSecret);
      this.#state = 'hello';
      this.#need = 32;
      this.#sendHello();
      return;
    }
    if (this.#bodySize === undefined) {
      const mac = this.#ingressMac!.header(packet.subarray(0, 16));
      if (!equalBytes(mac, packet.subarray(16, 32))) throw new FramingError('BAD_MAC', 'RLPx frame header MAC mismatch');
      const header = this.#ingressAes!.apply(packet.subarray(0, 16));
      const size = ((header[0] as number) << 16) | ((header[1] as number) << 8) | (header[2] as number);
      if (size > MAX_FRAME_SIZE) throw new FramingError('FRAME_TOO_LARGE', `RLPx frame of ${size} bytes, over ${MAX_FRAME_SIZE}`);
      this.#bodySize = size;
      this.#need = pad16(size) + 16;
      return;
    }
    const ct = packet.subarray(0, packet.length - 16);
    const mac = this.#ingressMac!.body(ct);
    if (!equalBytes(mac, packet.subarray(packet.length - 16))) throw new FramingError('BAD_MAC', 'RLPx frame MAC mismatch');
    const body = this.#ingressAes!.apply(ct).subarray(0, this.#bodySize);
    this.#bodySize = undefined;
    this.#need = 32;
    this.#onFrame(body);
  }

  #onFrame(body: Uint8Array): void {
    const code = body[0] === 0x80 ? 0 : (body[0] ?? 0);
    if (code >= 0x80) throw new FramingError('BAD_HELLO', `RLPx message code byte 0x${code.toString(16)}`);
    const raw = body.subarray(1);
    if (this.#state === 'hello') {
      if (code === DISCONNECT) return this.#onDisconnect(raw);
      if (code !== HELLO) throw new FramingError('BAD_HELLO', `RLPx message ${code} before the Hello`);
      return this.#onHello(raw);
    }
    if (code === HELLO) throw new FramingError('BAD_HELLO', 'a second RLPx Hello');
    if (code === DISCONNECT) return this.#onDisconnect(raw);
    if (code < BASE_PROTOCOL_LENGTH) {
      if (code === PING) {
        this.#h.keepalive('ping');
        this.#frame(PONG, RLP.encode([]));
      } else if (code === PONG) this.#h.keepalive('pong');
      return;
    }
    const cap = this.#capability!;
    const msgCode = code - BASE_PROTOCOL_LENGTH;
    if (msgCode >= cap.length) {
      this.disconnect(DisconnectReason.ProtocolError);
      return;
    }
    const declared = snappyDeclaredLength(raw);
    if (declared < 0 || declared > MAX_MESSAGE_SIZE) {
      this.#h.oversized(msgCode, declared);
      this.disconnect(DisconnectReason.SubprotocolError);
      return;
    }
    this.#h.message(msgCode, snappy.uncompress(raw));
  }

  #onHello(raw: Uint8Array): void {
    let fields: unknown;
    try {
      fields = RLP.decode(raw);
    } catch {
      throw new FramingError('BAD_HELLO', 'RLPx Hello is not RLP');
    }
    if (!Array.isArray(fields) || fields.length < 5 || !Array.isArray(fields[2]) || !(fields[4] instanceof Uint8Array) || !(fields[1] instanceof Uint8Array)) {
      throw new FramingError('BAD_HELLO', 'RLPx Hello: expected [version, clientId, capabilities, port, id]');
    }
    if (!equalBytes(fields[4], this.#o.remoteId)) {
      throw new FramingError('BAD_HELLO', `RLPx Hello names node ${bytesToHex(fields[4]).slice(0, 16)}…, not the one dialed`);
    }
    const offered = new Set<string>();
    for (const c of fields[2] as unknown[]) {
      if (!Array.isArray(c) || !(c[0] instanceof Uint8Array) || !(c[1] instanceof Uint8Array)) continue;
      offered.add(`${new TextDecoder().decode(c[0])}/${c[1].reduce((v, b) => v * 256 + b, 0)}`);
    }
    const shared = this.#o.capabilities.filter((c) => offered.has(`${c.name}/${c.version}`)).sort((a, b) => b.version - a.version)[0];
    if (shared === undefined) {
      this.disconnect(DisconnectReason.UselessPeer);
      throw new FramingError('NO_SHARED_CAPABILITY', `the remote offers none of ${this.#o.capabilities.map((c) => `${c.name}/${c.version}`).join(', ')}`);
    }
    const version = (fields[0] as Uint8Array).reduce((v, b) => v * 256 + b, 0);
    this.#snappy = version >= 5;
    this.#capability = shared;
    this.#state = 'open';
    clearTimeout(this.#handshakeTimer);
    this.#h.hello({ clientId: new TextDecoder().decode(fields[1]), capability: shared });
  }

  #onDisconnect(raw: Uint8Array): void {
    // Around the Hello a Disconnect may come compressed or not: both readings are tried, as devp2p does.
    this.#close(readReason(raw) ?? readReason(tryUncompress(raw)), false, undefined);
  }

  #sendHello(): void {
    const ourId = secp256k1.getPublicKey(this.#o.privateKey, false).subarray(1);
    const caps = this.#o.capabilities.map((c) => [new TextEncoder().encode(c.name), c.version]);
    this.#frame(HELLO, RLP.encode([BASE_PROTOCOL_VERSION, new TextEncoder().encode(this.#o.clientId), caps, 0, ourId]), false);
  }

  #frame(code: number, payload: Uint8Array, compress = this.#snappy): void {
    const data = concatBytes(RLP.encode(code), compress ? snappy.compress(payload) : payload);
    const header = new Uint8Array(16);
    header[0] = data.length >> 16;
    header[1] = (data.length >> 8) & 0xff;
    header[2] = data.length & 0xff;
    header.set(HEADER_DATA, 3);
    const headerCt = this.#egressAes!.apply(header);
    const headerMac = this.#egressMac!.header(headerCt);
    const padded = new Uint8Array(pad16(data.length));
    padded.set(data);
    const bodyCt = this.#egressAes!.apply(padded);
    const bodyMac = this.#egressMac!.body(bodyCt);
    this.#o.write(concatBytes(headerCt, headerMac, bodyCt, bodyMac));
  }

  #fail(error: Error): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'open' || this.#state === 'hello') {
      try {
        this.#frame(DISCONNECT, RLP.encode([error instanceof FramingError && error.code === 'FRAME_READ_TIMEOUT' ? DisconnectReason.Timeout : DisconnectReason.SubprotocolError]));
      } catch {
        // The carrier is gone: nothing to tell.
      }
    }
    this.#close(undefined, true, error);
  }

  #close(reason: number | undefined, byUs: boolean, error: Error | undefined): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#timer);
    clearTimeout(this.#handshakeTimer);
    this.#chunks = [];
    this.#buffered = 0;
    this.#o.end();
    this.#h.close(reason, byUs, error);
  }
}

function tryUncompress(bytes: Uint8Array): Uint8Array {
  const declared = snappyDeclaredLength(bytes);
  if (declared < 0 || declared > 64) return new Uint8Array(0);
  try {
    return snappy.uncompress(bytes);
  } catch {
    return new Uint8Array(0);
  }
}

/** A Disconnect's reason: RLP [reason] (or a bare reason, which some clients send). */
function readReason(bytes: Uint8Array): number | undefined {
  try {
    const v = RLP.decode(bytes);
    const r = Array.isArray(v) ? v[0] : v;
    return r instanceof Uint8Array && r.length <= 1 ? (r[0] ?? 0) : undefined;
  } catch {
    return undefined;
  }
}
