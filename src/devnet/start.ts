/**
 * `startDevnet()`: a development chain behind the verifying proxy, for `lesp devnet` and for an
 * app's own tests. Starts anvil (hardfork pinned to prague; or follows `rpc`), mines the blocks of
 * the first helper-trie sections (block 1 at least: a genesis state is not provable), starts N LES
 * servers following it (node keys derived from a seed), waits for their first sections, starts a
 * light client trusting them and the proxy in front of it, and takes a snapshot of that ready
 * state (what anvil_reset returns to). Every port defaults to a free one, so each test file can
 * have a chain of its own.
 *
 * The servers, client and proxy run in this process: one Node start-up instead of N+1, their
 * stats at hand, one ordered stop. anvil is a child under a watchdog (anvil.ts) so that it never
 * outlives the process.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import { DEVNET, type NetworkConfig } from '../config/network.js';
import type { BeaconConfig } from '../verify/beacon/index.js';
import { LesClient, type LesClientOptions } from '../client/engine/index.js';
import { LesProvider, type ProviderEngine, type ProviderSurfaceOptions } from '../client/provider.js';
import { startProxy } from '../proxy/index.js';
import { LesServer } from '../serve/index.js';
import { nodeEndpoints } from '../serve/chain/endpoints.js';
import { NodeRpcClient } from '../serve/rpc/client.js';
import { type DevAccount, devAccounts, devnetNodeKey } from './accounts.js';
import { DEVNET_HARDFORK, startAnvil } from './anvil.js';
import { type DevnetBeaconOptions, DevnetBeacon, startBeaconRest } from './beacon/index.js';
import { DevnetEngine } from './engine.js';
import { DevnetError } from './errors.js';
import { demoPages } from './page.js';
import { DevnetParts } from './parts.js';
import { TEST_METHODS } from './test-methods.js';

export const DEVNET_DEFAULTS = { servers: 2, seed: 'lesp-devnet', sections: 1, chainId: 31337, accounts: 10 } as const;
const HOST = '127.0.0.1';
const SECTIONS_PATIENCE_MS = 120_000;

export interface DevnetOptions {
  /** LES servers (default 2), all trusted by the light client. */
  servers?: number;
  /** Follow this node (http(s)://, or ws(s):// for pushed heads) instead of starting anvil. */
  rpc?: string;
  /** anvil's port (default 0: a free one). */
  anvilPort?: number;
  /** anvil's chain id (default 31337). */
  chainId?: number;
  /** anvil mines a block every s seconds (default 0: a block per transaction). */
  blockTime?: number;
  /** The anvil executable (default: from @foundry-rs/anvil, else `anvil` on PATH). */
  anvilBinary?: string;
  /** Helper-trie sections built before the proxy starts (default 1; anvil mines the blocks they need). */
  sections?: number;
  /** RLPx port of the first server, server i on lesPort + i (default 0: free ports). */
  lesPort?: number;
  /** Seed of the servers' node keys, keccak256("<seed>/<i>") (default 'lesp-devnet'). */
  seed?: string;
  /** The proxy's address (default 127.0.0.1) and port (default 0: a free one). */
  httpHost?: string;
  httpPort?: number;
  /** Browser origins allowed to call the proxy (default: loopback pages). */
  corsOrigins?: readonly string[];
  /** The light client's EVM and back-fill limits. */
  call?: LesClientOptions['call'];
  backfill?: LesClientOptions['backfill'];
  /**
   * A beacon chain beside the node (src/devnet/beacon): its sync committee signs the node's heads
   * and a local beacon API serves the light-client data (true: mainnet preset, 1 s slots).
   */
  beacon?: boolean | DevnetBeaconOptions;
  /** pino-compatible logger (default silent). */
  log?: Logger;
  /** Start-up stages ("starting anvil", …) and section progress, e.g. for a progress bar. */
  onProgress?(progress: { stage: string; done?: number; total?: number }): void;
  /** anvil exited while the devnet ran (not through stop()). */
  onNodeExit?(code: number | null): void;
  /** Stops the start-up: what started is stopped and startDevnet rejects (DevnetError STOPPED). */
  signal?: AbortSignal;
}

export interface DevnetNode {
  /** The node's own JSON-RPC (unverified: what the light client checks against). */
  url: string;
  /** web3_clientVersion, e.g. "anvil/v1.7.1". */
  clientVersion: string;
  /** e.g. "hardfork prague, a block per transaction, pid 1234", or "your node". */
  note: string;
}

export interface Devnet {
  /** The verifying proxy (HTTP): every eth_* answer verified over LES; the node's test methods forwarded. */
  rpcUrl: string;
  /** The same on WebSocket (eth_subscribe). */
  wsUrl: string;
  chainId: bigint;
  genesisHash: string;
  /** The network config (DEVNET with this chain id). */
  network: NetworkConfig;
  /** The LES servers, ready for LesClient/LesProvider's `servers` option. */
  servers: { enode: string; trusted: true }[];
  /** The same servers' WebSocket listeners (`?transport=ws` enodes, free ports): what a browser dials. */
  wsServers: string[];
  /** The node's funded accounts, with the public test keys of anvil's well-known mnemonic. */
  accounts: DevAccount[];
  node: DevnetNode;
  /** The chain's head when the devnet became ready. */
  readyHead: number;
  /** With `beacon`: the beacon API serving the devnet beacon chain's light-client data. */
  beaconApiUrl?: string;
  /** With `beacon`: the root of the beacon chain's first block, a light client's checkpoint. */
  checkpoint?: string;
  /** With `beacon`: the beacon chain's config (trust.config of a client in beacon mode). */
  beaconConfig?: BeaconConfig;
  /** With `beacon`: the beacon chain itself (its heads, its negative cases). */
  beacon?: DevnetBeacon;
  /** The light client behind the proxy and the providers. */
  engine: DevnetEngine;
  /**
   * An ethers LesProvider on the devnet's light client (shared, so it follows rewinds too); the test
   * methods work through its `send()`. Closing it leaves the devnet running; `stop()` ends it.
   */
  provider(options?: ProviderSurfaceOptions): LesProvider;
  /** Stops the proxy, the light client, the servers and anvil, in that order. Idempotent. */
  stop(): Promise<void>;
}

interface Node extends DevnetNode {
  /** Where the servers follow it: ws:// for anvil (new heads pushed), else as given. */
  followUrl: string;
  rpc: NodeRpcClient;
  ownAnvil: boolean;
}

function count(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new DevnetError('BAD_OPTIONS', `${name} must be an integer in [${min}, ${max}], got ${String(v)}`, { field: name });
  return n;
}

function checkOptions(o: DevnetOptions) {
  const servers = count('servers', o.servers, DEVNET_DEFAULTS.servers, 1, 16);
  const lesPort = count('lesPort', o.lesPort, 0, 0, 65535);
  if (lesPort !== 0 && lesPort + servers - 1 > 65535) throw new DevnetError('BAD_OPTIONS', `lesPort ${lesPort} leaves no room for ${servers} servers`, { field: 'lesPort' });
  if (o.rpc !== undefined) {
    const given = (['anvilPort', 'chainId', 'blockTime', 'anvilBinary'] as const).filter((k) => o[k] !== undefined);
    if (given.length > 0) throw new DevnetError('BAD_OPTIONS', `rpc uses a node of your own: ${given.join(', ')} apply only to the anvil the devnet starts`, { field: given[0] });
  }
  const seed = o.seed ?? DEVNET_DEFAULTS.seed;
  if (seed.length === 0 || seed.length > 256) throw new DevnetError('BAD_OPTIONS', 'seed must have 1 to 256 characters', { field: 'seed' });
  return {
    servers,
    lesPort,
    seed,
    sections: count('sections', o.sections, DEVNET_DEFAULTS.sections, 0, 64),
    anvilPort: count('anvilPort', o.anvilPort, 0, 0, 65535),
    chainId: count('chainId', o.chainId, DEVNET_DEFAULTS.chainId, 1, 2 ** 32 - 1),
    blockTime: count('blockTime', o.blockTime, 0, 0, 3600),
    httpPort: count('httpPort', o.httpPort, 0, 0, 65535),
    httpHost: o.httpHost ?? HOST,
  };
}

async function startNode(o: DevnetOptions, c: ReturnType<typeof checkOptions>, parts: DevnetParts, log: Logger): Promise<Node> {
  if (o.rpc !== undefined) {
    const httpUrl = nodeEndpoints(o.rpc).httpUrl;
    const rpc = new NodeRpcClient({ url: httpUrl, retries: 0, timeoutMs: 5000 });
    return { url: httpUrl, followUrl: o.rpc, clientVersion: '', note: 'your node', rpc, ownAnvil: false };
  }
  const anvil = await startAnvil({ host: HOST, port: c.anvilPort, chainId: c.chainId, blockTime: c.blockTime, binary: o.anvilBinary, log });
  parts.add({ name: 'anvil', stop: () => anvil.stop(), killNow: () => anvil.killNow() });
  void anvil.exited.then((code) => {
    if (parts.stopping) return;
    log.error({ code }, 'anvil exited');
    o.onNodeExit?.(code);
  });
  const mining = c.blockTime > 0 ? `a block every ${c.blockTime} s` : 'a block per transaction';
  const rpc = new NodeRpcClient({ url: anvil.url, retries: 0, timeoutMs: 5000 });
  return { url: anvil.url, followUrl: anvil.wsUrl, clientVersion: '', note: `hardfork ${DEVNET_HARDFORK}, ${mining}, pid ${anvil.pid}`, rpc, ownAnvil: true };
}

/** Brings the chain to the head the first sections need (our anvil), or to block 1 (a node of yours at genesis). */
async function prepareChain(node: Node, network: NetworkConfig, sections: number, log: Logger): Promise<number> {
  let head = Number(await node.rpc.call<string>('eth_blockNumber'));
  const want = node.ownAnvil ? Math.max(1, sections * network.sectionSize - 1 + network.buildConfirmations) : 1;
  if (head >= want) return head;
  const blocks = want - head;
  try {
    if (node.ownAnvil) await node.rpc.call('anvil_mine', [`0x${blocks.toString(16)}`]);
    else await node.rpc.call('evm_mine', []);
  } catch (err) {
    throw new DevnetError('NODE_AT_GENESIS', `the node at ${node.url} is at its genesis block, whose state cannot be proven here, and did not mine a block (${(err as Error).message}); send it a transaction first`);
  }
  head = Number(await node.rpc.call<string>('eth_blockNumber'));
  log.info({ head, mined: blocks }, 'blocks mined for the first sections');
  return head;
}

async function waitForSections(servers: LesServer[], want: number, o: DevnetOptions, log: Logger, signal: AbortSignal | undefined): Promise<void> {
  const total = want * servers.length;
  const deadline = Date.now() + SECTIONS_PATIENCE_MS;
  for (;;) {
    const done = servers.reduce((n, s) => n + Math.min(want, s.stats().sections), 0);
    o.onProgress?.({ stage: `building helper-trie sections (${servers.length} servers)`, done, total });
    if (done >= total || signal?.aborted === true) return;
    if (Date.now() > deadline) {
      log.warn({ built: done, wanted: total }, 'first sections not built yet; starting the proxy anyway');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function portInUse(err: unknown, what: string, field: string): unknown {
  return (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new DevnetError('PORT_IN_USE', `${what} is in use (${field}; 0 picks a free port)`, { field, cause: err }) : err;
}

export async function startDevnet(options: DevnetOptions = {}): Promise<Devnet> {
  const c = checkOptions(options);
  const log = options.log ?? pino({ level: 'silent' });
  const parts = new DevnetParts(log);
  const signal = options.signal;
  const stage = (text: string): void => {
    if (signal?.aborted === true) throw new DevnetError('STOPPED', 'the devnet was stopped while starting');
    options.onProgress?.({ stage: text });
  };
  const onAbort = (): void => void parts.stop();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    stage(options.rpc === undefined ? 'starting anvil' : `connecting to ${options.rpc}`);
    const node = await startNode(options, c, parts, log);
    let chainId: bigint;
    try {
      chainId = BigInt(await node.rpc.call<string>('eth_chainId'));
      node.clientVersion = await node.rpc.call<string>('web3_clientVersion').catch(() => 'unknown client');
    } catch (err) {
      throw new DevnetError('NODE_UNREACHABLE', `the node at ${node.url} does not answer (${(err as Error).message})`, { cause: err });
    }
    const network: NetworkConfig = { ...DEVNET, chainId, networkId: chainId };
    stage('mining the first blocks');
    const head = await prepareChain(node, network, c.sections, log);
    const genesisHash = (await node.rpc.call<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    let beacon: { chain: DevnetBeacon; url: string } | undefined;
    if (options.beacon !== undefined && options.beacon !== false) {
      stage('starting the beacon chain');
      const chain = await DevnetBeacon.create(node.rpc, options.beacon === true ? {} : options.beacon);
      chain.start();
      parts.add({ name: 'beacon chain', stop: () => chain.stop() });
      const rest = await startBeaconRest(chain, { host: HOST });
      parts.add({ name: 'beacon API', stop: () => rest.close() });
      beacon = { chain, url: rest.url };
    }

    stage(`starting ${c.servers} LES server${c.servers === 1 ? '' : 's'}`);
    const lesServers = Array.from({ length: c.servers }, (_, i) => {
      const server = new LesServer({
        rpcUrl: node.followUrl,
        host: HOST,
        port: c.lesPort === 0 ? 0 : c.lesPort + i,
        // Browsers cannot open TCP: each server also takes LES over WebSocket, on a free port.
        wsPort: 0,
        nodeKey: devnetNodeKey(c.seed, i),
        network,
        pollIntervalMs: 250,
        progressStream: null,
        // With the beacon chain, each server relays it too (the "lesp/beacon" extension).
        ...(beacon === undefined ? {} : { beaconApi: beacon.url }),
        log: log.child({ part: `server${i}` }),
      });
      parts.add({ name: `server${i}`, stop: () => server.stop() });
      return server;
    });
    const enodes = await Promise.all(lesServers.map((s) => s.start())).catch((err: unknown) => {
      throw portInUse(err, `an LES port from ${c.lesPort}`, 'lesPort');
    });
    const available = Math.max(0, Math.floor((head - network.buildConfirmations + 1) / network.sectionSize));
    const want = Math.min(c.sections, available);
    if (want > 0) await waitForSections(lesServers, want, options, log, signal);

    stage('connecting the light client to the servers');
    const servers = enodes.map((enode) => ({ enode, trusted: true as const }));
    const engine = new DevnetEngine({
      network,
      node: node.rpc,
      nodeUrl: node.url,
      servers: lesServers,
      createClient: () =>
        new LesClient({
          servers,
          network,
          genesisHash,
          timeouts: { startMs: 30_000 },
          call: options.call,
          backfill: options.backfill,
          logger: log.child({ part: 'client' }),
        }),
    });
    parts.add({ name: 'client', stop: () => engine.stop() });
    await engine.start();
    const proxy = await startProxy({
      backend: engine,
      host: c.httpHost,
      port: c.httpPort,
      corsOrigins: options.corsOrigins,
      unverified: TEST_METHODS,
      upstream: engine.testMethods,
      pages: demoPages({ network, chainId, genesisHash, wsEnodes: lesServers.map((s) => s.wsEnode as string) }),
      log: log.child({ part: 'proxy' }),
    }).catch((err: unknown) => {
      throw portInUse(err, `${c.httpHost}:${c.httpPort}`, 'httpPort');
    });
    parts.add({ name: 'proxy', stop: () => proxy.close() });

    const accounts = await devAccounts(node.rpc, DEVNET_DEFAULTS.accounts);
    await engine.testMethods.takeBase();
    const readyHead = Number(await node.rpc.call<string>('eth_blockNumber'));
    stage('ready');
    log.info({ proxy: proxy.url, node: node.url, enodes, chainId: chainId.toString(), genesisHash }, 'devnet up');

    const providers = new Set<LesProvider>();
    // A provider's close() must not stop the shared engine: its view stops nothing.
    const view: ProviderEngine = {
      start: () => engine.start(),
      stop: async () => undefined,
      request: (method, params) => engine.request(method, params),
      head: () => engine.head(),
      on: (event, listener) => engine.on(event, listener),
      off: (event, listener) => engine.off(event, listener),
      network,
    };
    return {
      rpcUrl: proxy.url,
      wsUrl: proxy.wsUrl,
      chainId,
      genesisHash,
      network,
      servers,
      wsServers: lesServers.map((s) => s.wsEnode as string),
      accounts,
      node: { url: node.url, clientVersion: node.clientVersion, note: node.note },
      readyHead,
      ...(beacon === undefined ? {} : { beaconApiUrl: beacon.url, checkpoint: beacon.chain.checkpoint, beaconConfig: beacon.chain.config, beacon: beacon.chain }),
      engine,
      provider(surface = {}) {
        const p = new LesProvider({ ...surface, engine: view });
        providers.add(p);
        return p;
      },
      async stop() {
        for (const p of providers) p.destroy();
        providers.clear();
        await parts.stop();
      },
    };
  } catch (err) {
    await parts.stop();
    if (signal?.aborted === true && !(err instanceof DevnetError && err.code === 'STOPPED')) {
      throw new DevnetError('STOPPED', 'the devnet was stopped while starting', { cause: err });
    }
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
