/**
 * eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter, eth_getFilterChanges,
 * eth_getFilterLogs, eth_uninstallFilter over the context's FilterRegistry (client/subscriptions/
 * filters.ts: geth's semantics, on the one subscription engine). They exist when the client has a
 * subscription engine (the LesClient does), so the LesProvider, the EIP-1193 object and the proxy
 * all answer them from this table.
 *
 * Pending-transaction filters report the transactions sent through this client: a light client
 * sees no mempool.
 */
import type { FilterRegistry } from '../subscriptions/filters.js';
import type { MethodContext } from './context.js';
import { InvalidParamsError } from './errors.js';
import { data } from './format.js';
import { getLogs } from './logs.js';
import { type LogFilter, parseLogFilter } from './log-filter.js';
import { P, parseBool } from './params.js';
import { type MethodSpec, method } from './table.js';
import { type ParsedTx, formatTx } from './tx-format.js';

/** An id as geth makes them (0x and at most 32 hex digits); a longer or other string is malformed. */
const FILTER_ID = /^0x[0-9a-fA-F]{1,64}$/;

function parseFilterId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !FILTER_ID.test(v)) {
    throw new InvalidParamsError(field, `expected a filter id (0x-hex), got ${typeof v === 'string' ? `"${v.slice(0, 24)}"` : typeof v}`);
  }
  return v;
}

const filterId = P.custom('filterId', parseFilterId);
const available = (ctx: MethodContext): boolean => ctx.filters !== undefined;
const registry = (ctx: MethodContext): FilterRegistry<ParsedTx> => ctx.filters as FilterRegistry<ParsedTx>;

/** The numeric bounds of a range filter (tags leave a side open, as in geth's filters). */
function boundsOf(f: LogFilter): { from?: number; to?: number } {
  if (f.range.kind !== 'range') return {};
  const from = f.range.from.kind === 'number' ? f.range.from.number : undefined;
  const to = f.range.to.kind === 'number' ? f.range.to.number : undefined;
  if (from !== undefined && to !== undefined && from > to) {
    throw new InvalidParamsError('filter.fromBlock', `invalid block range params: fromBlock ${from} is after toBlock ${to}`);
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

const formatSent = (tx: ParsedTx, fullTx: boolean): unknown => (fullTx ? formatTx(tx) : data(tx.hash));

export const filterMethods: readonly MethodSpec[] = [
  method<[LogFilter]>({
    name: 'eth_newFilter',
    params: [P.custom('filter', parseLogFilter)],
    available,
    handler: (ctx, [f]) => registry(ctx).newLogFilter(f, boundsOf(f)),
  }),
  method<[]>({
    name: 'eth_newBlockFilter',
    params: [],
    available,
    handler: (ctx) => registry(ctx).newBlockFilter(),
  }),
  method<[boolean | undefined]>({
    name: 'eth_newPendingTransactionFilter',
    params: [P.custom('fullTx', parseBool, true)],
    available,
    handler: (ctx, [fullTx]) => registry(ctx).newPendingTransactionFilter(fullTx === true),
  }),
  method<[string]>({
    name: 'eth_getFilterChanges',
    params: [filterId],
    available,
    handler: (ctx, [id]) => registry(ctx).changes(id, formatSent),
  }),
  method<[string]>({
    name: 'eth_getFilterLogs',
    params: [filterId],
    available,
    handler: (ctx, [id]) => getLogs(ctx, registry(ctx).logFilter(id)),
  }),
  method<[string]>({
    name: 'eth_uninstallFilter',
    params: [filterId],
    available,
    handler: (ctx, [id]) => registry(ctx).uninstall(id),
  }),
];
