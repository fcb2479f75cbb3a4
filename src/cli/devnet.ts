/**
 * `lesp devnet`: startDevnet() (src/devnet) from the command line. The flags become its options,
 * a progress line on a terminal follows its stages, and once it is up the summary
 * (devnet-report.ts) goes to stdout: chain id, genesis hash, node, enodes, proxy, dev accounts and
 * ready `lesp proxy` / `new LesProvider` lines. Logs are pino JSON on stderr (`--log-level`,
 * default warn so the summary stays readable). SIGINT/SIGTERM/SIGHUP stop everything and exit 0.
 * With --admin-port the light client's management endpoint (addnode, getpeerinfo) runs too; its
 * URL and token follow the summary.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { DEFAULT_PROXY_PORT } from '../proxy/index.js';
import { type Devnet, startDevnet } from '../devnet/index.js';
import { type AdminEndpointFlags, DEFAULT_CLIENT_ADMIN_PORT, addAdminOptions, printAdmin, startProxyAdmin } from './admin.js';
import { StartupProgress } from './devnet-progress.js';
import { formatSummary } from './devnet-report.js';
import { CliFailure, exitWithFailure, runAction } from './failure.js';
import { createLogger } from './logging.js';
import { type BackfillFlags, type EvmLimitFlags, backfillLimits, backfillOptions, corsOriginOption, evmLimitOptions, evmLimits, hostArg, intArg, logLevelOption, urlArg } from './options.js';
import { checkPortFree } from './ports.js';
import { stopOnSignals } from './signals.js';

export const DEVNET_DEFAULTS = { servers: 2, lesPort: 30303, seed: 'lesp-devnet', sections: 1, chainId: 31337 } as const;
const HOST = '127.0.0.1';
const MAX_ACCOUNTS_SHOWN = 10;
const STOP_START_PATIENCE_MS = 10_000;

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
  beacon?: boolean;
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

async function runDevnet(flags: DevnetFlags): Promise<void> {
  checkDevnetFlags(flags);
  const log = createLogger('devnet', flags.logLevel);
  const progress = new StartupProgress();
  const abort = new AbortController();
  let devnet: Devnet | undefined;
  let starting: Promise<unknown> = Promise.resolve();
  let admin: Awaited<ReturnType<typeof startProxyAdmin>>;
  const stopAll = async (): Promise<void> => {
    progress.end();
    // A start in progress stops what it started before it rejects; it is waited for, not forever.
    abort.abort();
    await Promise.race([starting.catch(() => undefined), new Promise((r) => setTimeout(r, STOP_START_PATIENCE_MS).unref())]);
    await admin?.close();
    await devnet?.stop();
  };
  const signals = stopOnSignals(log, stopAll);
  let stopping = false;
  const onNodeExit = (code: number | null): void => {
    if (stopping || signals.stopping) return;
    stopping = true;
    progress.end();
    void stopAll().then(() => exitWithFailure('devnet', new CliFailure(`anvil exited unexpectedly (exit code ${code})`)));
  };
  try {
    await checkPortFree(flags.httpHost, flags.httpPort, '--http-port');
    if (flags.adminPort !== undefined && flags.adminPort !== 0) await checkPortFree(flags.adminHost ?? HOST, flags.adminPort, '--admin-port');
    for (let i = 0; i < flags.servers && flags.lesPort !== 0; i++) await checkPortFree(HOST, flags.lesPort + i, '--les-port');

    const started = startDevnet({
      servers: flags.servers,
      rpc: flags.rpc,
      ...(flags.rpc === undefined ? { anvilPort: flags.anvilPort, chainId: flags.chainId, blockTime: flags.blockTime } : {}),
      sections: flags.sections,
      beacon: flags.beacon === true,
      lesPort: flags.lesPort,
      seed: flags.seed,
      httpHost: flags.httpHost,
      httpPort: flags.httpPort,
      corsOrigins: flags.corsOrigin,
      call: evmLimits(flags),
      backfill: backfillLimits(flags),
      log,
      signal: abort.signal,
      onProgress: (p) => (p.total === undefined ? progress.stage(p.stage) : progress.bar(p.stage, p.done ?? 0, p.total)),
      onNodeExit,
    });
    starting = started;
    devnet = await started.catch((err: unknown) => {
      const field = (err as { code?: string; field?: string }).code === 'PORT_IN_USE' ? (err as { field?: string }).field : undefined;
      if (field === 'httpPort') throw new CliFailure(`${flags.httpHost}:${flags.httpPort} is in use (--http-port)`);
      if (field === 'lesPort') throw new CliFailure(`an LES port from ${flags.lesPort} is in use (--les-port; 0 picks free ports)`);
      throw err;
    });
    const running = devnet;
    admin = await startProxyAdmin(flags, { pool: () => running.engine.client.parts?.pool, log: log.child({ part: 'admin' }) });
    progress.end();
    if (signals.stopping) return;
    process.stdout.write(
      formatSummary({
        chainId: running.chainId,
        genesisHash: running.genesisHash,
        nodeUrl: running.node.url,
        nodeNote: `${running.node.clientVersion}; ${running.node.note}`,
        head: running.readyHead,
        enodes: running.servers.map((s) => s.enode),
        wsEnodes: running.wsServers,
        proxyUrl: running.rpcUrl,
        wsUrl: running.wsUrl,
        accounts: running.accounts.slice(0, MAX_ACCOUNTS_SHOWN),
        ...(running.beaconApiUrl === undefined ? {} : { beaconApiUrl: running.beaconApiUrl, checkpoint: running.checkpoint }),
      }),
    );
    if (admin !== undefined) printAdmin(admin);
  } catch (err) {
    progress.end();
    if (signals.stopping) return; // the signal's stop is under way and exits
    await stopAll();
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
    .option('--beacon', 'run a beacon chain beside the node: a 512-key sync committee signs its heads, a local beacon API serves the light-client data (URL and checkpoint in the summary)')
    .addOption(corsOriginOption());
  for (const o of evmLimitOptions()) devnet.addOption(o);
  for (const o of backfillOptions()) devnet.addOption(o);
  addAdminOptions(devnet, 'addnode, getpeerinfo of the proxy', DEFAULT_CLIENT_ADMIN_PORT, 'one created at each start and printed')
    .addOption(logLevelOption('warn'))
    .action(runAction('devnet', runDevnet));
}
