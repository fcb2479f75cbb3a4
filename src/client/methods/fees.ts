/**
 * Fee suggestions and history from verified headers, bodies and receipts.
 *
 * Priority fee rule (eth_maxPriorityFeePerGas): over the last `gasPriceBlocks` blocks (default 20)
 * take, per block, the 3 lowest effective tips of its transactions (tips below 2 wei ignored), as
 * geth's oracle samples; the suggestion is the `gasPricePercentile` (default 60) of all samples,
 * never below `minPriorityFee` (default 1 gwei, anvil's and ethers' floor); with no samples it is
 * `minPriorityFee`. eth_gasPrice = the next block's base fee (EIP-1559, from the head) + that tip
 * (anvil's rule; geth adds the head's own base fee instead). Computed once per head.
 *
 * eth_feeHistory follows geth: reward percentiles per block from its transactions sorted by
 * effective tip, weighted by the gas each used (from the receipts); empty blocks reward 0;
 * baseFeePerGas and baseFeePerBlobGas carry one more entry, the block after the newest.
 */
import { Transaction } from 'ethers';
import type { VerifiedHeader } from '../contracts.js';
import { toHex } from '../../verify/bytes.js';
import { type MethodContext, blockNumberOf, forkOf } from './context.js';
import { InvalidParamsError, MethodError } from './errors.js';
import { blobBaseFee, blobGasUsedRatio, nextBaseFee, nextBlobBaseFee } from './fee-math.js';
import { mapLimit, qty } from './format.js';
import { type BlockNumberRef, P, parseBlockCount, parsePercentiles } from './params.js';
import { type MethodSpec, method } from './table.js';
import { effectiveTip } from './tx-format.js';

const SAMPLES_PER_BLOCK = 3;
const IGNORE_TIP = 2n;

const tipCache = new WeakMap<MethodContext, { head: string; tip: bigint }>();

async function headers(ctx: MethodContext, from: number, to: number): Promise<VerifiedHeader[]> {
  const numbers = Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const head = ctx.chain.head();
  return mapLimit(numbers, ctx.config.concurrency, (n) => (n === head.header.number ? Promise.resolve(head) : ctx.chain.headerByNumber(n)));
}

/** Effective tips of a block's transactions (no sender recovery needed). */
async function tips(ctx: MethodContext, vh: VerifiedHeader): Promise<bigint[]> {
  const body = await ctx.odr.body(vh);
  return body.transactions.map((raw) => effectiveTip(Transaction.from(`0x${toHex(raw)}`), vh.header.baseFeePerGas));
}

export async function suggestTip(ctx: MethodContext): Promise<bigint> {
  const head = ctx.chain.head();
  const cached = tipCache.get(ctx);
  if (cached !== undefined && cached.head === toHex(head.hash)) return cached.tip;
  const from = Math.max(0, head.header.number - ctx.config.gasPriceBlocks + 1);
  const recent = await headers(ctx, from, head.header.number);
  const perBlock = await mapLimit(recent, ctx.config.concurrency, async (vh) =>
    (await tips(ctx, vh))
      .filter((t) => t >= IGNORE_TIP)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, SAMPLES_PER_BLOCK),
  );
  const samples = perBlock.flat().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const floor = ctx.config.minPriorityFee;
  const pick = samples[Math.floor(((samples.length - 1) * ctx.config.gasPricePercentile) / 100)];
  const tip = pick !== undefined && pick > floor ? pick : floor;
  tipCache.set(ctx, { head: toHex(head.hash), tip });
  return tip;
}

/** geth's reward percentiles of one block. */
async function rewards(ctx: MethodContext, vh: VerifiedHeader, percentiles: readonly number[]): Promise<string[]> {
  if (vh.header.gasUsed === 0n) return percentiles.map(() => '0x0');
  const [blockTips, receipts] = await Promise.all([tips(ctx, vh), ctx.odr.receipts(vh)]);
  if (blockTips.length === 0) return percentiles.map(() => '0x0');
  const sorted = blockTips
    .map((reward, i) => ({ reward, gasUsed: (receipts[i]?.cumulativeGasUsed ?? 0n) - (i === 0 ? 0n : (receipts[i - 1]?.cumulativeGasUsed ?? 0n)) }))
    .sort((a, b) => (a.reward < b.reward ? -1 : a.reward > b.reward ? 1 : 0));
  let index = 0;
  let sum = (sorted[0] as { gasUsed: bigint }).gasUsed;
  const gasUsed = Number(vh.header.gasUsed);
  return percentiles.map((p) => {
    const threshold = BigInt(Math.floor((gasUsed * p) / 100));
    while (sum < threshold && index < sorted.length - 1) {
      index++;
      sum += (sorted[index] as { gasUsed: bigint }).gasUsed;
    }
    return qty((sorted[index] as { reward: bigint }).reward);
  });
}

async function feeHistory(ctx: MethodContext, count: number, newestRef: BlockNumberRef, percentiles: readonly number[] | undefined): Promise<unknown> {
  const head = ctx.chain.head().header.number;
  const newest = blockNumberOf(ctx, newestRef);
  if (newest > head) throw new MethodError('BLOCK_NOT_FOUND', `request beyond head block: requested ${newest}, head ${head}`, { field: 'newestBlock' });
  if (count === 0) return { oldestBlock: '0x0', gasUsedRatio: null };
  const oldest = Math.max(0, newest - count + 1);
  const hs = await headers(ctx, oldest, newest);
  const last = hs[hs.length - 1] as VerifiedHeader;
  const out: Record<string, unknown> = {
    oldestBlock: qty(oldest),
    baseFeePerGas: [...hs.map((h) => qty(h.header.baseFeePerGas ?? 0n)), qty(nextBaseFee(last.header))],
    gasUsedRatio: hs.map((h) => (h.header.gasLimit === 0n ? 0 : Number(h.header.gasUsed) / Number(h.header.gasLimit))),
    baseFeePerBlobGas: [...hs.map((h) => qty(blobBaseFee(h.header, forkOf(ctx, h)) ?? 0n)), qty(nextBlobBaseFee(last.header, forkOf(ctx, last)) ?? 0n)],
    blobGasUsedRatio: hs.map((h) => blobGasUsedRatio(h.header, forkOf(ctx, h)) ?? 0),
  };
  if (percentiles !== undefined && percentiles.length > 0) {
    out.reward = await mapLimit(hs, ctx.config.concurrency, (h) => rewards(ctx, h, percentiles));
  }
  return out;
}

const blockCount = P.custom('blockCount', (v, f) => parseBlockCount(v, f, Number.MAX_SAFE_INTEGER));
const percentilesParam = P.custom('rewardPercentiles', parsePercentiles, true);

export const feeMethods: readonly MethodSpec[] = [
  method<[]>({ name: 'eth_maxPriorityFeePerGas', params: [], handler: async (ctx) => qty(await suggestTip(ctx)) }),
  method<[]>({
    name: 'eth_gasPrice',
    params: [],
    handler: async (ctx) => qty(nextBaseFee(ctx.chain.head().header) + (await suggestTip(ctx))),
  }),
  method<[]>({
    name: 'eth_blobBaseFee',
    params: [],
    handler(ctx) {
      const head = ctx.chain.head();
      const fee = nextBlobBaseFee(head.header, forkOf(ctx, head));
      // Before Cancun there is no blob fee: null, as geth answers.
      return fee === undefined ? null : qty(fee);
    },
  }),
  method<[number, BlockNumberRef, number[] | undefined]>({
    name: 'eth_feeHistory',
    params: [blockCount, P.blockNumber('newestBlock'), percentilesParam],
    handler(ctx, [count, newest, percentiles]) {
      if (count > ctx.config.maxFeeHistory) {
        throw new InvalidParamsError('blockCount', `${count} blocks, more than ${ctx.config.maxFeeHistory}`);
      }
      return feeHistory(ctx, count, newest, percentiles);
    },
  }),
];
