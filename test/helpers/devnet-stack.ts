/**
 * A whole devnet in one test process, as `lesp devnet` runs it: anvil (started here on a free
 * 127.0.0.1 port), N in-process LesServers following it (what `lesp serve` starts, with the devnet's
 * section size and confirmations), and a LesClient dialing them with a LesProvider (ethers) and an
 * EIP-1193 object over that one engine. `stop()` stops everything that was started here.
 *
 * The pieces can be used apart: `startServers` on a running anvil, `startClient` on any servers
 * (the lying-server tests start one client per case against long-lived servers).
 */
import { LesClient, type LesClientOptions, LesProvider, createEip1193Provider } from '../../src/index.js';
import type { LesEip1193Provider } from '../../src/client/eip1193.js';
import { LesServer, type LesServerOptions } from '../../src/serve/index.js';
import { type Anvil, type AnvilOptions, rpcCall, startAnvil } from './anvil.js';
import { startRpcGate } from './rpc-gate.js';

/** The devnet's sections: 64 blocks, built (and used) 16 blocks past their end. */
export const DEVNET_SECTION_SIZE = 64;
export const DEVNET_CONFIRMATIONS = 16;

/** Resolves once `fn` gives a value other than undefined, polling; rejects after `ms`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    // A poll that never returns fails at the deadline too, naming what was awaited.
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (a poll did not return)`)), Math.max(0, end - Date.now()) + 1000);
    });
    const v = await Promise.race([fn(), stuck]).finally(() => clearTimeout(timer));
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export type ServerOverrides = Partial<Omit<LesServerOptions, 'rpcUrl'>>;

/** Starts `count` LesServers in front of `anvil` (fresh node keys, free ports, memory stores). */
export async function startServers(anvil: Anvil, count: number, overrides: ServerOverrides | ((i: number) => ServerOverrides) = {}): Promise<LesServer[]> {
  const servers = Array.from({ length: count }, (_, i) => {
    const o = typeof overrides === 'function' ? overrides(i) : overrides;
    return new LesServer({
      rpcUrl: anvil.url,
      host: '127.0.0.1',
      port: 0,
      pollIntervalMs: 50,
      sectionSize: DEVNET_SECTION_SIZE,
      confirmations: DEVNET_CONFIRMATIONS,
      progressStream: null,
      ...o,
    });
  });
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (e) {
    await Promise.all(servers.map((s) => s.stop()));
    throw e;
  }
  return servers;
}

/** Resolves when every running server has followed anvil to its head: blocks, state and sections. */
export async function serversIdle(anvil: Anvil, servers: readonly LesServer[]): Promise<number> {
  const head = Number(await anvil.rpc<string>('eth_blockNumber'));
  await Promise.all(
    servers.filter((s) => s.started).map(async (s) => {
      await until(`server at block ${head}`, async () => {
        await s.stack.idle();
        const st = s.stats();
        return st.head.number >= head && st.stateHead >= head ? true : undefined;
      });
    }),
  );
  return head;
}

export interface ClientSurfaces {
  client: LesClient;
  provider: LesProvider;
  eip: LesEip1193Provider;
  /** Stops the surfaces and the engine. */
  stop(): Promise<void>;
}

export type ClientOverrides = Partial<Omit<LesClientOptions, 'servers' | 'network' | 'genesisHash'>>;

/** The genesis hash of anvil's chain. */
export async function genesisOf(anvil: Anvil): Promise<string> {
  return (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
}

/**
 * A LesClient on the devnet network dialing `servers` (each trusted unless said otherwise), a
 * LesProvider and an EIP-1193 object over it; resolves once the client has a trusted head.
 */
export async function startClient(
  anvil: Anvil,
  servers: ReadonlyArray<LesServer | { enode: string; trusted?: boolean }>,
  overrides: ClientOverrides = {},
): Promise<ClientSurfaces> {
  const list = servers.map((s) => (s instanceof LesServer ? { enode: s.enode, trusted: true } : { enode: s.enode, trusted: s.trusted ?? true }));
  const client = new LesClient({ network: 'devnet', genesisHash: await genesisOf(anvil), ...overrides, servers: list });
  const provider = new LesProvider({ engine: client, network: 'devnet' });
  const eip = createEip1193Provider({ engine: client, network: 'devnet' });
  const stop = async () => {
    await provider.close();
    await eip.close();
    await client.stop();
  };
  try {
    await provider.start();
  } catch (e) {
    await stop();
    throw e;
  }
  return { client, provider, eip, stop };
}

/** Resolves once the client's trusted head is anvil's head. */
export async function clientAtHead(anvil: Anvil, client: LesClient): Promise<number> {
  const n = Number(await anvil.rpc<string>('eth_blockNumber'));
  await until(`the client at block ${n}`, () => ((client.head()?.header.number ?? -1) >= n ? true : undefined));
  return n;
}

/** Resolves once the client trusts helper-trie section `index` (CHT and BloomTrie roots). */
export async function clientTrustsSection(client: LesClient, index: number): Promise<void> {
  await until(`the client trusting section ${index}`, () => ((client.parts?.chain.latestSection()?.index ?? -1) >= index ? true : undefined));
}

export interface DevnetOptions {
  anvil?: AnvilOptions;
  /** LES servers (default 2). */
  servers?: number;
  serverOptions?: ServerOverrides | ((i: number) => ServerOverrides);
  /** Runs on anvil after the servers started following it and before the client starts. */
  workload?: (anvil: Anvil) => Promise<void>;
  client?: ClientOverrides;
  /** Start no client (default false). */
  noClient?: boolean;
}

export interface Devnet {
  anvil: Anvil;
  servers: LesServer[];
  /** Undefined with `noClient`. */
  surfaces: ClientSurfaces | undefined;
  stop(): Promise<void>;
}

/**
 * `anvil` as seen through an RpcGate: everyone (servers, workload, tests) talks to the gate, so
 * nothing mines while anvil answers anything else.
 */
async function behindGate(anvil: Anvil): Promise<Anvil> {
  let gate;
  try {
    gate = await startRpcGate(anvil.url);
  } catch (e) {
    await anvil.stop();
    throw e;
  }
  const url = gate.url;
  return {
    url,
    port: Number(new URL(url).port),
    rpc: <T>(method: string, params: unknown[] = []) => rpcCall<T>(url, method, params),
    async stop() {
      await gate.close();
      await anvil.stop();
    },
  };
}

/**
 * anvil (prague) → one empty block (anvil's genesis header carries the empty stateRoot, so state is
 * provable from block 1 on) → the servers, which follow while `workload` runs → the client.
 */
export async function startDevnet(o: DevnetOptions = {}): Promise<Devnet> {
  const anvil = await behindGate(await startAnvil({ hardfork: 'prague', ...o.anvil }));
  let servers: LesServer[] = [];
  let surfaces: ClientSurfaces | undefined;
  const stop = async () => {
    await surfaces?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await anvil.stop();
  };
  try {
    await anvil.rpc('anvil_mine', ['0x1']);
    servers = await startServers(anvil, o.servers ?? 2, o.serverOptions);
    await o.workload?.(anvil);
    await serversIdle(anvil, servers);
    if (o.noClient !== true) {
      surfaces = await startClient(anvil, servers, o.client);
      await clientAtHead(anvil, surfaces.client);
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { anvil, servers, surfaces, stop };
}
