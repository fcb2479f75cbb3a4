/**
 * Log filters (eth_getLogs): parsing the filter object, matching one log exactly, and the bloom
 * groups the search uses. Semantics as geth's: `address` is one address or an OR-list; `topics`
 * has at most 4 positions, each null (any), a hash, or an OR-list of hashes (a null inside a list
 * makes the position match anything); a log with fewer topics than the filter has positions does
 * not match. `blockHash` excludes fromBlock/toBlock.
 *
 * The one filter of the client: eth_getLogs matches verified logs with it, and subscriptions
 * (client/subscriptions) match the JSON logs of eth_getLogs answers with the same function.
 */
import { equalBytes } from '../../verify/bytes.js';
import type { Log } from '../../verify/receipts.js';
import { InvalidParamsError } from './errors.js';
import { type BlockNumberRef, checkFilterKeys, hexToBytes, parseArray, parseBlockNumberRef, parseData, parseObject } from './params.js';

/** Most addresses, and most hashes in one topic position, a filter may list. */
export const MAX_FILTER_VALUES = 1000;
export const MAX_TOPICS = 4;

export interface LogFilter {
  range: { kind: 'range'; from: BlockNumberRef; to: BlockNumberRef } | { kind: 'hash'; blockHash: Uint8Array };
  /** Empty = any address. */
  addresses: Uint8Array[];
  /** One entry per position; an empty list = any topic there. */
  topics: Uint8Array[][];
}

function parseAddresses(v: unknown, field: string): Uint8Array[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [parseData(v, field, 20)];
  return parseArray(v, field, MAX_FILTER_VALUES).map((a, i) => parseData(a, `${field}[${i}]`, 20));
}

function parseTopics(v: unknown, field: string): Uint8Array[][] {
  if (v === undefined || v === null) return [];
  return parseArray(v, field, MAX_TOPICS).map((t, i) => {
    const f = `${field}[${i}]`;
    if (t === null) return [];
    if (typeof t === 'string') return [parseData(t, f, 32)];
    const list = parseArray(t, f, MAX_FILTER_VALUES);
    const hashes = list.map((h, j) => (h === null ? null : parseData(h, `${f}[${j}]`, 32)));
    return hashes.includes(null) ? [] : (hashes as Uint8Array[]);
  });
}

export function parseLogFilter(v: unknown, field: string): LogFilter {
  const o = parseObject(v, field);
  checkFilterKeys(o, field);
  const addresses = parseAddresses(o.address, `${field}.address`);
  const topics = parseTopics(o.topics, `${field}.topics`);
  const has = (k: string) => o[k] !== undefined && o[k] !== null;
  if (has('blockHash')) {
    if (has('fromBlock') || has('toBlock')) throw new InvalidParamsError(`${field}.blockHash`, 'cannot specify both blockHash and fromBlock/toBlock');
    return { range: { kind: 'hash', blockHash: parseData(o.blockHash, `${field}.blockHash`, 32) }, addresses, topics };
  }
  const latest: BlockNumberRef = { kind: 'tag', tag: 'latest' };
  const from = has('fromBlock') ? parseBlockNumberRef(o.fromBlock, `${field}.fromBlock`) : latest;
  const to = has('toBlock') ? parseBlockNumberRef(o.toBlock, `${field}.toBlock`) : latest;
  return { range: { kind: 'range', from, to }, addresses, topics };
}

/**
 * The filter of eth_subscribe("logs", filter): address and topics as eth_getLogs reads them;
 * absent = every log. A subscription follows the chain from the moment it is made, so fromBlock
 * and toBlock are checked but not used, and blockHash (one past block) is refused.
 */
export function parseSubscriptionFilter(v: unknown, field: string): LogFilter {
  if (v === undefined || v === null) return parseLogFilter({}, field);
  const f = parseLogFilter(v, field);
  if (f.range.kind === 'hash') throw new InvalidParamsError(`${field}.blockHash`, 'a logs subscription follows new blocks (blockHash is for eth_getLogs)');
  return f;
}

const includes = (list: readonly Uint8Array[], x: Uint8Array) => list.some((y) => equalBytes(x, y));

/** Whether `log` matches the filter exactly. */
export function logMatches(f: LogFilter, log: Log): boolean {
  if (f.addresses.length > 0 && !includes(f.addresses, log.address)) return false;
  if (f.topics.length > log.topics.length) return false;
  return f.topics.every((want, i) => want.length === 0 || includes(want, log.topics[i] as Uint8Array));
}

const HEX20 = /^0x[0-9a-fA-F]{40}$/;
const HEX32 = /^0x[0-9a-fA-F]{64}$/;

/** The address and topics of a JSON log (an eth_getLogs answer's entry) as bytes; undefined if malformed. */
export function logOfJson(log: { address?: unknown; topics?: unknown }): Log | undefined {
  const { address, topics } = log;
  if (typeof address !== 'string' || !HEX20.test(address) || !Array.isArray(topics)) return undefined;
  if (!topics.every((t): t is string => typeof t === 'string' && HEX32.test(t))) return undefined;
  return { address: hexToBytes(address), topics: topics.map(hexToBytes), data: new Uint8Array(0) };
}

/** Whether a JSON log matches: the same rule as `logMatches` (a malformed log matches nothing). */
export function logJsonMatches(f: LogFilter, log: { address?: unknown; topics?: unknown }): boolean {
  const parsed = logOfJson(log);
  return parsed !== undefined && logMatches(f, parsed);
}

/**
 * The filter as bloom groups: a block may hold a match only if, for every group, its bloom holds
 * some value of the group. No groups = every block may.
 */
export function bloomGroups(f: LogFilter): Uint8Array[][] {
  const groups: Uint8Array[][] = [];
  if (f.addresses.length > 0) groups.push(f.addresses);
  for (const t of f.topics) if (t.length > 0) groups.push(t);
  return groups;
}
