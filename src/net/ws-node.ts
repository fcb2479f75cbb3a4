/**
 * A client-role LES node whose every connection is a WebSocket (ws-dial.ts): LesNode's dialing
 * surface (dial, the 'peer' event, peers, close) for the browser, where there is no TCP and no
 * devp2p. One node key for all its dials, as LesNode has; it listens nowhere.
 */
import { EventEmitter } from 'node:events';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { bytesToHex } from './bytes.js';
import { DisconnectReason } from './disconnect.js';
import { type Enode, nodeIdFromPrivateKey, parseEnode } from './enode.js';
import { DialError } from './errors.js';
import type { LesPeer } from './peer.js';
import { type WsDialOptions, dialWs } from './ws-dial.js';

export interface WsLesNodeEvents {
  peer: [peer: LesPeer];
}

export type WsLesNodeOptions = Omit<WsDialOptions, 'onHandshake'>;

export class WsLesNode extends EventEmitter<WsLesNodeEvents> {
  readonly id: Uint8Array;
  readonly role = 'client' as const;
  readonly #options: WsDialOptions;
  readonly #peers = new Map<string, LesPeer>();
  readonly #dialing = new Set<string>();
  #closed = false;

  constructor(options: WsLesNodeOptions) {
    super();
    const privateKey = options.privateKey ?? secp256k1.utils.randomSecretKey();
    this.id = nodeIdFromPrivateKey(privateKey);
    this.#options = { ...options, privateKey };
  }

  get peers(): LesPeer[] {
    return [...this.#peers.values()];
  }

  getPeer(id: Uint8Array | string): LesPeer | undefined {
    return this.#peers.get(typeof id === 'string' ? id.replace(/^0x/, '').toLowerCase() : bytesToHex(id));
  }

  /** Connect to a `?transport=ws|wss` enode and complete the Status handshake. */
  async dial(target: string | Enode): Promise<LesPeer> {
    if (this.#closed) throw new DialError('NODE_CLOSED', 'node is closed');
    const enode = typeof target === 'string' ? parseEnode(target) : target;
    const key = bytesToHex(enode.id);
    if (this.#peers.has(key) || this.#dialing.has(key)) throw new DialError('ALREADY_CONNECTED', `already connected or dialing ${key.slice(0, 16)}…`);
    this.#dialing.add(key);
    try {
      return await dialWs(enode, {
        ...this.#options,
        onHandshake: (peer) => {
          this.#peers.set(key, peer);
          peer.once('close', () => {
            if (this.#peers.get(key) === peer) this.#peers.delete(key);
          });
          if (this.#closed) peer.disconnect(DisconnectReason.ClientQuitting);
          else this.emit('peer', peer);
        },
      });
    } finally {
      this.#dialing.delete(key);
    }
  }

  /** Disconnect every peer (each says ClientQuitting); dials in flight fail. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const peer of this.#peers.values()) peer.disconnect(DisconnectReason.ClientQuitting);
  }
}
