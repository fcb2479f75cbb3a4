/**
 * One subscriber's cursor into the engine's stream: what the engine delivers to it, in order,
 * either handed to a listener as it comes (push: WebSocket, EIP-1193) or kept in a bounded queue
 * until taken (poll: eth_getFilterChanges). It ends by `unsubscribe()` or, with an error, by the
 * engine; a polled queue that fills ends it with QUEUE_OVERFLOW rather than dropping items.
 */
import type { LogFilter } from '../methods/log-filter.js';
import { SubscriptionError } from './errors.js';

/** A header as JSON (0x-hex fields, no transactions): what newHeads delivers. */
export interface HeadJson {
  hash: string;
  parentHash: string;
  number: string;
  [field: string]: unknown;
}

/** A log as eth_getLogs answers it, with `removed` set by the engine. */
export interface LogJson {
  address: string;
  topics: string[];
  blockHash?: string;
  removed?: boolean;
  [field: string]: unknown;
}

export type SubscriptionKind = 'newHeads' | 'logs';

export interface SubscriptionListener {
  item(item: HeadJson | LogJson): void;
  /** Called once; `error` is undefined when the subscriber itself unsubscribed. */
  end(error: SubscriptionError | undefined): void;
}

export class Subscription {
  readonly kind: SubscriptionKind;
  /** Logs subscriptions only. */
  readonly filter: LogFilter | undefined;
  /** The engine's delivery count when this subscription was made: later blocks are its. */
  readonly since: number;
  readonly #maxQueue: number;
  readonly #detach: (s: Subscription) => void;
  #queue: Array<HeadJson | LogJson> = [];
  #listener: SubscriptionListener | undefined;
  #ended = false;
  #error: SubscriptionError | undefined;

  /** @internal made by the engine. */
  constructor(kind: SubscriptionKind, filter: LogFilter | undefined, since: number, maxQueue: number, detach: (s: Subscription) => void) {
    this.kind = kind;
    this.filter = filter;
    this.since = since;
    this.#maxQueue = maxQueue;
    this.#detach = detach;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Why the engine ended it (undefined while open or after unsubscribe). */
  get error(): SubscriptionError | undefined {
    return this.#error;
  }

  /** Push mode: items queued so far, then each new one, go to `listener`. */
  listen(listener: SubscriptionListener): void {
    this.#listener = listener;
    const queued = this.#queue;
    this.#queue = [];
    for (const item of queued) listener.item(item);
    if (this.#ended) listener.end(this.#error);
  }

  /** Poll mode: takes up to `max` queued items, oldest first. */
  take(max = Number.POSITIVE_INFINITY): Array<HeadJson | LogJson> {
    return this.#queue.splice(0, Math.min(max, this.#queue.length));
  }

  /** Items waiting to be taken. */
  get queued(): number {
    return this.#queue.length;
  }

  unsubscribe(): void {
    this.#finish(undefined);
  }

  /** @internal the engine delivers. */
  push(item: HeadJson | LogJson): void {
    if (this.#ended) return;
    if (this.#listener !== undefined) {
      try {
        this.#listener.item(item);
      } catch {
        // A listener's own failure is the listener's: the stream goes on for it and the others.
      }
      return;
    }
    if (this.#queue.length >= this.#maxQueue) {
      this.fail(new SubscriptionError('QUEUE_OVERFLOW', `more than ${this.#maxQueue} items waited to be read`));
      return;
    }
    this.#queue.push(item);
  }

  /** @internal the engine ends it with an error. */
  fail(error: SubscriptionError): void {
    this.#finish(error);
  }

  #finish(error: SubscriptionError | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#detach(this);
    this.#listener?.end(error);
  }
}
