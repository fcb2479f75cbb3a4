/**
 * Human-readable output of `lesp admin`: aligned tables for lists of rows (sessions, groups,
 * peers, token sessions, client infos), "key: value" lines for summaries (getinfo), plain lines
 * for lists of strings (disconnect, log), and indented JSON for anything else.
 */
import { stringifyJson } from './json.js';
import { formatDuration } from './methods/operator.js';

export interface Column {
  title: string;
  key: string;
  /** Right-aligned (numbers). */
  right?: boolean;
  format?: (value: unknown, row: Record<string, unknown>) => string;
}

const text = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? stringifyJson(v) : String(v));
const short = (v: unknown): string => text(v).slice(0, 16);
const when = (v: unknown): string => (typeof v === 'number' && v > 0 ? new Date(v < 1e11 ? v * 1000 : v).toISOString().replace(/\.\d+Z$/, 'Z') : '-');
const ago = (v: unknown): string => (typeof v === 'number' && v > 0 ? formatDuration((Date.now() - v) / 1000) : '-');

export function table(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly Column[]): string {
  const cells = rows.map((r) => columns.map((c) => (c.format ?? text)(r[c.key], r)));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((row) => (row[i] as string).length)));
  const line = (values: string[]) =>
    values.map((v, i) => (columns[i]?.right === true ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(columns.map((c) => c.title)), ...cells.map(line)].join('\n');
}

const SESSION_COLUMNS: Column[] = [
  { title: 'ID', key: 'id', format: short },
  { title: 'Flags', key: 'flags' },
  { title: 'Client', key: 'client' },
  { title: 'Cap', key: 'capacity', right: true },
  { title: 'Cost', key: 'cost', right: true },
  { title: 'XCost', key: 'group_cost', right: true },
  { title: 'Reqs', key: 'requests', right: true },
  { title: 'Txs', key: 'txs', right: true },
  { title: 'Errs', key: 'errors', right: true },
  { title: 'Recv', key: 'recv', right: true },
  { title: 'Recv KB', key: 'recv_kb', right: true },
  { title: 'Sent', key: 'sent', right: true },
  { title: 'Sent KB', key: 'sent_kb', right: true },
  { title: 'Time', key: 'time', format: (v) => formatDuration(Number(v)) },
  { title: 'Peer', key: 'peer' },
];

const GROUP_COLUMNS: Column[] = [
  { title: 'Group', key: 'group' },
  { title: 'Sessions', key: 'sessions', right: true },
  { title: 'Cost', key: 'cost', right: true },
  { title: 'Reqs', key: 'requests', right: true },
  { title: 'Txs', key: 'txs', right: true },
  { title: 'Recv', key: 'recv', right: true },
  { title: 'Recv KB', key: 'recv_kb', right: true },
  { title: 'Sent', key: 'sent', right: true },
  { title: 'Sent KB', key: 'sent_kb', right: true },
];

const PEER_COLUMNS: Column[] = [
  { title: 'ID', key: 'id', format: short },
  { title: 'Host', key: 'host' },
  { title: 'Port', key: 'port', right: true },
  { title: 'Status', key: 'status' },
  { title: 'Head', key: 'head', right: true },
  { title: 'LES', key: 'version', right: true },
  { title: 'Client', key: 'client' },
  { title: 'Last Good', key: 'last_good', format: ago },
  { title: 'Last Try', key: 'last_try', format: ago },
  { title: 'Tries', key: 'tries', right: true },
  { title: 'Source', key: 'source' },
];

const TOKEN_COLUMNS: Column[] = [
  { title: 'ID', key: 'id' },
  { title: 'Label', key: 'label' },
  { title: 'State', key: 'state' },
  { title: 'Type', key: 'type' },
  { title: 'Created', key: 'created_at', format: when },
  { title: 'Expiry', key: 'expiry', format: (v) => (v === 0 ? 'never' : when(v)) },
  { title: 'Last Used', key: 'last_used', format: when },
  { title: 'Revoked', key: 'revoked_at', format: when },
  { title: 'Permissions', key: 'permissions', format: (v) => (Array.isArray(v) ? v.join(',') : '') },
];

const CLIENT_COLUMNS: Column[] = [
  { title: 'ID', key: 'id', format: short },
  { title: 'Connected', key: 'isConnected' },
  { title: 'Priority', key: 'priority' },
  { title: 'Capacity', key: 'capacity', right: true },
  { title: 'Balance', key: 'pricing/balance', right: true },
  { title: 'Neg. balance', key: 'pricing/negBalance', right: true },
  { title: 'Meta', key: 'pricing/balanceMeta' },
  { title: 'Time', key: 'connectionTime', format: (v) => (typeof v === 'number' ? formatDuration(v) : '') },
];

const TABLES: Record<string, Column[]> = {
  sessions: SESSION_COLUMNS,
  groups: GROUP_COLUMNS,
  peers: PEER_COLUMNS,
  'sessions.list': TOKEN_COLUMNS,
};

/** The text `lesp admin` prints for `method`'s result. */
export function formatResult(method: string, result: unknown): string {
  const columns = TABLES[method];
  if (columns !== undefined && Array.isArray(result)) {
    return result.length === 0 ? '(none)' : table(result as Array<Record<string, unknown>>, columns);
  }
  if ((method === 'les_clientInfo' || method === 'les_priorityClientInfo') && isRecord(result)) {
    const rows = Object.entries(result).map(([id, info]) => ({ id, ...(isRecord(info) ? info : {}) }));
    return rows.length === 0 ? '(none)' : table(rows, CLIENT_COLUMNS);
  }
  if (Array.isArray(result) && result.every((r) => typeof r === 'string')) return result.join('\n');
  if (typeof result === 'string') return result;
  if (method === 'getinfo' && isRecord(result)) {
    const width = Math.max(...Object.keys(result).map((k) => k.length));
    return Object.entries(result).map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${text(v)}`).join('\n');
  }
  return stringifyJson(result, 2);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
