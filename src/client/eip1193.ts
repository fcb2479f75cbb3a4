/**
 * The light client as an EIP-1193 provider: `request({ method, params })`, `on` /
 * `removeListener`, and the events `connect` ({ chainId }), `disconnect` (ProviderRpcError 4900),
 * `chainChanged` (never: the chain is configured) and `message` ({ type: 'eth_subscription' }) for
 * `eth_subscribe` of `newHeads` and `logs`. Works under `new ethers.BrowserProvider(x)` and viem's
 * `custom(x)`.
 *
 * Errors come from the method layer's one table (client/methods/errors.ts, surface 'eip1193'):
 * 4200 unsupported method, 4900 disconnected, 3 revert with the revert bytes as `data`,
 * -32040 verification failed everywhere, -32602 bad params.
 */
import { EventEmitter } from 'node:events';
import { LesClient, type LesClientEvents } from './engine/client.js';
import type { LesClientOptions } from './engine/options.js';
import { resolveNetwork } from './engine/options.js';
import { InvalidParamsError, MethodNotFoundError, toRpcError } from './methods/errors.js';

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
  request(method: string, params?: unknown): Promise<unknown>;
  on<E extends keyof LesClientEvents>(event: E, listener: (...args: LesClientEvents[E]) => void): unknown;
  off<E extends keyof LesClientEvents>(event: E, listener: (...args: LesClientEvents[E]) => void): unknown;
  /** Its network (a LesClient has one); else the `network` option names it. */
  readonly network?: { chainId: bigint };
}

/** Either the options of a new LesClient, or an existing engine (started on first use, stopped by close()). */
export type Eip1193Options = (LesClientOptions & { engine?: undefined }) | { engine: Eip1193Engine; network?: LesClientOptions['network'] };

export interface RequestArguments {
  readonly method: string;
  readonly params?: readonly unknown[] | object;
}

type Sub = { kind: 'newHeads' } | { kind: 'logs'; filter: Record<string, unknown>; next: number | undefined };

const MAX_SUBSCRIPTIONS = 1024;

export class LesEip1193Provider extends EventEmitter {
  readonly engine: Eip1193Engine;
  readonly chainId: string;
  readonly #subs = new Map<string, Sub>();
  #started: Promise<void> | undefined;
  #nextSub = 1;
  #closed = false;

  constructor(options: Eip1193Options) {
    super();
    const engine = options.engine ?? new LesClient(options);
    this.chainId = `0x${(engine.network?.chainId ?? resolveNetwork({ network: options.network }).chainId).toString(16)}`;
    this.engine = engine;
    this.engine.on('connect', this.#onConnect);
    this.engine.on('disconnect', this.#onDisconnect);
    this.engine.on('newHead', this.#onHead);
  }

  readonly #onConnect = (): void => {
    this.emit('connect', { chainId: this.chainId });
  };

  readonly #onDisconnect = (): void => {
    this.emit('disconnect', new ProviderRpcError(4900, 'the provider is disconnected from all LES servers'));
  };

  readonly #onHead = (json: LesClientEvents['newHead'][0]): void => {
    const number = Number(json.number);
    for (const [id, sub] of this.#subs) {
      if (sub.kind === 'newHeads') this.#message(id, json);
      else void this.#logs(id, sub, number);
    }
  };

  #message(subscription: string, result: unknown): void {
    this.emit('message', { type: 'eth_subscription', data: { subscription, result } });
  }

  /** Logs of the blocks since the last head this subscription saw, up to `number`. */
  async #logs(id: string, sub: Extract<Sub, { kind: 'logs' }>, number: number): Promise<void> {
    const from = sub.next ?? number;
    if (from > number) return;
    sub.next = number + 1;
    try {
      const hex = (n: number) => `0x${n.toString(16)}`;
      const logs = (await this.engine.request('eth_getLogs', [{ ...sub.filter, fromBlock: hex(from), toBlock: hex(number) }])) as unknown[];
      if (this.#subs.get(id) !== sub) return;
      for (const log of logs) this.#message(id, log);
    } catch {
      // A range that could not be searched now is not retried: a subscription delivers what it can.
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
      return await this.engine.request(method, params);
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
    let sub: Sub;
    if (kind === 'newHeads') sub = { kind };
    else if (kind === 'logs') {
      const f = (params[1] ?? {}) as Record<string, unknown>;
      if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new InvalidParamsError('params[1]', 'expected a log filter object');
      sub = { kind, filter: { ...(f.address === undefined ? {} : { address: f.address }), ...(f.topics === undefined ? {} : { topics: f.topics }) }, next: undefined };
    } else throw new MethodNotFoundError(`eth_subscribe(${kind})`);
    await this.start();
    const id = `0x${(this.#nextSub++).toString(16).padStart(32, '0')}`;
    this.#subs.set(id, sub);
    return id;
  }

  #unsubscribe(params: unknown): boolean {
    if (!Array.isArray(params) || typeof params[0] !== 'string') throw new InvalidParamsError('params', 'expected [subscription id]');
    return this.#subs.delete(params[0]);
  }

  /** Stops the engine; later requests fail with 4900. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#subs.clear();
    await this.engine.stop();
    this.engine.off('connect', this.#onConnect);
    this.engine.off('disconnect', this.#onDisconnect);
    this.engine.off('newHead', this.#onHead);
  }
}

/** An EIP-1193 provider over a new LesClient (or `options.engine`). */
export function createEip1193Provider(options: Eip1193Options): LesEip1193Provider {
  return new LesEip1193Provider(options);
}

