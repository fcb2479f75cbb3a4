/**
 * `lesp devnet`: a development chain behind the verifying proxy, in one command. Starts anvil
 * (hardfork pinned to prague; or follows `--rpc <url>`), mines the blocks of the first helper-trie
 * sections (block 1 at least: a genesis state is not provable), starts N LES servers following
 * it with node keys derived from a seed (same seed and ports, same enodes on every run), waits
 * for their first sections (a bar on a terminal), starts a LesClient trusting those servers and
 * the proxy in front of it, then prints the summary (devnet-report.ts) on stdout. Logs are pino
 * JSON on stderr (`--log-level`, default warn so the summary stays readable).
 *
 * The servers, client and proxy run in this process: one Node start-up instead of N+1 on a
 * small machine, their stats are at hand for the progress bar, and one ordered stop covers them
 * all. anvil is a child process under a watchdog (devnet-anvil.ts) so that it never outlives us.
 * SIGINT/SIGTERM/SIGHUP stop everything and exit 0. With --admin-port the light client's management
 * endpoint (addnode, getpeerinfo) runs too; its URL and token follow the summary.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { DEVNET, type NetworkConfig } from '../config/network.js';
import { LesClient } from '../client/engine/index.js';
import { DEFAULT_PROXY_PORT, lesBackend, startProxy } from '../proxy/index.js';
import { type AdminEndpointFlags, DEFAULT_CLIENT_ADMIN_PORT, addAdminOptions, printAdmin, startProxyAdmin } from './admin.js';
import { LesServer } from '../serve/index.js';
import { nodeEndpoints } from '../serve/chain/endpoints.js';
import { NodeRpcClient } from '../serve/rpc/client.js';
import { DEVNET_HARDFORK, startAnvil } from './devnet-anvil.js';
import { DevnetParts } from './devnet-parts.js';
import { StartupProgress } from './devnet-progress.js';
import { type DevAccount, devnetNodeKey, formatSummary, wellKnownKeys } from './devnet-report.js';
import { CliFailure, exitWithFailure, runAction } from './failure.js';
import { type CliLogger, createLogger } from './logging.js';
import { type BackfillFlags, type EvmLimitFlags, backfillLimits, backfillOptions, corsOriginOption, evmLimitOptions, evmLimits, hostArg, intArg, logLevelOption, urlArg } from './options.js';
import { checkPortFree, freePort } from './ports.js';
import { stopOnSignals } from './signals.js';

export const DEVNET_DEFAULTS = { servers: 2, lesPort: 30303, seed: 'lesp-devnet', sections: 1, chainId: 31337 } as const;
const HOST = '127.0.0.1';
const MAX_ACCOUNTS_SHOWN = 10;
const SECTIONS_PATIENCE_MS = 120_000;

export interface DevnetFlags extends Partial<AdminEndpointFlags>, EvmLimitFlags, BackfillFlags {
  servers: number;
  rpc?: string;
  anvilPort: number;
  chainId: number;
  blockTime: number;
  sections: number;
  lesPort: number;
  seed: string;
  httpHost: string;
  httpPort: number;
  corsOrigin?: string[];
  logLevel: string;
}

function seedArg(value: string): string {
  if (value.length === 0 || value.length > 256) throw new InvalidArgumentError('expected 1 to 256 characters');
  return value;
}

/** Every check that needs no network. */
export function checkDevnetFlags(flags: DevnetFlags): void {
  if (flags.lesPort !== 0 && flags.lesPort + flags.servers - 1 > 65535) {
    throw new CliFailure(`--les-port ${flags.lesPort} leaves no room for ${flags.servers} servers (ports les-port .. les-port + servers - 1)`);
  }
  if (flags.rpc !== undefined) {
    const given = (['anvilPort', 'chainId', 'blockTime'] as const).filter((k) => flags[k] !== (k === 'chainId' ? DEVNET_DEFAULTS.chainId : 0));
    if (given.length > 0) throw new CliFailure(`--rpc uses a node of your own: ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} ${given.length === 1 ? 'applies' : 'apply'} only to the anvil devnet starts`);
  }
}

interface Node {
  /** Where the servers follow it: ws:// for anvil (new heads pushed), else as given. */
  followUrl: string;
  httpUrl: string;
  note: string;
  rpc: NodeRpcClient;
  ownAnvil: boolean;
}

async function startNode(flags: DevnetFlags, parts: DevnetParts, log: CliLogger, onAnvilExit: (code: number | null) => void): Promise<Node> {
  if (flags.rpc !== undefined) {
    const httpUrl = nodeEndpoints(flags.rpc).httpUrl;
    return { followUrl: flags.rpc, httpUrl, note: 'your node', rpc: new NodeRpcClient({ url: httpUrl, retries: 0, timeoutMs: 5000 }), ownAnvil: false };
  }
  const port = flags.anvilPort === 0 ? await freePort(HOST) : flags.anvilPort;
  const anvil = await startAnvil({ host: HOST, port, chainId: flags.chainId, blockTime: flags.blockTime, log });
  parts.add({ name: 'anvil', stop: () => anvil.stop(), killNow: () => anvil.killNow() });
  void anvil.exited.then(onAnvilExit);
  const mining = flags.blockTime > 0 ? `a block every ${flags.blockTime} s` : 'a block per transaction';
  return {
    followUrl: anvil.wsUrl,
    httpUrl: anvil.url,
    note: `hardfork ${DEVNET_HARDFORK}, ${mining}, pid ${anvil.pid}`,
    rpc: new NodeRpcClient({ url: anvil.url, retries: 0, timeoutMs: 5000 }),
    ownAnvil: true,
  };
}

/** Brings the chain to the head the first sections need (our anvil), or to block 1 (a node of yours at genesis). */
async function prepareChain(node: Node, network: NetworkConfig, sections: number, log: CliLogger): Promise<number> {
  let head = Number(await node.rpc.call<string>('eth_blockNumber'));
  const want = node.ownAnvil ? Math.max(1, sections * network.sectionSize - 1 + network.buildConfirmations) : 1;
  if (head >= want) return head;
  const blocks = want - head;
  try {
    if (node.ownAnvil) await node.rpc.call('anvil_mine', [`0x${blocks.toString(16)}`]);
    else await node.rpc.call('evm_mine', []);
  } catch (err) {
    throw new CliFailure(`the node at ${node.httpUrl} is at its genesis block, whose state cannot be proven here, and did not mine a block (${(err as Error).message}); send it a transaction first`);
  }
  head = Number(await node.rpc.call<string>('eth_blockNumber'));
  log.info({ head, mined: blocks }, 'blocks mined for the first sections');
  return head;
}

async function waitForSections(servers: LesServer[], want: number, progress: StartupProgress, log: CliLogger): Promise<void> {
  const total = want * servers.length;
  const deadline = Date.now() + SECTIONS_PATIENCE_MS;
  for (;;) {
    const done = servers.reduce((n, s) => n + Math.min(want, s.stats().sections), 0);
    progress.bar(`building helper-trie sections (${servers.length} servers)`, done, total);
    if (done >= total) return;
    if (Date.now() > deadline) {
      log.warn({ built: done, wanted: total }, 'first sections not built yet; starting the proxy anyway');
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function devAccounts(rpc: NodeRpcClient): Promise<DevAccount[]> {
  const addresses = (await rpc.call<string[]>('eth_accounts')).slice(0, MAX_ACCOUNTS_SHOWN);
  const keys = wellKnownKeys(MAX_ACCOUNTS_SHOWN);
  return Promise.all(
    addresses.map(async (address) => ({
      address,
      balanceWei: BigInt(await rpc.call<string>('eth_getBalance', [address, 'latest'])),
      privateKey: keys.get(address.toLowerCase()),
    })),
  );
}

async function runDevnet(flags: DevnetFlags): Promise<void> {
  checkDevnetFlags(flags);
  const log = createLogger('devnet', flags.logLevel);
  const progress = new StartupProgress();
  const parts = new DevnetParts(log);
  const signals = stopOnSignals(log, async () => {
    progress.end();
    await parts.stop();
  });
  process.once('exit', () => parts.killNow());
  const onAnvilExit = (code: number | null): void => {
    if (parts.stopping) return;
    progress.end();
    log.error({ code }, 'anvil exited');
    void parts.stop().then(() => exitWithFailure('devnet', new CliFailure(`anvil exited unexpectedly (exit code ${code})`)));
  };
  try {
    await checkPortFree(flags.httpHost, flags.httpPort, '--http-port');
    if (flags.adminPort !== undefined && flags.adminPort !== 0) await checkPortFree(flags.adminHost ?? HOST, flags.adminPort, '--admin-port');
    for (let i = 0; i < flags.servers && flags.lesPort !== 0; i++) await checkPortFree(HOST, flags.lesPort + i, '--les-port');

    progress.stage(flags.rpc === undefined ? 'starting anvil' : `connecting to ${flags.rpc}`);
    const node = await startNode(flags, parts, log, onAnvilExit);
    let chainId: bigint;
    let clientVersion: string;
    try {
      chainId = BigInt(await node.rpc.call<string>('eth_chainId'));
      clientVersion = await node.rpc.call<string>('web3_clientVersion').catch(() => 'unknown client');
    } catch (err) {
      throw new CliFailure(`the node at ${node.httpUrl} does not answer (${(err as Error).message})`);
    }
    const network: NetworkConfig = { ...DEVNET, chainId, networkId: chainId };
    progress.stage('mining the first blocks');
    const head = await prepareChain(node, network, flags.sections, log);
    const genesis = (await node.rpc.call<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;

    progress.stage(`starting ${flags.servers} LES server${flags.servers === 1 ? '' : 's'}`);
    const servers = Array.from({ length: flags.servers }, (_, i) => {
      const server = new LesServer({
        rpcUrl: node.followUrl,
        host: HOST,
        port: flags.lesPort === 0 ? 0 : flags.lesPort + i,
        nodeKey: devnetNodeKey(flags.seed, i),
        network,
        pollIntervalMs: 250,
        progressStream: null,
        log: log.child({ part: `server${i}` }),
      });
      parts.add({ name: `server${i}`, stop: () => server.stop() });
      return server;
    });
    const enodes = await Promise.all(servers.map((s) => s.start())).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliFailure(`an LES port from ${flags.lesPort} is in use (--les-port; 0 picks free ports)`);
      throw err;
    });
    const available = Math.max(0, Math.floor((head - network.buildConfirmations + 1) / network.sectionSize));
    const want = Math.min(flags.sections, available);
    if (want > 0) await waitForSections(servers, want, progress, log);

    progress.stage('connecting the light client to the servers');
    const client = new LesClient({
      servers: enodes.map((enode) => ({ enode, trusted: true })),
      network,
      genesisHash: genesis,
      timeouts: { startMs: 30_000 },
      call: evmLimits(flags),
      backfill: backfillLimits(flags),
      logger: log.child({ part: 'client' }),
    });
    parts.add({ name: 'client', stop: () => client.stop() });
    await client.start();
    const proxy = await startProxy({
      backend: lesBackend(client),
      host: flags.httpHost,
      port: flags.httpPort,
      corsOrigins: flags.corsOrigin,
      log: log.child({ part: 'proxy' }),
    }).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliFailure(`${flags.httpHost}:${flags.httpPort} is in use (--http-port)`);
      throw err;
    });
    parts.add({ name: 'proxy', stop: () => proxy.close() });
    const admin = await startProxyAdmin(flags, { pool: () => client.parts?.pool, log: log.child({ part: 'admin' }) });
    if (admin !== undefined) parts.add({ name: 'admin', stop: () => admin.close() });

    const accounts = await devAccounts(node.rpc);
    const nodeHead = Number(await node.rpc.call<string>('eth_blockNumber'));
    progress.end();
    if (signals.stopping) return;
    process.stdout.write(
      formatSummary({ chainId, nodeUrl: node.httpUrl, nodeNote: `${clientVersion}; ${node.note}`, head: nodeHead, enodes, proxyUrl: proxy.url, wsUrl: proxy.wsUrl, accounts }),
    );
    if (admin !== undefined) printAdmin(admin);
    log.info({ proxy: proxy.url, node: node.httpUrl, enodes, chainId: chainId.toString() }, 'devnet up');
  } catch (err) {
    progress.end();
    if (signals.stopping) return; // the signal's stop is under way and exits
    await parts.stop();
    throw err;
  }
}

export function registerDevnet(program: Command): void {
  const devnet = program
    .command('devnet')
    .description('start a development chain (anvil), LES servers following it and the verifying proxy in front of them')
    .option('--servers <n>', 'number of LES servers', intArg(1, 16), DEVNET_DEFAULTS.servers)
    .option('--rpc <url>', 'follow this node instead of starting anvil (http(s)://, or ws(s):// for pushed heads) (default: start anvil)', urlArg)
    .option('--anvil-port <n>', "anvil's port (0: any free port)", intArg(0, 65535), 0)
    .option('--chain-id <n>', "anvil's chain id", intArg(1, 2 ** 32 - 1), DEVNET_DEFAULTS.chainId)
    .option('--block-time <s>', 'anvil mines a block every s seconds (0: one block per transaction)', intArg(0, 3600), 0)
    .option('--sections <n>', 'helper-trie sections built before the proxy starts (anvil mines the blocks they need)', intArg(0, 64), DEVNET_DEFAULTS.sections)
    .option('--les-port <n>', 'RLPx port of the first LES server; server i uses les-port + i (0: any free ports)', intArg(0, 65535), DEVNET_DEFAULTS.lesPort)
    .option('--seed <text>', 'seed of the servers\' node keys, keccak256("<seed>/<i>"): same seed and ports, same enodes', seedArg, DEVNET_DEFAULTS.seed)
    .option('--http-host <addr>', 'listening address of the proxy', hostArg, HOST)
    .option('--http-port <n>', 'listening port of the proxy (HTTP and WebSocket)', intArg(0, 65535), DEFAULT_PROXY_PORT)
    .addOption(corsOriginOption());
  for (const o of evmLimitOptions()) devnet.addOption(o);
  for (const o of backfillOptions()) devnet.addOption(o);
  addAdminOptions(devnet, 'addnode, getpeerinfo of the proxy', DEFAULT_CLIENT_ADMIN_PORT, 'one created at each start and printed')
    .addOption(logLevelOption('warn'))
    .action(runAction('devnet', runDevnet));
}
