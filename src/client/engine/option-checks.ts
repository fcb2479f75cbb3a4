/**
 * The light client's options checked for shape before anything starts: a mistake is a ConfigError
 * naming the option (`timeouts.startMs: expected ms, 0 or more`), never a TypeError from deep
 * inside, and no options at all says which one is missing. Values the parts check themselves
 * (enode URLs, the network JSON, quorum bounds) are left to them; this is about types.
 */
import { ConfigError } from '../../config/network.js';
import type { LesClientOptions } from './options.js';

/** Every option a LesClient takes: a new option must be added here (the compiler says so). */
export const CLIENT_OPTION_KEYS: Readonly<Record<keyof LesClientOptions, true>> = {
  servers: true,
  trustedServers: true,
  discovery: true,
  trustedFraction: true,
  minTrustedVotes: true,
  trust: true,
  staleHeadSec: true,
  backfill: true,
  checkpoint: true,
  oracle: true,
  network: true,
  genesisHash: true,
  timeouts: true,
  cacheSizes: true,
  datadir: true,
  privateKey: true,
  logger: true,
  methods: true,
  call: true,
};

const NO_OPTIONS = 'give at least one LES server: { servers: [{ enode, trusted: true }], network, genesisHash } (`lesp devnet` prints a ready line)';

type Check = (value: unknown) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const object: Check = (v) => (isObject(v) ? undefined : 'expected an object');
const string: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'expected a non-empty string');
const count: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'expected an integer, 0 or more');
const ms: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'expected ms, 0 or more');
const fraction: Check = (v) => (typeof v === 'number' ? undefined : 'expected a number');
const hash32: Check = (v) =>
  (typeof v === 'string' && /^(0x)?[0-9a-fA-F]{64}$/.test(v)) || (v instanceof Uint8Array && v.length === 32) ? undefined : 'expected 32 bytes (64 hex digits)';
const key32: Check = (v) => (v instanceof Uint8Array && v.length === 32 ? undefined : 'expected 32 bytes (a Uint8Array)');
const network: Check = (v) => (typeof v === 'string' || isObject(v) ? undefined : "expected 'mainnet', 'devnet' or a network config object");
const logger: Check = (v) =>
  isObject(v) && ['debug', 'info', 'warn'].every((m) => typeof v[m] === 'function') ? undefined : 'expected a logger with debug, info and warn (pino fits)';
// Emptiness is resolveServers' to judge (an empty list is fine with discovery bootnodes).
const serverList: Check = (v) => (Array.isArray(v) ? undefined : 'expected an array of enode URLs or { enode, trusted }');
const stringList: Check = (v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'expected an array of strings');

const TOP: Partial<Record<keyof LesClientOptions, Check>> = {
  servers: serverList,
  trustedServers: stringList,
  discovery: object,
  trustedFraction: fraction,
  minTrustedVotes: fraction,
  trust: object,
  staleHeadSec: fraction,
  backfill: object,
  checkpoint: object,
  oracle: object,
  network,
  genesisHash: hash32,
  timeouts: object,
  cacheSizes: object,
  datadir: string,
  privateKey: key32,
  logger,
  methods: object,
  call: object,
};

const NESTED: Record<string, Check> = {
  'timeouts.startMs': ms,
  'timeouts.requestMs': ms,
  'timeouts.noServerMs': ms,
  'timeouts.hardMs': ms,
  'timeouts.dialMs': ms,
  'timeouts.handshakeMs': ms,
  'call.evmTimeoutMs': ms,
  'call.maxStateRounds': count,
};

/** Throws ConfigError naming the first option of the wrong shape; `undefined` options name `servers`. */
export function checkClientOptions(o: unknown): asserts o is LesClientOptions {
  if (o === undefined || o === null) throw new ConfigError('servers', NO_OPTIONS);
  if (!isObject(o)) throw new ConfigError('options', 'expected an options object');
  for (const [key, check] of Object.entries(TOP) as Array<[string, Check]>) {
    if (o[key] === undefined) continue;
    const why = check(o[key]);
    if (why !== undefined) throw new ConfigError(key, why);
  }
  if (o.servers === undefined) throw new ConfigError('servers', NO_OPTIONS);
  (o.servers as unknown[]).forEach((s, i) => {
    if (typeof s !== 'string' && !(isObject(s) && typeof s.enode === 'string')) throw new ConfigError(`servers[${i}]`, 'expected an enode URL or { enode, trusted }');
  });
  for (const [path, check] of Object.entries(NESTED)) {
    const [outer, inner] = path.split('.') as [string, string];
    const v = (o[outer] as Record<string, unknown> | undefined)?.[inner];
    if (v === undefined) continue;
    const why = check(v);
    if (why !== undefined) throw new ConfigError(path, why);
  }
  for (const [k, v] of Object.entries((o.cacheSizes as Record<string, unknown> | undefined) ?? {})) {
    if (v !== undefined && count(v) !== undefined) throw new ConfigError(`cacheSizes.${k}`, 'expected a number of entries, 0 or more');
  }
}

/**
 * Keys no surface knows: a misspelt option would otherwise be ignored in silence. `known` are the
 * surface's own keys on top of the client's.
 */
export function checkOptionKeys(o: Record<string, unknown>, known: readonly string[]): void {
  const all = [...Object.keys(CLIENT_OPTION_KEYS), ...known];
  for (const key of Object.keys(o)) {
    if (all.includes(key)) continue;
    const near = all.find((k) => closeTo(k, key));
    throw new ConfigError(key, `unknown option${near === undefined ? '' : ` (did you mean ${near}?)`}`);
  }
}

/** One edit apart, or the same ignoring case and a trailing s: enough for typos like `server`. */
function closeTo(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  if (x === y || x.replace(/s$/, '') === y.replace(/s$/, '')) return true;
  if (Math.abs(x.length - y.length) > 1) return false;
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  const tail = (s: string, n: number): string => s.slice(n);
  return tail(x, i + 1) === tail(y, i + 1) || tail(x, i + 1) === tail(y, i) || tail(x, i) === tail(y, i + 1);
}
