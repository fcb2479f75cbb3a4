/**
 * `lesp proxy`: the verifying light client behind a JSON-RPC 2.0 server (HTTP and WebSocket on one
 * port). Prints the proxy URL on stdout once it serves, logs as pino JSON on stderr, exits 0 after
 * closing the proxy and the client on SIGINT or SIGTERM. A bad flag, an unreadable file or a
 * client that cannot start ends it with one line on stderr and exit code 1, never a stack trace.
 * With --admin-port it also serves the light client's management endpoint (addnode,
 * getpeerinfo; token sessions as `lesp serve`'s) and prints its URL (and a new token) after the
 * proxy's.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BUILTIN_NETWORKS, BUILTIN_NETWORK_NAMES, type Checkpoint, type NetworkConfig, parseNetworkConfig } from '../config/network.js';
import { parseEnode, parseNodeId } from '../net/enode.js';
import { BEACON_CONFIGS } from '../verify/beacon/config.js';
import type { AdminEndpoint } from '../admin/index.js';
import { ClientError, LesClient, type LesClientOptions } from '../client/engine/index.js';
import { failureSummary } from '../client/servers/index.js';
import { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_PROXY_PORT, type RunningProxy, lesBackend, startProxy } from '../proxy/index.js';
import { type AdminEndpointFlags, DEFAULT_CLIENT_ADMIN_PORT, addAdminOptions, printAdmin, startProxyAdmin } from './admin.js';
import { CliFailure, runAction } from './failure.js';
import { type CliLogger, createLogger } from './logging.js';
import { type BackfillFlags, type DiscoveryFlags, type EvmLimitFlags, backfillLimits, backfillOptions, corsOriginOption, discoveryOptions, discoverySettings, evmLimitOptions, evmLimits, hostArg, httpUrlArg, intArg, logLevelOption, repeatable } from './options.js';
import { tcpProbe } from './ports.js';
import { stopOnSignals } from './signals.js';
const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

export interface ProxyFlags extends Partial<AdminEndpointFlags>, EvmLimitFlags, BackfillFlags, DiscoveryFlags {
  discoveryHost?: string;
  maxDiscovered?: number;
  server: string[];
  trusted: string[];
  fraction: number;
  checkpoint?: string;
  beaconApi?: string[];
  beaconCheckpoint?: string;
  finalizedOnly?: boolean;
  beaconLes?: boolean;
  network: string;
  genesisHash?: string;
  httpHost: string;
  httpPort: number;
  datadir?: string;
  unverified: string[];
  upstream?: string;
  corsOrigin: string[];
  maxBatch: number;
  maxBodyBytes: number;
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  logLevel: string;
}

function enodeArg(value: string): string {
  try {
    parseEnode(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

function trustedArg(value: string): string {
  try {
    if (value.toLowerCase().startsWith('enode://')) parseEnode(value);
    else parseNodeId(value);
  } catch (err) {
    throw new InvalidArgumentError(`neither an enode URL nor a 128-hex node id (${(err as Error).message})`);
  }
  return value;
}

/** Beacon trust from the flags: beacon nodes' REST APIs, the LES servers' relay, or both; none: server agreement. */
function beaconTrust(flags: ProxyFlags): LesClientOptions['trust'] {
  const urls = flags.beaconApi ?? [];
  if (urls.length === 0 && flags.beaconLes !== true) return undefined;
  return { mode: 'beacon', beaconApi: urls, les: flags.beaconLes === true || urls.length === 0, checkpoint: flags.beaconCheckpoint, finalizedOnly: flags.finalizedOnly };
}

/** `--beacon-api a,b` or repeated. */
function urlListArg(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((u) => httpUrlArg(u.trim()))];
}

function methodArg(value: string): string {
  if (!METHOD_NAME.test(value)) throw new InvalidArgumentError('not a JSON-RPC method name');
  return value;
}

function hashArg(value: string): string {
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(value)) throw new InvalidArgumentError('expected a 32-byte hash in hex');
  return value.startsWith('0x') ? value : `0x${value}`;
}

function readJsonFile(path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliFailure(`${flag}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliFailure(`${flag}: ${path} is not valid JSON`);
  }
}

export function loadNetwork(name: string): NetworkConfig {
  const builtin = BUILTIN_NETWORKS[name];
  if (builtin !== undefined) return builtin;
  let json: unknown;
  try {
    json = readJsonFile(name, '--network');
  } catch (err) {
    // A bare word is a network name, probably mistyped: say which names there are.
    if (/^[\w-]+$/.test(name)) throw new CliFailure(`--network: "${name}" is neither a built-in network (${BUILTIN_NETWORK_NAMES.join(', ')}) nor a readable config file`);
    throw err;
  }
  try {
    return parseNetworkConfig(json);
  } catch (err) {
    throw new CliFailure(`--network ${name}: ${(err as Error).message}`);
  }
}

/** `--checkpoint` is inline JSON or a file of it: {sectionIndex, sectionHead, chtRoot, bloomTrieRoot}. */
export function loadCheckpoint(value: string): Checkpoint {
  let json: unknown;
  if (value.trimStart().startsWith('{')) {
    try {
      json = JSON.parse(value) as unknown;
    } catch {
      throw new CliFailure('--checkpoint: not valid JSON');
    }
  } else json = readJsonFile(value, '--checkpoint');
  try {
    // The network parser's checkpoint rules, applied to this object alone.
    return parseNetworkConfig({ checkpoint: json }).checkpoint as Checkpoint;
  } catch (err) {
    throw new CliFailure(`--checkpoint: ${(err as Error).message}`);
  }
}

/** Every check that needs no network: the flags together. */
export function checkFlags(flags: ProxyFlags): { network: NetworkConfig; checkpoint: Checkpoint | undefined } {
  // Discovery stands in for --server only with a bootnode its socket can reach.
  const discovering = discoverySettings(flags, flags.network, flags.discoveryHost ?? '127.0.0.1').reachable.length > 0;
  if (flags.server.length === 0 && !discovering) throw new CliFailure('give at least one LES server with --server <enode> (or a reachable discovery bootnode with --bootnodes)');
  if (flags.bodyTimeoutMs < flags.headersTimeoutMs) throw new CliFailure('--body-timeout-ms must be at least --headers-timeout-ms (the body comes after the headers)');
  if (flags.unverified.length > 0 && flags.upstream === undefined) {
    throw new CliFailure('--unverified needs --upstream <url>: the node that answers those methods, unverified');
  }
  const ids = new Set(flags.server.map((s) => Buffer.from(parseEnode(s).id).toString('hex')));
  const trustedIds = flags.trusted.map((t) => Buffer.from(t.toLowerCase().startsWith('enode://') ? parseEnode(t).id : parseNodeId(t)).toString('hex'));
  const beacon = (flags.beaconApi?.length ?? 0) > 0 || flags.beaconLes === true;
  const beaconFlag = (flags.beaconApi?.length ?? 0) > 0 ? '--beacon-api' : '--beacon-les';
  if (!beacon && (flags.beaconCheckpoint !== undefined || flags.finalizedOnly === true)) {
    throw new CliFailure(`${flags.beaconCheckpoint === undefined ? '--finalized-only' : '--beacon-checkpoint'} needs --beacon-api <url> or --beacon-les: where the beacon chain's light-client data comes from`);
  }
  if (beacon && flags.beaconCheckpoint === undefined && flags.datadir === undefined) {
    throw new CliFailure(`${beaconFlag} needs --beacon-checkpoint <block root> (or a --datadir where an earlier run saved one)`);
  }
  if (!beacon && !trustedIds.some((id) => ids.has(id)) && !(discovering && trustedIds.length > 0)) {
    throw new CliFailure('no trusted server: name at least one of the --server nodes with --trusted (the head is what trusted servers agree on), or verify heads from the beacon chain with --beacon-api or --beacon-les');
  }
  const network = loadNetwork(flags.network);
  if (beacon && BEACON_CONFIGS[network.name] === undefined) {
    throw new CliFailure(`${beaconFlag}: no beacon chain config is built in for network ${network.name} (${Object.keys(BEACON_CONFIGS).join(', ')})`);
  }
  const checkpoint = flags.checkpoint === undefined ? undefined : loadCheckpoint(flags.checkpoint);
  if (network.genesisHash === undefined && flags.genesisHash === undefined) {
    throw new CliFailure(`--network ${network.name} names no genesis hash: give --genesis-hash <hex>`);
  }
  return { network, checkpoint };
}

/** Fails fast, with one line, when not one of the servers accepts a TCP connection (the client would wait for its start timeout). */
async function checkReachable(servers: string[], log: CliLogger): Promise<void> {
  if (servers.length === 0) return; // discovery finds them
  const why = await Promise.all(servers.map((s) => parseEnode(s)).map(({ host, port }) => tcpProbe(host, port)));
  if (why.every((w) => w !== undefined)) {
    const first = parseEnode(servers[0] as string);
    throw new CliFailure(`no LES server is reachable (${first.host}:${first.port}: ${why[0]}${servers.length > 1 ? `, and ${servers.length - 1} more` : ''})`);
  }
  why.forEach((w, i) => {
    if (w !== undefined) log.warn({ server: servers[i], reason: w }, 'LES server not reachable now; the client keeps trying');
  });
}

/** A start error's hints in this command's words: `--network devnet` rather than the library's option. */
function inFlagWords(err: unknown): unknown {
  if (!(err instanceof ClientError) || err.failures.length === 0) return err;
  return new CliFailure(err.message.replace(failureSummary(err.failures), failureSummary(err.failures, (h) => `did you mean --${h.option} ${h.value}?`)));
}

async function runProxy(flags: ProxyFlags): Promise<void> {
  const { network, checkpoint } = checkFlags(flags);
  const log = createLogger('proxy', flags.logLevel);
  await checkReachable(flags.server, log);
  const discovery = discoverySettings(flags, network.name, flags.discoveryHost ?? '127.0.0.1');
  const client = new LesClient({
    servers: flags.server,
    discovery: discovery.on ? { bootnodes: discovery.bootnodes, host: flags.discoveryHost, maxServers: flags.maxDiscovered } : undefined,
    trustedServers: flags.trusted,
    trustedFraction: flags.fraction / 100,
    trust: beaconTrust(flags),
    checkpoint,
    network,
    genesisHash: flags.genesisHash,
    datadir: flags.datadir,
    call: evmLimits(flags),
    backfill: backfillLimits(flags),
    logger: log.child({ part: 'client' }),
  });
  let proxy: RunningProxy | undefined;
  let admin: AdminEndpoint | undefined;
  const signals = stopOnSignals(log, async () => {
    await Promise.all([proxy?.close(), admin?.close(), client.stop()]);
  });
  log.info({ servers: flags.server.length, trusted: flags.trusted.length, beaconApi: flags.beaconApi?.length ?? 0, network: network.name }, 'connecting to LES servers');
  await client.start().catch((err: unknown) => {
    throw inFlagWords(err);
  });
  if (signals.stopping) return;
  try {
    proxy = await startProxy({
      backend: lesBackend(client),
      host: flags.httpHost,
      port: flags.httpPort,
      unverified: flags.unverified,
      upstream: flags.upstream,
      corsOrigins: flags.corsOrigin,
      maxBatch: flags.maxBatch,
      maxBodyBytes: flags.maxBodyBytes,
      requestTimeoutMs: flags.requestTimeoutMs,
      headersTimeoutMs: flags.headersTimeoutMs,
      bodyTimeoutMs: flags.bodyTimeoutMs,
      log,
    });
  } catch (err) {
    await client.stop();
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliFailure(`${flags.httpHost}:${flags.httpPort} is in use (--http-port)`);
    throw err;
  }
  try {
    admin = await startProxyAdmin(flags, { pool: () => client.parts?.pool, datadir: flags.datadir, log });
  } catch (err) {
    await Promise.all([proxy.close(), client.stop()]);
    throw err;
  }
  console.log(proxy.url);
  if (admin !== undefined) printAdmin(admin);
}

export function registerProxy(program: Command): void {
  const proxy = program
    .command('proxy')
    .description('serve Ethereum JSON-RPC (HTTP and WebSocket) from LES servers, every answer verified')
    .addOption(new Option('--server <enode>', 'an LES server to dial (repeatable)').argParser(repeatable(enodeArg)).default([]))
    .addOption(new Option('--trusted <enode|nodeId>', 'a server whose announced heads count towards head agreement (repeatable)').argParser(repeatable(trustedArg)).default([]))
    .option('--fraction <percent>', 'percent of the configured trusted servers whose announces must agree on a head', intArg(1, 100), 75)
    .option('--checkpoint <json|file>', 'a trusted checkpoint {sectionIndex, sectionHead, chtRoot, bloomTrieRoot}')
    .addOption(new Option('--beacon-api <url>', 'a beacon node REST API to verify heads from (repeatable, or comma-separated): the head is what the sync committee signed, no server needs --trusted').argParser(urlListArg).default([]))
    .option('--beacon-checkpoint <root>', 'the trusted beacon block root to start from (with --beacon-api)', hashArg)
    .option('--finalized-only', 'with --beacon-api: follow the finalized block only, never an optimistic head')
    .option('--beacon-les', 'verify heads from the beacon chain with the light-client data LES servers relay (lesp/beacon), beside or instead of --beacon-api')
    .option('--network <name|file>', 'mainnet, sepolia, holesky, hoodi, devnet or a network config JSON file', 'mainnet')
    .option('--genesis-hash <hex>', 'genesis hash, for a network config that has none (a devnet)', hashArg)
    .option('--http-host <addr>', 'listening address of the proxy', hostArg, '127.0.0.1')
    .option('--http-port <n>', 'listening port of the proxy (HTTP and WebSocket)', intArg(0, 65535), DEFAULT_PROXY_PORT)
    .option('--datadir <dir>', 'keep the header chain here (default: memory only)')
    .addOption(new Option('--unverified <method>', 'forward this method UNVERIFIED to --upstream (repeatable)').argParser(repeatable(methodArg)).default([]))
    .option('--upstream <url>', 'JSON-RPC node that answers the --unverified methods', httpUrlArg)
    .addOption(corsOriginOption())
    .option('--max-batch <n>', 'most requests in one JSON-RPC batch', intArg(1, 100_000), 100)
    .option('--max-body-bytes <n>', 'largest request body or WebSocket message', intArg(1024), 5 * 1024 * 1024)
    .option('--request-timeout-ms <n>', 'deadline of one call', intArg(1), 30_000)
    .option('--headers-timeout-ms <n>', "an HTTP request's headers must arrive within this time", intArg(1), DEFAULT_HEADERS_TIMEOUT_MS)
    .option('--body-timeout-ms <n>', 'a whole HTTP request (headers and body) must arrive within this time (at least --headers-timeout-ms)', intArg(1), DEFAULT_BODY_TIMEOUT_MS);
  for (const o of discoveryOptions('find LES servers from --bootnodes and dial up to --max-discovered of them besides --server; they are untrusted unless --trusted names their node id')) proxy.addOption(o);
  proxy
    .option('--discovery-host <addr>', 'UDP address of discovery; a loopback one reaches only bootnodes on this machine', hostArg, '127.0.0.1')
    .option('--max-discovered <n>', 'most discovered servers dialed or connected at a time', intArg(0, 1000), 8);
  for (const o of evmLimitOptions()) proxy.addOption(o);
  for (const o of backfillOptions()) proxy.addOption(o);
  addAdminOptions(proxy, 'addnode, getpeerinfo', DEFAULT_CLIENT_ADMIN_PORT, 'one created at the first start in <datadir>/admin.token, or at each start without --datadir')
    .addOption(logLevelOption())
    .action(runAction('proxy', runProxy));
}
