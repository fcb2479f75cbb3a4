/**
 * Argument parsers shared by the `lesp` commands. Each throws commander's InvalidArgumentError
 * with a short reason; commander (for flags) and sources.ts (for LESP_* variables and config
 * files) put the flag or variable name in front of it.
 */
import { isIP } from 'node:net';
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CORS_ORIGINS, parseCorsOrigin } from '../proxy/cors.js';
import { publishedBootnodes, reachableBootnodes } from '../net/bootnodes.js';
import { parseEnode } from '../net/enode.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function intArg(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return n;
  };
}

function parseUrl(value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL`);
  }
}

/** An execution node: http(s):// or ws(s)://. */
export function urlArg(value: string): string {
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parseUrl(value).protocol)) throw new InvalidArgumentError('expected an http(s):// or ws(s):// URL');
  return value;
}

export function httpUrlArg(value: string): string {
  const { protocol } = parseUrl(value);
  if (protocol !== 'http:' && protocol !== 'https:') throw new InvalidArgumentError('expected an http(s):// URL');
  return value;
}

export function hostArg(value: string): string {
  if (value !== 'localhost' && isIP(value) === 0) throw new InvalidArgumentError(`"${value}" is not an IP address (or localhost)`);
  return value;
}

/**
 * A repeatable flag: each use is checked by `check` and appended. Give it an array default (even
 * `[]`): sources.ts treats options with an array default as lists (a config-file array, a
 * comma-separated LESP_* value).
 */
export function repeatable(check: (value: string) => string) {
  return (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), check(value)];
}

/** The local EVM's limits, as `lesp proxy` and `lesp devnet` take them (absent: the client's defaults). */
export interface EvmLimitFlags {
  evmTimeoutMs?: number;
  gasCap?: number;
}

/**
 * `--evm-timeout-ms` and `--gas-cap`, on every command that runs the proxy: geth's
 * --rpc.evmtimeout and --rpc.gascap, with their defaults.
 */
export function evmLimitOptions(): Option[] {
  return [
    new Option('--evm-timeout-ms <n>', 'EVM time limit of one eth_call, eth_estimateGas or eth_createAccessList (all its runs; not the wait for state); past it the call fails with -32000 "execution aborted" (0: none)')
      .argParser(intArg(0))
      .default(5000),
    new Option('--gas-cap <gas>', 'most gas of any eth_call, eth_estimateGas or eth_createAccessList; a call asking for more runs with this much, as geth caps (0: none)')
      .argParser(intArg(0))
      .default(50_000_000),
  ];
}

/** LesClientOptions.call from the flags. */
export function evmLimits(flags: EvmLimitFlags): { evmTimeoutMs?: number; gasCap?: bigint } {
  return { evmTimeoutMs: flags.evmTimeoutMs, gasCap: flags.gasCap === undefined ? undefined : BigInt(flags.gasCap) };
}

/** Back-fill limits, as `lesp proxy` and `lesp devnet` take them (absent: the client's defaults). */
export interface BackfillFlags {
  backfillPerLookup?: number;
  backfillPerMinute?: number;
}

/** `--backfill-per-lookup` and `--backfill-per-minute`: how far callers can make the client link back to old headers. */
export function backfillOptions(): Option[] {
  return [
    new Option('--backfill-per-lookup <headers>', 'most headers linked back for one old block no trusted section covers; past it the call fails with -32005')
      .argParser(intArg(0))
      .default(8192),
    new Option('--backfill-per-minute <headers>', 'most headers linked back per minute over all callers; past it calls fail with -32005 until it refills')
      .argParser(intArg(0))
      .default(32768),
  ];
}

/** LesClientOptions.backfill from the flags. */
export function backfillLimits(flags: BackfillFlags): { perLookup?: number; perMinute?: number } {
  return { perLookup: flags.backfillPerLookup, perMinute: flags.backfillPerMinute };
}

/** `--log-level`, the same on every command; `fallback` is the command's default. */
export function logLevelOption(fallback: (typeof LOG_LEVELS)[number] = 'info'): Option {
  return new Option('--log-level <level>', 'pino log level of the JSON logs on stderr').choices(LOG_LEVELS).default(fallback);
}

/**
 * `--cors-origin`, on every command that runs the proxy: repeatable and comma separated. Given at
 * all, the list replaces the default (loopback origins) instead of adding to it.
 */
export function corsOriginOption(): Option {
  const defaults = [...DEFAULT_CORS_ORIGINS];
  return new Option('--cors-origin <origins>', 'web pages that may call the proxy (CORS, WebSocket Origin), comma separated or repeated: origins such as https://app.example, "loopback", "none", or "*" for every web page')
    .argParser((value: string, previous: string[] | undefined): string[] => {
      const parsed = value.split(',').filter((v) => v.trim() !== '').map((v) => {
        try {
          return parseCorsOrigin(v);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
      });
      if (parsed.length === 0) throw new InvalidArgumentError('expected at least one origin');
      // Commander hands the default in as `previous` on the first use.
      return [...(previous === undefined || previous === defaults ? [] : previous), ...parsed];
    })
    .default(defaults, 'loopback: pages from localhost, 127.0.0.1 or [::1], any port');
}

/** `--discovery` and `--bootnodes`, as `lesp serve` and `lesp proxy` take them. */
export interface DiscoveryFlags {
  discovery?: 'on' | 'off';
  bootnodes?: string[];
}

/** Comma-separated enode URLs, each checked; repeated flags add up. */
function enodeListArg(value: string, previous: string[] | undefined): string[] {
  const urls = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const url of urls) {
    try {
      parseEnode(url);
    } catch (err) {
      throw new InvalidArgumentError(`${url.slice(0, 40)}: ${(err as Error).message}`);
    }
  }
  return [...(previous ?? []), ...urls];
}

/** discv4 on or off, and its bootnodes: `what` says what discovery does for this command. */
export function discoveryOptions(what: string): Option[] {
  return [
    new Option('--discovery <on|off>', `discv4 node discovery (UDP): ${what}`).choices(['on', 'off']).default(undefined, 'on, off on the devnet'),
    new Option('--bootnodes <enodes>', 'discovery bootnodes, comma separated enode URLs (repeatable)').argParser(enodeListArg).default(undefined, "the network's published bootnodes (none on the devnet)"),
  ];
}

/**
 * Whether discovery runs and from which bootnodes. Off on the devnet unless asked for (a devnet
 * must not reach out); the public networks' bootnodes are @ethereumjs/common's lists.
 */
export function discoverySettings(flags: DiscoveryFlags, network: string, host: string): { on: boolean; bootnodes: string[]; reachable: string[] } {
  const on = flags.discovery === undefined ? network !== 'devnet' : flags.discovery === 'on';
  const bootnodes = flags.bootnodes ?? publishedBootnodes(network);
  return { on, bootnodes, reachable: on ? reachableBootnodes(host, bootnodes) : [] };
}
