/**
 * The light client as an EIP-1193 provider: `request({ method, params })`, `on` /
 * `removeListener`, and the events `connect` ({ chainId }), `disconnect` (ProviderRpcError 4900),
 * `chainChanged` (never: the chain is configured) and `message` ({ type: 'eth_subscription' }) for
 * `eth_subscribe` of `newHeads` and `logs`. Works under `new ethers.BrowserProvider(x)` and viem's
 * `custom(x)`.
 *
 * Subscriptions come from the client's subscription engine (client/subscriptions): every new
 * canonical header, and every matching log of each new canonical block exactly once, with
 * `removed: true` for logs of blocks a reorg took away. When the engine cannot go on without a
 * hole it ends the subscription: one last `message` { type: 'eth_subscription', data:
 * { subscription, error } } with `error` a ProviderRpcError (-32000, data.code = GAP_TOO_LARGE,
 * REORG_TOO_DEEP, HEADER_UNAVAILABLE or LOGS_UNAVAILABLE), after which the id is unknown.
 *
 * Errors come from the method layer's one table (client/methods/errors.ts, surface 'eip1193'):
 * 4200 unsupported method, 4900 disconnected, 3 revert with the revert bytes as `data`,
 * -32040 verification failed everywhere, -32602 bad params.
 */
import { EventEmitter } from 'node:events';
import { LesClient, type LesClientEvents } from './engine/client.js';
import type { LesClientOptions } from './engine/options.js';
import { resolveNetwork } from './engine/options.js';
import { checkClientOptions } from './engine/option-checks.js';
import { InvalidParamsError, MethodNotFoundError, toRpcError } from './methods/errors.js';
import { parseSubscriptionFilter } from './methods/log-filter.js';
import { type Subscription, SubscriptionEngine, type SubscriptionEngineOptions } from './subscriptions/index.js';

/** EIP-1193's error: a numeric `code` (EIP-1193 / EIP-1474), the message, optional `data`. */
export class ProviderRpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'ProviderRpcError';
    this.code = code;
    this.data = data;
  }
}

/** What the EIP-1193 object needs of the engine (a LesClient, or a stand-in in tests). */
export interface Eip1193Engine {
  start(): Promise<void>;
  stop(): Promise<void>;
  request(method: string, params?: unknown, signal?: AbortSignal): Promise<unknown>;
  on<E extends keyof LesClientEvents>(event: E, listener: (...args: LesClientEvents[E]) => void): unknown;
  off<E extends keyof LesClientEvents>(event: E, listener: (...args: LesClientEvents[E]) => void): unknown;
  /** Its network (a LesClient has one); else the `network` option names it. */
  readonly network?: { chainId: bigint };
  /** Its head, where subscriptions start before the first newHead event (a LesClient has it). */
  status?(): { head: { number: number; hash: string } | undefined };
}

/** Bounds of eth_subscribe (client/subscriptions/engine.ts): gap filled, reorg depth followed, fetch tries. */
export type Eip1193SubscriptionOptions = Omit<SubscriptionEngineOptions, 'onIssue' | 'maxQueue'>;

/** Either the options of a new LesClient, or an existing engine (started on first use, stopped by close()). */
export type Eip1193Options = ((LesClientOptions & { engine?: undefined }) | { engine: Eip1193Engine; network?: LesClientOptions['network'] }) & {
  subscriptions?: Eip1193SubscriptionOptions;
};

export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[] | object;
  /** Not EIP-1193's: aborts the request (eth_call & co stop their EVM run). */
  readonly signal?: AbortSignal;
}

const MAX_SUBSCRIPTIONS = 1024;

export class LesEip1193Provider extends EventEmitter {
  readonly engine: Eip1193Engine;
  readonly chainId: string;
  readonly #subs = new Map<string, Subscription>();
  readonly #feed: SubscriptionEngine;
  #started: Promise<void> | undefined;
  #nextSub = 1;
  #closed = false;

  constructor(options: Eip1193Options) {
    super();
    // No options at all: a ConfigError naming `servers`, not a TypeError.
    if (typeof options !== 'object' || options === null) checkClientOptions(options);
    const engine = options.engine ?? new LesClient(options);
    this.chainId = `0x${(engine.network?.chainId ?? resolveNetwork({ network: options.network }).chainId).toString(16)}`;
    this.engine = engine;
    this.engine.on('connect', this.#onConnect);
    this.engine.on('disconnect', this.#onDisconnect);
    this.#feed = new SubscriptionEngine(
      {
        request: (method, params) => engine.request(method, params),
        on: (_event, listener) => engine.on('newHead', listener),
        off: (_event, listener) => engine.off('newHead', listener),
        status: () => engine.status?.() ?? { head: undefined },
      },
      options.subscriptions,
    );
  }

  readonly #onConnect = (): void => {
    this.emit('connect', { chainId: this.chainId });
  };

  readonly #onDisconnect = (): void => {
    this.emit('disconnect', new ProviderRpcError(4900, 'the provider is disconnected from all LES servers'));
  };

  #message(subscription: string, data: { result: unknown } | { error: ProviderRpcError }): void {
    try {
      this.emit('message', { type: 'eth_subscription', data: { subscription, ...data } });
    } catch {
      // A throwing 'message' listener is the caller's: the next notification is still sent.
    }
  }

  /** Starts the engine (also done by the first request). */
  start(): Promise<void> {
    this.#started ??= this.engine.start();
    return this.#started;
  }

  async request(args: RequestArguments): Promise<unknown> {
    if (typeof args !== 'object' || args === null || typeof args.method !== 'string') {
      throw new ProviderRpcError(-32600, 'expected a request object { method, params }');
    }
    const { method } = args;
    const params = args.params ?? [];
    try {
      if (this.#closed) throw new ProviderRpcError(4900, 'the provider is closed');
      if (method === 'eth_subscribe') return await this.#subscribe(params);
      if (method === 'eth_unsubscribe') return this.#unsubscribe(params);
      await this.start();
      return await this.engine.request(method, params, args.signal);
    } catch (e) {
      if (e instanceof ProviderRpcError) throw e;
      const r = toRpcError(e, 'eip1193');
      throw new ProviderRpcError(r.code, r.message, r.data);
    }
  }

  async #subscribe(params: unknown): Promise<string> {
    if (!Array.isArray(params) || typeof params[0] !== 'string') throw new InvalidParamsError('params', 'expected [subscription type, options?]');
    if (this.#subs.size >= MAX_SUBSCRIPTIONS) throw new InvalidParamsError('params', `more than ${MAX_SUBSCRIPTIONS} subscriptions`);
    const kind = params[0];
    if (kind !== 'newHeads' && kind !== 'logs') throw new MethodNotFoundError(`eth_subscribe(${kind})`);
    const filter = kind === 'logs' ? parseSubscriptionFilter(params[1], 'params[1]') : undefined;
    await this.start();
    if (this.#closed) throw new ProviderRpcError(4900, 'the provider is closed');
    const sub = filter === undefined ? this.#feed.subscribeHeads() : this.#feed.subscribeLogs(filter);
    const id = `0x${(this.#nextSub++).toString(16).padStart(32, '0')}`;
    this.#subs.set(id, sub);
    sub.listen({
      item: (result) => this.#message(id, { result }),
      end: (err) => {
        this.#subs.delete(id);
        if (err === undefined) return;
        const r = toRpcError(err, 'eip1193');
        this.#message(id, { error: new ProviderRpcError(r.code, r.message, r.data) });
      },
    });
    return id;
  }

  #unsubscribe(params: unknown): boolean {
    if (!Array.isArray(params) || typeof params[0] !== 'string') throw new InvalidParamsError('params', 'expected [subscription id]');
    const sub = this.#subs.get(params[0]);
    sub?.unsubscribe();
    return sub !== undefined;
  }

  /** Resolves once every head received so far has been delivered to the subscriptions (tests). */
  settled(): Promise<void> {
    return this.#feed.settled();
  }

  /** Stops the engine; later requests fail with 4900. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#feed.close();
    this.#subs.clear();
    await this.engine.stop();
    this.engine.off('connect', this.#onConnect);
    this.engine.off('disconnect', this.#onDisconnect);
  }
}

/** An EIP-1193 provider over a new LesClient (or `options.engine`). */
export function createEip1193Provider(options: Eip1193Options): LesEip1193Provider {
  return new LesEip1193Provider(options);
}

