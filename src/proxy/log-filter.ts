/**
 * The filter of a `logs` subscription ({address, topics}, as eth_getLogs reads them) and its
 * matching, as go-ethereum does it: address is one address or a list (any of them); topics is a
 * list of up to 4 positions, each null (any), one hash, or a list of hashes (any of them; a null in
 * the list or an empty list also means any); a log with fewer topics than the filter lists
 * positions does not match.
 */
import { InvalidParamsError } from '../client/methods/errors.js';

/** A log as the backend's eth_getLogs returns it (only the fields the proxy reads are typed). */
export interface LogJson {
  address: string;
  topics: string[];
  [field: string]: unknown;
}

export interface LogFilter {
  /** Lower-case addresses; undefined = any. */
  addresses: ReadonlySet<string> | undefined;
  /** Per position, the lower-case hashes allowed; undefined = any. */
  topics: ReadonlyArray<ReadonlySet<string> | undefined>;
}

export const MAX_FILTER_ADDRESSES = 1000;
export const MAX_TOPIC_ALTERNATIVES = 1000;
const MAX_TOPICS = 4;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const KEYS = new Set(['address', 'topics', 'fromBlock', 'toBlock']);

function oneOf(v: unknown, field: string, re: RegExp, what: string, max: number): Set<string> | undefined {
  const list = Array.isArray(v) ? v : [v];
  if (list.length > max) throw new InvalidParamsError(field, `more than ${max} alternatives`);
  const out = new Set<string>();
  for (const [i, item] of list.entries()) {
    if (item === null && Array.isArray(v)) return undefined;
    if (typeof item !== 'string' || !re.test(item)) throw new InvalidParamsError(Array.isArray(v) ? `${field}[${i}]` : field, `expected ${what}`);
    out.add(item.toLowerCase());
  }
  return out.size === 0 ? undefined : out;
}

/** Reads the filter param of eth_subscribe("logs", filter); absent = every log. */
export function parseLogFilter(v: unknown): LogFilter {
  if (v === undefined || v === null) return { addresses: undefined, topics: [] };
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidParamsError('filter', 'expected an object {address, topics}');
  const o = v as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.has(key)) throw new InvalidParamsError(`filter.${key}`, 'unknown key (a logs subscription takes address and topics)');
  }
  const addresses = o.address === undefined || o.address === null ? undefined : oneOf(o.address, 'filter.address', ADDRESS, 'a 20-byte 0x-hex address', MAX_FILTER_ADDRESSES);
  const topics: Array<Set<string> | undefined> = [];
  if (o.topics !== undefined && o.topics !== null) {
    if (!Array.isArray(o.topics)) throw new InvalidParamsError('filter.topics', 'expected a list');
    if (o.topics.length > MAX_TOPICS) throw new InvalidParamsError('filter.topics', `more than ${MAX_TOPICS} positions`);
    for (const [i, t] of o.topics.entries()) {
      topics.push(t === null ? undefined : oneOf(t, `filter.topics[${i}]`, HASH, 'a 32-byte 0x-hex topic', MAX_TOPIC_ALTERNATIVES));
    }
  }
  return { addresses, topics };
}

export function matchesFilter(f: LogFilter, log: LogJson): boolean {
  if (f.addresses !== undefined && !f.addresses.has(String(log.address).toLowerCase())) return false;
  if (f.topics.length > log.topics.length) return false;
  return f.topics.every((allowed, i) => allowed === undefined || allowed.has(String(log.topics[i]).toLowerCase()));
}

/** Whether a value from the backend has the fields matching needs. */
export function isLogJson(v: unknown): v is LogJson {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.address === 'string' && Array.isArray(o.topics) && o.topics.every((t) => typeof t === 'string');
}
