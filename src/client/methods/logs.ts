/**
 * eth_getLogs: candidate blocks from the bloom search (bloom-search.ts), then the verified
 * receipts (and body, for transaction hashes) of the candidates only; every log of those receipts
 * that matches the filter exactly is returned, in block and log order. Limits: the block range
 * (`maxLogBlockRange`, -32602) and the answer's size (`maxLogs`, -32005).
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { VerifiedHeader } from '../contracts.js';
import { type Candidate, candidateBlocks } from './bloom-search.js';
import { type MethodContext, blockNumberOf, findHeader } from './context.js';
import { InvalidParamsError, MethodError } from './errors.js';
import { type JsonObject, mapLimit } from './format.js';
import { type LogFilter, bloomGroups, logMatches, parseLogFilter } from './log-filter.js';
import { P } from './params.js';
import { checkPairs, formatLog } from './receipt-format.js';
import { type MethodSpec, method } from './table.js';

/** The matching logs of one block. */
async function blockLogs(ctx: MethodContext, header: VerifiedHeader, f: LogFilter): Promise<JsonObject[]> {
  const receipts = await ctx.odr.receipts(header);
  const out: JsonObject[] = [];
  let hashes: Uint8Array[] | undefined;
  let logIndex = 0;
  for (const [i, r] of receipts.entries()) {
    for (const log of r.logs) {
      if (logMatches(f, log)) {
        if (hashes === undefined) {
          const body = await ctx.odr.body(header);
          checkPairs(header, body.transactions.length, receipts);
          hashes = body.transactions.map((t) => keccak256(t));
        }
        out.push(formatLog(log, { header, txHash: hashes[i] as Uint8Array, txIndex: i, logIndex }));
      }
      logIndex++;
    }
  }
  return out;
}

function checkCount(ctx: MethodContext, n: number): void {
  if (n > ctx.config.maxLogs) throw new MethodError('LIMIT_EXCEEDED', `query returned more than ${ctx.config.maxLogs} results`, { field: 'filter' });
}

/** The logs matching `f` (eth_getLogs; eth_getFilterLogs runs an installed filter with it). */
export async function getLogs(ctx: MethodContext, f: LogFilter): Promise<JsonObject[]> {
  if (f.range.kind === 'hash') {
    const header = await findHeader(ctx, { kind: 'hash', hash: f.range.blockHash, requireCanonical: false });
    if (header === undefined) throw new MethodError('BLOCK_NOT_FOUND', 'unknown block', { field: 'filter.blockHash' });
    const logs = await blockLogs(ctx, header, f);
    checkCount(ctx, logs.length);
    return logs;
  }
  const from = blockNumberOf(ctx, f.range.from);
  const requestedTo = blockNumberOf(ctx, f.range.to);
  if (from > requestedTo) throw new InvalidParamsError('filter.fromBlock', `invalid block range params: fromBlock ${from} is after toBlock ${requestedTo}`);
  if (requestedTo - from + 1 > ctx.config.maxLogBlockRange) {
    throw new InvalidParamsError('filter', `block range ${from}..${requestedTo} spans more than ${ctx.config.maxLogBlockRange} blocks`);
  }
  const to = Math.min(requestedTo, ctx.chain.head().header.number);
  if (from > to) return [];
  const candidates = await candidateBlocks(ctx, from, to, bloomGroups(f));
  let total = 0;
  const perBlock = await mapLimit(candidates, ctx.config.concurrency, async (c: Candidate) => {
    const header = c.header ?? (await ctx.chain.headerByNumber(c.number));
    const logs = await blockLogs(ctx, header, f);
    total += logs.length;
    checkCount(ctx, total);
    return logs;
  });
  return perBlock.flat();
}

export const logMethods: readonly MethodSpec[] = [
  method<[LogFilter]>({
    name: 'eth_getLogs',
    params: [P.custom('filter', parseLogFilter)],
    handler: (ctx, [f]) => getLogs(ctx, f),
  }),
];
