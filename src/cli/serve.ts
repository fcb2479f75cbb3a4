/**
 * `lesp serve`: an LES server in front of an execution node. Prints its enode URL on stdout once
 * listening, logs progress as pino JSON on stderr, exits 0 after flushing its store on SIGINT or
 * SIGTERM. A bad flag, an unreadable key or config file, or a node that does not answer ends it
 * with one line on stderr and exit code 1, never a stack trace.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { BUILTIN_NETWORKS, BUILTIN_NETWORK_NAMES, type NetworkConfig, parseNetworkConfig } from '../config/network.js';
import { DEFAULT_LES_PORT, LesServer } from '../serve/index.js';
import { allocPreimages } from '../serve/state/preimages.js';
import { CliFailure, runAction } from './failure.js';
import { createLogger } from './logging.js';
import { type DiscoveryFlags, discoveryOptions, discoverySettings, httpUrlArg, intArg, logLevelOption, urlArg } from './options.js';
import { stopOnSignals } from './signals.js';

interface ServeFlags extends DiscoveryFlags {
  rpc: string;
  port: number;
  wsPort?: number;
  host: string;
  datadir?: string;
  nodekey?: Uint8Array;
  nodekeyFile?: string;
  network: string;
  sectionSize?: number;
  confirmations?: number;
  recentState?: number;
  genesisAlloc?: string;
  beaconApi?: string;
  logLevel: string;
}

/** --genesis-alloc: read and check the file now, so a bad one fails before anything starts. */
function loadAlloc(flags: ServeFlags): unknown {
  if (flags.genesisAlloc === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(flags.genesisAlloc, 'utf8')) as unknown;
  } catch (err) {
    const why = err instanceof SyntaxError ? 'not JSON' : ((err as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new CliFailure(`--genesis-alloc: cannot read ${flags.genesisAlloc} (${why})`);
  }
  try {
    allocPreimages(json);
  } catch (err) {
    throw new CliFailure(`--genesis-alloc ${flags.genesisAlloc}: ${(err as Error).message}`);
  }
  return json;
}

function parseKeyHex(text: string, where: string): Uint8Array {
  const hex = text.trim().replace(/^0x/, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new CliFailure(`${where}: a node key is 64 hex digits (32 bytes)`);
  const key = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (!secp256k1.utils.isValidPrivateKey(key)) throw new CliFailure(`${where}: not a valid secp256k1 private key`);
  return key;
}

function keyArg(value: string): Uint8Array {
  try {
    return parseKeyHex(value, '--nodekey');
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--nodekey: /, ''));
  }
}

function loadNetwork(name: string): NetworkConfig {
  const builtin = BUILTIN_NETWORKS[name];
  if (builtin !== undefined) return builtin;
  let text: string;
  try {
    text = readFileSync(name, 'utf8');
  } catch (err) {
    throw new CliFailure(`--network: "${name}" is neither a built-in network (${BUILTIN_NETWORK_NAMES.join(', ')}) nor a readable config file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return parseNetworkConfig(JSON.parse(text) as unknown);
  } catch (err) {
    throw new CliFailure(`--network ${name}: ${(err as Error).message}`);
  }
}

/** The node key and where it came from: flag, file, the datadir (created once, then reused), or fresh. */
function loadNodeKey(flags: ServeFlags): { key: Uint8Array; source: string } {
  if (flags.nodekey !== undefined) return { key: flags.nodekey, source: '--nodekey' };
  if (flags.nodekeyFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags.nodekeyFile, 'utf8');
    } catch (err) {
      throw new CliFailure(`--nodekey-file: cannot read ${flags.nodekeyFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return { key: parseKeyHex(text, `--nodekey-file ${flags.nodekeyFile}`), source: flags.nodekeyFile };
  }
  if (flags.datadir === undefined) return { key: secp256k1.utils.randomPrivateKey(), source: 'ephemeral' };
  const path = join(flags.datadir, 'nodekey');
  if (existsSync(path)) return { key: parseKeyHex(readFileSync(path, 'utf8'), path), source: path };
  mkdirSync(flags.datadir, { recursive: true });
  const key = secp256k1.utils.randomPrivateKey();
  writeFileSync(path, `${Buffer.from(key).toString('hex')}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { key, source: `${path} (new)` };
}

async function runServe(flags: ServeFlags): Promise<void> {
  const network = loadNetwork(flags.network);
  const genesisAlloc = loadAlloc(flags);
  const { key, source } = loadNodeKey(flags);
  const log = createLogger('serve', flags.logLevel);
  if (flags.datadir === undefined) log.warn({}, 'no --datadir: using a temporary in-memory store; nothing is kept after exit');
  if (source === 'ephemeral') log.warn({}, 'no node key given: using an ephemeral one (a new enode every start; give --datadir to keep it)');
  else log.info({ source }, 'node key loaded');
  const discovery = discoverySettings(flags, network.name, flags.host);
  const server = new LesServer({
    rpcUrl: flags.rpc,
    datadir: flags.datadir,
    nodeKey: key,
    host: flags.host,
    port: flags.port,
    wsPort: flags.wsPort,
    network,
    sectionSize: flags.sectionSize,
    confirmations: flags.confirmations,
    recentState: flags.recentState,
    genesisAlloc,
    beaconApi: flags.beaconApi,
    discovery: discovery.on ? { bootnodes: discovery.bootnodes } : undefined,
    log,
  });
  stopOnSignals(log, () => server.stop());
  // A signal during start stops it (the header fill included); stop() then exits.
  const enode = await server.start().catch((err: unknown) => {
    if ((err as { code?: unknown }).code === 'SERVE_STOPPED') return undefined;
    throw err;
  });
  if (enode === undefined) return;
  console.log(enode);
  // The WebSocket listener's enode on its own line after the TCP one, only when asked for.
  if (server.wsEnode !== undefined) console.log(server.wsEnode);
}

export function registerServe(program: Command): void {
  const serve = program
    .command('serve')
    .description('serve light clients over LES (les/2-4) from an execution node')
    .requiredOption('--rpc <url>', 'the execution node (http(s)://, or ws(s):// to also subscribe to new heads)', urlArg)
    .option('--port <n>', 'RLPx listening port (0: any free port)', intArg(0, 65535), DEFAULT_LES_PORT)
    .option('--host <addr>', 'listening address', '127.0.0.1')
    .addOption(new Option('--ws-port <n>', 'also accept LES over WebSocket on this port, on --host (0: any free port; browsers dial it)').argParser(intArg(0, 65535)).default(undefined, 'off'))
    .option('--datadir <dir>', 'LevelDB directory (default: a temporary in-memory store)')
    .addOption(new Option('--nodekey <hex>', 'node private key, 64 hex digits').argParser(keyArg).conflicts('nodekeyFile'))
    .option('--nodekey-file <file>', 'file holding the node private key in hex')
    .option('--network <name|file>', 'mainnet, sepolia, holesky, hoodi, devnet or a network config JSON file', 'devnet')
    .addOption(new Option('--section-size <n>', 'blocks per CHT/BloomBits section (overrides the network)').argParser(intArg(8)).default(undefined, "the network's"))
    .addOption(new Option('--confirmations <n>', 'confirmations before a section is built (overrides the network)').argParser(intArg(0)).default(undefined, "the network's"))
    .addOption(new Option('--recent-state <n>', 'serve state of at most the N latest blocks (0: as far back as the node proves, probed at start)').argParser(intArg(0)).default(undefined, '0'))
    .option('--genesis-alloc <file>', 'a genesis file or its alloc (go-ethereum notation): its addresses and slots seed the preimage index, so standard les/4 requests for them are served')
    .option('--beacon-api <url>', "a beacon node REST API whose light-client data is relayed to clients that ask (the \"lesp/beacon\" extension; they verify it themselves)", httpUrlArg);
  for (const o of discoveryOptions('answer, advertise this server and find peers, on --host and the --port number')) serve.addOption(o);
  serve
    .addOption(logLevelOption())
    .action(runAction('serve', runServe));
}
