/**
 * The WebSocket subscriptions' source, shared by every connection: the client's subscription
 * engine (client/subscriptions) over the backend, framed for JSON-RPC. Each newHeads or logs
 * subscription is one engine subscription; what the engine delivers goes out as an
 * `eth_subscription` notification.
 *
 * When the engine ends a subscription rather than skip (a gap or reorg beyond its bounds, a header
 * or block's logs that could not be fetched), the caller gets one last notification carrying a
 * JSON-RPC `error` instead of a `result` ({"subscription": id, "error": {code: -32000, message,
 * data: {code}}}) and the subscription is gone. go-ethereum has no such notification (it just
 * closes the subscription); an error object is what a client can notice and act on (re-read the
 * chain with eth_getLogs and subscribe again).
 */
import type { Logger } from 'pino';
import { parseSubscriptionFilter } from '../client/methods/log-filter.js';
import { type RpcErrorObject, toRpcError } from '../client/methods/errors.js';
import { type HeadJson, type LogJson, SubscriptionEngine, type SubscriptionEngineOptions } from '../client/subscriptions/index.js';
import type { ProxyBackend } from './backend.js';

export type HeadFeedOptions = Omit<SubscriptionEngineOptions, 'onIssue'>;

export interface FeedSink {
  notify(result: HeadJson | LogJson): void;
  /** The subscription ended with this error; nothing follows it. */
  fail(error: RpcErrorObject): void;
}

export class HeadFeed {
  readonly engine: SubscriptionEngine;

  constructor(backend: ProxyBackend, log: Logger, options: HeadFeedOptions = {}) {
    this.engine = new SubscriptionEngine(
      {
        request: (method, params) => backend.request(method, params),
        on: (event, listener) => backend.on(event, listener),
        off: (event, listener) => backend.off(event, listener),
        status: () => backend.status(),
      },
      { ...options, onIssue: ({ message, err, block }) => log.warn({ err, block }, message) },
    );
  }

  /**
   * Starts a `newHeads` or `logs` subscription (`filter`: the caller's param, checked here:
   * -32602 naming the field); returns its end.
   */
  subscribe(type: 'newHeads' | 'logs', filter: unknown, sink: FeedSink): () => void {
    const sub = type === 'newHeads' ? this.engine.subscribeHeads() : this.engine.subscribeLogs(parseSubscriptionFilter(filter, 'filter'));
    sub.listen({
      item: (item) => sink.notify(item),
      end: (err) => {
        if (err !== undefined) sink.fail(toRpcError(err, 'proxy'));
      },
    });
    return () => sub.unsubscribe();
  }

  /** Resolves once every head received so far has been processed (tests, shutdown). */
  settled(): Promise<void> {
    return this.engine.settled();
  }

  close(): void {
    this.engine.close();
  }
}
