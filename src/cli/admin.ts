/**
 * `lesp admin [--url URL] [--token T | --token-file F | --datadir D] [--json] <command> [args]`:
 * one call to a management endpoint, printed as a table or lines for people, or as the exact
 * JSON result with --json. The token comes from --token (LESP_TOKEN), else --token-file, else the
 * first-start token file in the server's --datadir. An unreachable endpoint or a refused token is
 * one line and exit code 1.
 *
 * It also gives `lesp serve` its management endpoint: --admin-port (no value: 8549),
 * --admin-host (127.0.0.1), --admin-token. The endpoint attaches to the server once it listens
 * (serverStartedChannel), prints its URL and, on a first start, the token (shown once); its
 * `stop` command ends the server as SIGTERM does. `lesp proxy` and `lesp devnet` take the same
 * three flags (no value: 8550) for the light client's endpoint (addnode, getpeerinfo).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import {
  ADMIN_TOKEN_FILE,
  type AdminEndpoint,
  AdminClient,
  type Column,
  DEFAULT_ADMIN_HOST,
  DEFAULT_ADMIN_PORT,
  formatDuration,
  formatResult,
  parseJson,
  startClientAdmin,
  startServeAdmin,
  table,
} from '../admin/index.js';
import type { ServerPool } from '../client/servers/index.js';
import type { LesServer } from '../serve/index.js';
import { serverStartedChannel } from '../serve/index.js';
import { CliFailure, failureLine, runAction } from './failure.js';
import { createLogger } from './logging.js';
import { hostArg, httpUrlArg, intArg } from './options.js';

interface AdminFlags {
  url: string;
  token?: string;
  tokenFile?: string;
  datadir?: string;
  json: boolean;
  timeout: number;
}

/** The `--admin-*` flags of lesp serve, proxy and devnet. */
export interface AdminEndpointFlags {
  adminPort?: number;
  adminHost: string;
  adminToken?: string;
}

interface ServeAdminFlags extends AdminEndpointFlags {
  datadir?: string;
  logLevel: string;
}

/** The conventional port of a light client's (proxy's) endpoint, beside a server's 8549. */
export const DEFAULT_CLIENT_ADMIN_PORT = 8550;

/** A value given on the command line: JSON when it parses as JSON, else the text itself. */
function jsonOrText(value: string): unknown {
  try {
    return parseJson(value);
  } catch {
    return value;
  }
}

function jsonArg(what: string) {
  return (value: string): unknown => {
    try {
      return parseJson(value);
    } catch (err) {
      throw new CliFailure(`${what}: not JSON (${(err as Error).message})`);
    }
  };
}

/** Commander's positional arguments: a string, a list (variadic) or undefined (optional). */
type Args = Array<string | string[] | undefined>;

interface Spec {
  name: string;
  args?: string;
  description: string;
  params?: (args: Args) => unknown[];
}

const str = (v: string | string[] | undefined): string => (Array.isArray(v) ? v.join(',') : (v ?? ''));

/** Each subcommand: the method it calls (its name), its arguments, and how they become the params. */
const COMMANDS: Spec[] = [
  { name: 'getinfo', description: 'summary: sessions, closing, paused, requests in flight, errors, groups, upstream node and its head vs ours, sections, uptime, pid, txs relayed' },
  { name: 'sessions', description: 'one row per connected client: ID, flags (les version, announce N/A/S, P priority, L logged, C closing), client, cost, group cost, requests, txs, traffic, time, address' },
  { name: 'groups', description: 'sessions by address group (IPv4 /24, IPv6 /64), whose members share each other\'s cost' },
  { name: 'disconnect', args: '<id...>', description: 'disconnect sessions (node ID, or a unique prefix of 6+ hex digits)', params: ([ids]) => [ids ?? []].flat() },
  { name: 'log', args: '<id...>', description: 'toggle logging every request of these sessions', params: ([ids]) => [ids ?? []].flat() },
  { name: 'peers', description: 'other LES servers known, with status good/stale/bad/never' },
  { name: 'add_peer', args: '<enode>', description: 'add an LES server to the peers list and probe it now', params: ([e]) => [str(e)] },
  { name: 'rpc_url', args: '[url]', description: 'replace the execution node URL list (comma-separated) and go to its first URL; no URL: back to the one it started with', params: ([u]) => (u === undefined ? [] : [str(u)]) },
  { name: 'stop', description: 'flush and stop the server cleanly' },
  {
    name: 'sessions.add',
    args: '<label> <type> [expiry] [permissions...]',
    description: 'a new admin token: type readonly, admin or custom (permissions entity:action, e.g. balance:write peers:read); expiry in Unix seconds, 0 = never',
    params: ([label, type, expiry, perms]) => [str(label), str(type), expiry === undefined ? 0 : jsonOrText(str(expiry)), [perms ?? []].flat()],
  },
  { name: 'sessions.list', args: '[filter]', description: 'admin tokens: all, created, inuse, revoked or expired', params: ([f]) => (f === undefined ? [] : [str(f)]) },
  { name: 'sessions.revoke', args: '<id>', description: 'revoke an admin token (refused at once)', params: ([id]) => [str(id)] },
  { name: 'les_serverInfo', description: 'capacity: total, minimum, connected, priority-connected' },
  { name: 'les_clientInfo', args: '[ids...]', description: 'balance, capacity and pricing of clients (none: every connected client)', params: ([ids]) => [[ids ?? []].flat()] },
  {
    name: 'les_priorityClientInfo',
    args: '<start> <stop> <maxCount>',
    description: 'clients with a positive balance with ID in [start, stop) (stop 0x00..00: to the end); past maxCount, the next ID with {}',
    params: ([start, stop, max]) => [str(start), str(stop), jsonOrText(str(max))],
  },
  { name: 'les_addBalance', args: '<id> <amount> [meta]', description: 'add a signed amount to a client\'s balance (capped to [0, 2^63-1]); prints [before, after]', params: ([id, amount, meta]) => [str(id), jsonOrText(str(amount)), ...(meta === undefined ? [] : [str(meta)])] },
  {
    name: 'les_setClientParams',
    args: '<ids> <params>',
    description: 'capacity and pricing factors of connected clients: ids comma-separated ("all" for every connected client), params a JSON object',
    params: ([ids, params]) => [str(ids) === 'all' || str(ids) === '' ? [] : str(ids).split(','), jsonArg('params')(str(params))],
  },
  { name: 'les_setDefaultParams', args: '<params>', description: 'pricing factors for clients connecting from now on (a JSON object)', params: ([params]) => [jsonArg('params')(str(params))] },
  { name: 'les_latestCheckpoint', description: '[index, sectionHead, chtRoot, bloomTrieRoot] of the latest section' },
  { name: 'les_getCheckpoint', args: '<index>', description: '[sectionHead, chtRoot, bloomTrieRoot] of section <index>', params: ([i]) => [jsonOrText(str(i))] },
  { name: 'les_getCheckpointContractAddress', description: 'the checkpoint oracle contract address' },
  {
    name: 'addnode',
    args: '<enode> <command>',
    description: 'proxy: add (dial, redial when it drops), remove (drop, never redial; an enode URL or node id) or onetry (dial once) an LES server',
    params: ([enode, command]) => [str(enode), str(command)],
  },
  { name: 'getpeerinfo', description: 'proxy: one row per connected LES server: address, les version, client, head, traffic, round trip, flow control (BLE/BL/MRR), ban score, origin' },
];

const kb = (v: unknown): string => (typeof v === 'number' ? (v / 1024).toFixed(1) : '');
const ms = (v: unknown): string => (typeof v === 'number' ? v.toFixed(1) : '-');

/** getpeerinfo's table (the full rows with --json). */
const PEERINFO_COLUMNS: Column[] = [
  { title: 'ID', key: 'id', format: (v) => String(v).slice(0, 16) },
  { title: 'Addr', key: 'addr' },
  { title: 'LES', key: 'version' },
  { title: 'Client', key: 'subver' },
  { title: 'Head', key: 'head', right: true, format: (v) => String((v as { number?: unknown } | null)?.number ?? '') },
  { title: 'Start', key: 'startingheight', right: true },
  { title: 'Recv KB', key: 'bytesrecv', right: true, format: kb },
  { title: 'Sent KB', key: 'bytessent', right: true, format: kb },
  { title: 'Ping ms', key: 'pingtime', right: true, format: ms },
  { title: 'Min ms', key: 'minping', right: true, format: ms },
  { title: 'Reqs', key: 'requests', right: true },
  { title: 'Inflight', key: 'inflight', right: true },
  { title: 'BLE', key: 'ble', right: true },
  { title: 'BL', key: 'bl', right: true },
  { title: 'MRR', key: 'mrr', right: true },
  { title: 'Ban', key: 'banscore', right: true },
  { title: 'Time', key: 'conntime', format: (v) => (typeof v === 'number' ? formatDuration(Date.now() / 1000 - v) : '') },
  { title: 'Origin', key: 'origin', format: (v, row) => `${String(v)}${row.trusted === true ? ',trusted' : ''}` },
];

/** The text printed for a result: the client commands' tables, else the shared formatting. */
function formatOutput(method: string, result: unknown): string {
  if (method === 'getpeerinfo' && Array.isArray(result)) {
    return result.length === 0 ? '(no server connected)' : table(result as Array<Record<string, unknown>>, PEERINFO_COLUMNS);
  }
  return formatResult(method, result);
}

function readToken(flags: AdminFlags): string {
  if (flags.token !== undefined) return flags.token;
  const file = flags.tokenFile ?? (flags.datadir === undefined ? undefined : join(flags.datadir, ADMIN_TOKEN_FILE));
  if (file === undefined) throw new CliFailure('no token: give --token (or LESP_TOKEN), --token-file, or the server\'s --datadir');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliFailure(`cannot read the token file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const token = text.trim();
  if (token === '') throw new CliFailure(`the token file ${file} is empty`);
  return token;
}

async function runCall(group: Command, method: string, params: unknown[]): Promise<void> {
  const flags = group.opts<AdminFlags>();
  const client = new AdminClient({ url: flags.url, token: readToken(flags), timeoutMs: flags.timeout });
  const { result, text } = await client.call(method, params);
  console.log(flags.json ? text : formatOutput(method, result));
}

/** Adds --admin-port/--admin-host/--admin-token; `what` names the endpoint's methods, `tokenDefault` where its token comes from. */
export function addAdminOptions(command: Command, what: string, presetPort: number, tokenDefault = 'one created at the first start in <datadir>/admin.token'): Command {
  return command
    .addOption(new Option('--admin-port [n]', `serve the management JSON-RPC (${what}) on this port (no value: ${presetPort})`).argParser(intArg(0, 65535)).preset(presetPort).default(undefined, 'off'))
    .addOption(new Option('--admin-host <addr>', 'address of the management endpoint; keep it loopback unless it is protected otherwise').argParser(hostArg).default(DEFAULT_ADMIN_HOST))
    .addOption(new Option('--admin-token <token>', `a full-access admin token (default: ${tokenDefault})`));
}

function warnIfOpen(host: string, log: ReturnType<typeof createLogger>): void {
  if (isIP(host) !== 0 && !host.startsWith('127.') && host !== '::1') log.warn({ host }, 'the management endpoint listens on a non-loopback address');
}

/** Prints the endpoint's URL and, when it made one, its token (shown once). */
export function printAdmin(admin: Pick<AdminEndpoint, 'url' | 'created' | 'tokenFile'>): void {
  console.log(`admin: ${admin.url}`);
  if (admin.created !== undefined) {
    console.log(admin.tokenFile === undefined
      ? `admin token (full access, this run only): ${admin.created}`
      : `admin token (full access, saved in ${admin.tokenFile}; shown once): ${admin.created}`);
  }
}

/**
 * The light client's endpoint (lesp proxy, lesp devnet) when --admin-port is given (undefined
 * otherwise); the caller prints it (printAdmin). A port in use is one line naming the flag.
 */
export async function startProxyAdmin(flags: Partial<AdminEndpointFlags>, o: { pool(): ServerPool | undefined; datadir?: string; log: ReturnType<typeof createLogger> }): Promise<AdminEndpoint | undefined> {
  if (flags.adminPort === undefined) return undefined;
  const host = flags.adminHost ?? DEFAULT_ADMIN_HOST;
  warnIfOpen(host, o.log);
  if (o.datadir !== undefined) mkdirSync(o.datadir, { recursive: true });
  let admin: AdminEndpoint;
  try {
    admin = await startClientAdmin({ pool: o.pool, host, port: flags.adminPort, datadir: o.datadir, token: flags.adminToken, log: o.log });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliFailure(`${host}:${flags.adminPort} is in use (--admin-port)`);
    throw new CliFailure(`--admin-port ${flags.adminPort}: ${failureLine(err)}`);
  }
  return admin;
}

/** `--admin-*` on `lesp serve`, and the endpoint started beside the server. */
function extendServe(program: Command): void {
  const serve = program.commands.find((c) => c.name() === 'serve');
  if (serve === undefined) return;
  addAdminOptions(serve, 'les_* API, operator commands', DEFAULT_ADMIN_PORT);
  serve.hook('preAction', (command) => {
    const flags = command.opts<ServeAdminFlags>();
    if (flags.adminPort === undefined) return;
    const log = createLogger('serve', flags.logLevel);
    const onStarted = (message: unknown): void => {
      serverStartedChannel.unsubscribe(onStarted);
      void attachAdmin((message as { server: LesServer }).server, flags, log);
    };
    serverStartedChannel.subscribe(onStarted);
  });
}

async function attachAdmin(server: LesServer, flags: ServeAdminFlags, log: ReturnType<typeof createLogger>): Promise<void> {
  const host = flags.adminHost;
  warnIfOpen(host, log);
  try {
    const admin = await startServeAdmin({
      server,
      host,
      port: flags.adminPort as number,
      datadir: flags.datadir,
      token: flags.adminToken,
      log,
      // The same clean stop as SIGTERM: flush, close the store, exit 0.
      onStop: () => process.kill(process.pid, 'SIGTERM'),
    });
    server.once('stopped', () => void admin.close());
    printAdmin(admin);
  } catch (err) {
    console.error(`lesp serve: --admin-port ${flags.adminPort}: ${failureLine(err)}`);
    await server.stop().catch(() => undefined);
    process.exit(1);
  }
}

export function registerAdmin(program: Command): void {
  extendServe(program);
  const group = program
    .command('admin')
    .description('operate a running server (or proxy) over its management endpoint')
    .addOption(new Option('--url <url>', 'the management endpoint').argParser(httpUrlArg).default(`http://${DEFAULT_ADMIN_HOST}:${DEFAULT_ADMIN_PORT}`))
    .addOption(new Option('--token <token>', 'bearer token').conflicts('tokenFile'))
    .option('--token-file <file>', 'file holding the token')
    .option('--datadir <dir>', `the server's (or proxy's) datadir, whose ${ADMIN_TOKEN_FILE} is read when no token is given`)
    .option('--json', 'print the result as JSON (exact integers)', false)
    .addOption(new Option('--timeout <ms>', 'give up after this long').argParser(intArg(1)).default(30_000));
  for (const spec of COMMANDS) {
    const sub = group.command(`${spec.name}${spec.args === undefined ? '' : ` ${spec.args}`}`).description(spec.description);
    sub.action(runAction(`admin ${spec.name}`, async (...args: unknown[]) => {
      const positional = args.slice(0, -2) as Args;
      await runCall(group, spec.name, spec.params === undefined ? [] : spec.params(positional));
    }));
  }
  group
    .command('call <method> [params...]')
    .description('any method of the endpoint (a proxy\'s too); each parameter is read as JSON when it parses, else as text')
    .action(runAction('admin call', async (method: string, params: string[]) => {
      await runCall(group, method, params.map(jsonOrText));
    }));
}
