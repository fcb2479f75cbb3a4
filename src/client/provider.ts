/**
 * LesProvider: an ethers v6 provider over the verifying light client. It is a
 * JsonRpcApiProvider whose transport (`_send`) is the LesClient's method table instead of HTTP,
 * so every ethers feature that speaks JSON-RPC works unchanged (Contract reads and reverts,
 * queryFilter/getLogs, Wallet sending, tx.wait()), and every answer is verified.
 *
 * - The network is static (the configured chain id): no eth_chainId round trips.
 * - `block` events come from the header chain's adopted heads (pushed, not polled). Event filters
 *   and tx.wait() are driven by those block events (ethers' polling subscribers, which poll once
 *   per block event); eth_newFilter & co are also answered (`send`), from the engine's table.
 * - `destroy()` stops the engine: nothing is left running.
 */
import { JsonRpcApiProvider, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult, Network, type Subscriber, type Subscription, makeError } from 'ethers';
import { LesClient, type LesClientEvents } from './engine/client.js';
import type { LesClientOptions } from './engine/options.js';
import { resolveNetwork } from './engine/options.js';
import { toRpcError } from './methods/errors.js';
import { ConfigError } from '../config/network.js';
import { checkClientOptions, checkOptionKeys } from './engine/option-checks.js';

/** What the provider needs of the engine (a LesClient, or a stand-in in tests). */
export interface ProviderEngine {
  start(): Promise<void>;
  stop(): Promise<void>;
  request(method: string, params?: unknown): Promise<unknown>;
  head(): { header: { number: number } } | undefined;
  on(event: 'newHead', listener: (...args: LesClientEvents['newHead']) => void): unknown;
  off(event: 'newHead', listener: (...args: LesClientEvents['newHead']) => void): unknown;
  /** Its network (a LesClient has one); else the provider's `network` option names it. */
  readonly network?: { chainId: bigint };
}

export interface ProviderSurfaceOptions {
  /** Most block numbers one `block` event burst emits after a gap (default 1024, like a long poll gap). */
  maxBlockBurst?: number;
  /**
   * Above 0: requests wait this long (ms) in ethers' queue to be handed over together. Default 0:
   * each request goes to the engine at once (the engine coalesces what goes on the wire).
   */
  batchStallTime?: number;
}

/**
 * Either the options of a new LesClient, or an existing engine (a LesClient shared with other
 * surfaces, or a stand-in): it is started on first use and stopped by destroy().
 */
export type LesProviderOptions = ProviderSurfaceOptions &
  ((LesClientOptions & { engine?: undefined }) | { engine: ProviderEngine; network?: LesClientOptions['network'] });

/** Emits `block` for each new head number the engine adopts (no polling). */
class HeadBlockSubscriber implements Subscriber {
  #last: number | undefined;
  #running = false;
  readonly #listener = (_json: unknown, head: { header: { number: number } }): void => this.#onHead(head.header.number);

  constructor(
    private readonly provider: LesProvider,
    private readonly engine: ProviderEngine,
    private readonly maxBurst: number,
  ) {}

  #onHead(n: number): void {
    if (this.#last === undefined || n <= this.#last) {
      // ethers emits only numbers above the last one it saw (a reorg to a lower head waits).
      if (this.#last === undefined) this.#last = n - 1;
      else return;
    }
    const from = Math.max(this.#last + 1, n - this.maxBurst + 1);
    this.#last = n;
    for (let b = from; b <= n; b++) void this.provider.emit('block', b);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#last = this.engine.head()?.header.number;
    this.engine.on('newHead', this.#listener);
  }

  stop(): void {
    this.#running = false;
    this.engine.off('newHead', this.#listener);
  }

  pause(dropWhilePaused?: boolean): void {
    this.stop();
    if (dropWhilePaused === true) this.#last = undefined;
  }

  resume(): void {
    this.start();
  }
}

/** The provider's own options and the client's (shapes, names: a ConfigError naming the option). */
function checkProviderOptions(o: unknown): asserts o is LesProviderOptions {
  // Names first: `server: [...]` is better told as a misspelling than as `servers` missing.
  if (typeof o === 'object' && o !== null && !Array.isArray(o)) checkOptionKeys(o as Record<string, unknown>, ['engine', 'maxBlockBurst', 'batchStallTime']);
  const engine = (o as { engine?: unknown } | null | undefined)?.engine;
  if (engine === undefined) checkClientOptions(o);
  else if (typeof engine !== 'object' || engine === null || typeof (engine as ProviderEngine).request !== 'function') {
    throw new ConfigError('engine', 'expected a LesClient (or an object with start, stop, request, head, on, off)');
  }
  const opts = o as Record<string, unknown>;
  if (opts.maxBlockBurst !== undefined && !(Number.isSafeInteger(opts.maxBlockBurst) && (opts.maxBlockBurst as number) >= 1)) {
    throw new ConfigError('maxBlockBurst', 'expected a number of blocks, 1 or more');
  }
  if (opts.batchStallTime !== undefined && !(typeof opts.batchStallTime === 'number' && Number.isFinite(opts.batchStallTime) && opts.batchStallTime >= 0)) {
    throw new ConfigError('batchStallTime', 'expected ms, 0 or more');
  }
}

export class LesProvider extends JsonRpcApiProvider {
  /** The engine every request goes to. */
  readonly engine: ProviderEngine;
  readonly #maxBurst: number;
  readonly #batch: boolean;
  #nextId = 1;
  #started: Promise<void> | undefined;

  constructor(options: LesProviderOptions) {
    checkProviderOptions(options);
    const engine = options.engine ?? new LesClient(options);
    const chainId = engine.network?.chainId ?? resolveNetwork({ network: options.network }).chainId;
    const staticNetwork = Network.from(chainId);
    super(staticNetwork, { staticNetwork, polling: true, batchStallTime: options.batchStallTime ?? 0, cacheTimeout: -1 });
    this.engine = engine;
    this.#maxBurst = options.maxBlockBurst ?? 1024;
    this.#batch = (options.batchStallTime ?? 0) > 0;
  }

  /** Starts the engine (also done by the first request): resolves once a trusted head is known. */
  start(): Promise<void> {
    this.#started ??= this.engine.start();
    return this.#started;
  }

  /**
   * Straight to the engine. ethers queues every request for a batch behind a setTimeout, which in
   * Node is at least 1 ms even at stall time 0: most of the provider's own latency for an
   * in-process engine, which gains nothing from batching (bench/client-latency.ts).
   */
  override async send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    if (this.#batch) return super.send(method, params);
    if (this.destroyed) throw makeError('provider destroyed; cancelled request', 'UNSUPPORTED_OPERATION', { operation: method });
    const payload: JsonRpcPayload = { method, params, id: this.#nextId++, jsonrpc: '2.0' };
    const [resp] = await this._send(payload);
    if (resp === undefined) throw makeError('missing response for request', 'BAD_DATA', { value: resp, info: { payload } });
    if ('error' in resp) throw this.getRpcError(payload, resp);
    return resp.result;
  }

  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<Array<JsonRpcResult | JsonRpcError>> {
    await this.start();
    const list = Array.isArray(payload) ? payload : [payload];
    return Promise.all(
      list.map(async (p): Promise<JsonRpcResult | JsonRpcError> => {
        try {
          return { id: p.id, result: await this.engine.request(p.method, p.params) };
        } catch (e) {
          const error = toRpcError(e, 'proxy');
          return { id: p.id, error: error.data === undefined ? { code: error.code, message: error.message } : error };
        }
      }),
    );
  }

  override _getSubscriber(sub: Subscription): Subscriber {
    if (sub.type === 'block') return new HeadBlockSubscriber(this, this.engine, this.#maxBurst);
    return super._getSubscriber(sub);
  }

  /** Stops every subscriber and the engine (closing its connections). */
  override destroy(): void {
    super.destroy();
    void this.engine.stop();
  }

  /** As destroy(), and resolves once the engine has stopped. */
  async close(): Promise<void> {
    super.destroy();
    await this.engine.stop();
  }
}
