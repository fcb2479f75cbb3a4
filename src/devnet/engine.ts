/**
 * The devnet's light client: one LesClient at a time behind a stable face (the proxy's backend,
 * LesProviders from `devnet.provider()`), plus the node's test methods (test-methods.ts).
 *
 * After each test method `settle()` brings the verified head to the node's head. Heads that grow
 * arrive the LES way (the servers announce, the trusted quorum agrees). A head that went back or
 * sideways (evm_revert, anvil_rollback, anvil_reorg) is never announced — LES servers announce
 * only higher heads — so the engine starts a fresh LesClient, whose handshakes carry the servers'
 * new heads, and swaps it in: the head is still what the trusted servers agree on, verified as
 * always. Filters of the old client end with it (`filter not found`), as the chain they watched.
 */
import { EventEmitter } from 'node:events';
import type { LesClient, LesClientEvents } from '../client/engine/index.js';
import type { ClientStatus } from '../client/engine/client.js';
import type { BackendMetrics, ProxyBackend } from '../proxy/backend.js';
import { lesBackend } from '../proxy/les-backend.js';
import type { NodeRpcClient } from '../serve/rpc/client.js';
import type { LesServer } from '../serve/index.js';
import type { NetworkConfig } from '../config/network.js';
import { DevnetError } from './errors.js';
import { TestMethodForwarder, isTestMethod } from './test-methods.js';

/** How long a test method may wait for the verified head to follow the node. */
const SETTLE_MS = 20_000;

type Events = Pick<LesClientEvents, 'newHead' | 'connect' | 'disconnect' | 'quorum'>;
const FORWARDED: readonly (keyof Events)[] = ['newHead', 'connect', 'disconnect', 'quorum'];

export interface DevnetEngineOptions {
  network: NetworkConfig;
  /** A new, unstarted LesClient on the devnet's servers. */
  createClient(): LesClient;
  /** The node, for its head. */
  node: NodeRpcClient;
  nodeUrl: string;
  /** The LES servers of this process: brought to the node's head before the light client is asked. */
  servers: readonly LesServer[];
}

interface Head {
  number: number;
  hash: string;
}

export class DevnetEngine extends EventEmitter<Events> implements ProxyBackend {
  readonly network: NetworkConfig;
  readonly testMethods: TestMethodForwarder;
  readonly #options: DevnetEngineOptions;
  #client: LesClient;
  #stopped = false;
  /** Client restarts after rewinds, for tests and logs. */
  restarts = 0;

  constructor(options: DevnetEngineOptions) {
    super();
    this.network = options.network;
    this.#options = options;
    this.#client = this.#attach(options.createClient());
    this.testMethods = new TestMethodForwarder(options.nodeUrl, this);
  }

  /** The LesClient answering now (replaced after a rewind). */
  get client(): LesClient {
    return this.#client;
  }

  start(): Promise<void> {
    return this.#client.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#client.stop();
  }

  request(method: string, params?: unknown, signal?: AbortSignal): Promise<unknown> {
    if (isTestMethod(method)) return this.testMethods.request(method, params, signal);
    return this.#client.request(method, params, signal);
  }

  /** The verified methods (the test methods reach the proxy as its unverified ones). */
  has(method: string): boolean {
    return this.#client.has(method);
  }

  head(): ReturnType<LesClient['head']> {
    return this.#client.head();
  }

  status(): ClientStatus {
    return this.#client.status();
  }

  metrics(): BackendMetrics {
    return lesBackend(this.#client).metrics?.() ?? {};
  }

  /** Brings the verified head to the node's head; see the header comment. */
  async settle(): Promise<void> {
    if (this.#stopped) return;
    const deadline = Date.now() + SETTLE_MS;
    await Promise.all(this.#options.servers.map((s) => s.stack.follower.syncOnce()));
    const target = await this.#nodeHead('latest');
    if (target === undefined) throw new DevnetError('NOT_FOLLOWED', 'the node has no latest block');
    for (;;) {
      const head = this.#client.status().head;
      if (head !== undefined && head.hash === target.hash) return;
      if (head !== undefined && head.number >= target.number) {
        // At or above the node's head: fine if the node still has it (the node mined on meanwhile), else rewound.
        if ((await this.#nodeHead(head.number))?.hash === head.hash) return;
        await this.#restart(target, deadline);
        return;
      }
      if (Date.now() > deadline) {
        throw new DevnetError('NOT_FOLLOWED', `the verified head ${head?.number ?? 'none'} did not reach the node's head ${target.number} within ${SETTLE_MS} ms`);
      }
      await this.#nextHead(25);
      if (this.#stopped) return;
    }
  }

  async #restart(target: Head, deadline: number): Promise<void> {
    const fresh = this.#attach(this.#options.createClient());
    try {
      await fresh.start();
      for (;;) {
        const head = fresh.status().head;
        if (head !== undefined && (head.hash === target.hash || head.number > target.number)) break;
        if (Date.now() > deadline) throw new DevnetError('NOT_FOLLOWED', `a fresh light client did not reach the node's head ${target.number} within ${SETTLE_MS} ms`);
        await new Promise((r) => setTimeout(r, 25));
      }
    } catch (err) {
      await fresh.stop();
      throw err;
    }
    const old = this.#client;
    this.#client = fresh;
    this.restarts++;
    const head = fresh.head();
    // The listeners (proxy subscriptions, providers' block events) learn the new head now.
    if (head !== undefined) {
      const json = (await fresh.request('eth_getBlockByNumber', [`0x${head.header.number.toString(16)}`, false])) as LesClientEvents['newHead'][0];
      this.emit('newHead', json, head);
    }
    await old.stop();
  }

  #attach(client: LesClient): LesClient {
    for (const event of FORWARDED) {
      client.on(event, (...args: unknown[]) => {
        if (client === this.#client) (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
      });
    }
    return client;
  }

  #nextHead(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.off('newHead', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.once('newHead', done);
    });
  }

  async #nodeHead(tag: 'latest' | number): Promise<Head | undefined> {
    const block = await this.#options.node.call<{ number: string; hash: string } | null>('eth_getBlockByNumber', [typeof tag === 'number' ? `0x${tag.toString(16)}` : tag, false]);
    return block === null ? undefined : { number: Number(block.number), hash: block.hash };
  }
}
