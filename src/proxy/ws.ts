/**
 * One WebSocket connection: every text or binary message is a JSON-RPC body answered like an HTTP
 * one, plus eth_subscribe / eth_unsubscribe (newHeads, logs) fed by the shared HeadFeed.
 *
 * Bounds: at most `maxInFlight` bodies are being answered at once (beyond that the socket stops
 * being read: TCP back-pressure on the caller), at most `maxSubscriptions` subscriptions, and a
 * caller that does not read its answers is dropped once `maxBufferedBytes` wait in its send buffer.
 * Subscriptions end with the socket; its open calls are aborted (their answers discarded).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { InvalidParamsError, type RpcErrorObject } from '../client/methods/errors.js';
import type { Dispatcher, LocalMethod } from './dispatch.js';
import { ProxyError } from './errors.js';
import type { HeadFeed } from './head-feed.js';
import type { ProxyMetrics } from './metrics.js';

export interface WsLimits {
  maxSubscriptions: number;
  maxBufferedBytes: number;
  maxInFlight: number;
}

export interface WsDeps extends WsLimits {
  dispatcher: Dispatcher;
  feed: HeadFeed;
  metrics: ProxyMetrics;
  log: Logger;
}

type SubscriptionType = 'newHeads' | 'logs';

interface Subscription {
  type: SubscriptionType;
  end(): void;
  /** Notifications held until the eth_subscribe answer carrying this id has been sent. */
  held: string[] | undefined;
}

/** The message's bytes: the dispatcher decodes them as strict UTF-8 (binary frames are not checked by ws). */
function rawBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.isBuffer(data) ? data : Buffer.from(data);
}

export class WsSession {
  readonly #ws: WebSocket;
  readonly #deps: WsDeps;
  readonly #abort = new AbortController();
  readonly #subs = new Map<string, Subscription>();
  /** Bytes of notifications held for subscriptions whose ids are not answered yet. */
  #heldBytes = 0;
  #inFlight = 0;
  /** Bodies read while `maxInFlight` were being answered (the socket is paused meanwhile). */
  readonly #waiting: RawData[] = [];
  #closed = false;

  constructor(ws: WebSocket, deps: WsDeps) {
    this.#ws = ws;
    this.#deps = deps;
    deps.metrics.wsOpened();
    ws.on('message', (data) => this.#onMessage(data));
    ws.on('close', () => this.#onClose());
    ws.on('error', (err) => deps.log.debug({ err }, 'websocket error'));
  }

  #onMessage(data: RawData): void {
    if (this.#closed) return;
    if (this.#inFlight >= this.#deps.maxInFlight) {
      // The socket is paused: only what was already read waits here.
      this.#waiting.push(data);
      return;
    }
    this.#answer(data);
  }

  #answer(data: RawData): void {
    this.#inFlight++;
    if (this.#inFlight >= this.#deps.maxInFlight && !this.#ws.isPaused) this.#ws.pause();
    // Subscriptions made by this body: their notifications wait until its answer is sent.
    const born: Subscription[] = [];
    const local = new Map<string, LocalMethod>([
      ['eth_subscribe', (params) => this.#subscribe(params, born)],
      ['eth_unsubscribe', (params) => this.#unsubscribe(params)],
    ]);
    this.#deps.dispatcher
      .handle(rawBytes(data), { transport: 'ws', signal: this.#abort.signal, local })
      .then(
        (text) => {
          if (text !== undefined) this.#send(text);
        },
        (err: unknown) => this.#deps.log.error({ err }, 'websocket body not answered'),
      )
      .finally(() => {
        this.#release(born);
        this.#inFlight--;
        if (this.#closed) return;
        const next = this.#waiting.shift();
        if (next !== undefined) this.#answer(next);
        else if (this.#ws.isPaused) this.#ws.resume();
      });
  }

  /** Sends, or drops the connection when the caller is not reading what it was sent. */
  #send(text: string): void {
    if (this.#closed || this.#ws.readyState !== this.#ws.OPEN) return;
    if (this.#ws.bufferedAmount + text.length > this.#deps.maxBufferedBytes) return this.#drop(this.#ws.bufferedAmount + text.length);
    this.#ws.send(text);
  }

  #drop(bytes: number): void {
    this.#deps.metrics.wsDropped('slow_consumer');
    this.#deps.log.warn({ bytes, limit: this.#deps.maxBufferedBytes }, 'websocket caller does not read what it is sent: dropped');
    this.#ws.terminate();
    this.#onClose();
  }

  /** Sends the notifications held for subscriptions whose ids have now been answered. */
  #release(born: readonly Subscription[]): void {
    for (const sub of born) {
      const held = sub.held ?? [];
      sub.held = undefined;
      for (const text of held) {
        this.#heldBytes -= text.length;
        this.#send(text);
      }
    }
  }

  #notify(id: string, result: unknown): void {
    const sub = this.#subs.get(id);
    if (sub === undefined || this.#closed) return;
    let text: string;
    try {
      text = `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${id}","result":${JSON.stringify(result) ?? 'null'}}}`;
    } catch (err) {
      this.#deps.log.warn({ err, subscription: sub.type }, 'notification not serialisable: skipped');
      return;
    }
    this.#post(sub, text);
  }

  /** The feed ended the subscription rather than skip: one last notification with the error, then it is gone. */
  #fail(id: string, error: RpcErrorObject): void {
    const sub = this.#subs.get(id);
    if (sub === undefined || this.#closed) return;
    this.#post(sub, `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${id}","error":${JSON.stringify(error)}}}`);
    this.#end(id, sub);
  }

  #post(sub: Subscription, text: string): void {
    if (sub.held === undefined) return this.#send(text);
    sub.held.push(text);
    this.#heldBytes += text.length;
    if (this.#heldBytes > this.#deps.maxBufferedBytes) this.#drop(this.#heldBytes);
  }

  #subscribe(params: unknown, born: Subscription[]): string {
    if (!Array.isArray(params) || typeof params[0] !== 'string') throw new InvalidParamsError('params', 'expected ["newHeads"] or ["logs", filter]');
    const type = params[0];
    if (type !== 'newHeads' && type !== 'logs') {
      throw new InvalidParamsError('subscription', `unsupported subscription "${type.slice(0, 40)}" (newHeads and logs are)`);
    }
    if (params.length > 2 || (type === 'newHeads' && params.length > 1)) throw new InvalidParamsError('params', 'too many arguments');
    if (this.#subs.size >= this.#deps.maxSubscriptions) {
      throw new ProxyError('SUBSCRIPTION_LIMIT', `at most ${this.#deps.maxSubscriptions} subscriptions per connection`);
    }
    const id = `0x${randomBytes(16).toString('hex')}`;
    const feed = this.#deps.feed;
    const sub: Subscription = { type, end: () => undefined, held: [] };
    this.#subs.set(id, sub);
    try {
      sub.end = feed.subscribe(type, params[1], { notify: (result) => this.#notify(id, result), fail: (error) => this.#fail(id, error) });
    } catch (e) {
      this.#subs.delete(id);
      throw e;
    }
    born.push(sub);
    this.#deps.metrics.subscriptionAdded(type);
    return id;
  }

  #unsubscribe(params: unknown): boolean {
    if (!Array.isArray(params) || params.length !== 1 || typeof params[0] !== 'string') {
      throw new InvalidParamsError('params', 'expected [subscriptionId]');
    }
    const sub = this.#subs.get(params[0]);
    if (sub === undefined) return false;
    this.#end(params[0], sub);
    return true;
  }

  #end(id: string, sub: Subscription): void {
    this.#subs.delete(id);
    sub.end();
    this.#deps.metrics.subscriptionRemoved(sub.type);
  }

  #onClose(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    this.#waiting.length = 0;
    for (const [id, sub] of this.#subs) this.#end(id, sub);
    this.#deps.metrics.wsClosed();
  }
}
