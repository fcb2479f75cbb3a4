// The priority-fee rule of eth_maxPriorityFeePerGas / eth_gasPrice (documented in
// src/client/methods/fees.ts) on an in-memory chain of signed transactions: the 3 lowest tips of
// each of the last 20 blocks, tips under 2 wei ignored, the 60th percentile, a 1 gwei floor;
// eth_gasPrice adds the EIP-1559 base fee of the next block. Computed once per head.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wallet, getBytes } from 'ethers';
import type { HeaderChainView, VerifiedBody, VerifiedHeader } from '../../../src/client/contracts.js';
import { type MethodsOdr, createMethods } from '../../../src/client/methods/index.js';

const GWEI = 10n ** 9n;
const BASE = 10n * GWEI;
const wallet = new Wallet('0x' + '01'.repeat(32));

/** A block at `number` whose transactions pay these tips over a 10 gwei base fee. */
async function block(number: number, tips: bigint[], gasUsed = 15_000_000n): Promise<[VerifiedHeader, VerifiedBody]> {
  const txs = await Promise.all(
    tips.map(async (tip, i) =>
      getBytes(
        i % 2 === 0
          ? await wallet.signTransaction({ type: 2, chainId: 1, nonce: i, to: wallet.address, gasLimit: 21000, maxFeePerGas: BASE + tip, maxPriorityFeePerGas: tip })
          : await wallet.signTransaction({ type: 0, chainId: 1, nonce: i, to: wallet.address, gasLimit: 21000, gasPrice: BASE + tip }),
      ),
    ),
  );
  const hash = new Uint8Array(32).fill(number + 1);
  const header = { number, baseFeePerGas: BASE, gasLimit: 30_000_000n, gasUsed } as VerifiedHeader['header'];
  return [{ header, hash, rlp: new Uint8Array(0) }, { transactions: txs, uncles: [] }];
}

async function chainOf(blocks: Array<[VerifiedHeader, VerifiedBody]>) {
  const bodies = new Map(blocks.map(([h, b]) => [h.header.number, b]));
  let bodyCalls = 0;
  const head = (blocks[blocks.length - 1] as [VerifiedHeader, VerifiedBody])[0];
  const chain = { head: () => head, headerByNumber: async (n: number) => (blocks[n] as [VerifiedHeader, VerifiedBody])[0], sectionSize: 64 } as unknown as HeaderChainView;
  const odr = {
    body: async (h: VerifiedHeader) => {
      bodyCalls++;
      return bodies.get(h.header.number) as VerifiedBody;
    },
  } as unknown as MethodsOdr;
  return { methods: createMethods({ odr, chain, config: { chainId: 1n, networkId: 1n } }), calls: () => bodyCalls };
}

const tipsAt: Record<number, bigint[]> = {
  3: [100n * GWEI], // outside the last 20 blocks of head 24
  10: [5n * GWEI, 2n * GWEI, 7n * GWEI, 9n * GWEI], // samples 2, 5, 7
  15: [1n], // below 2 wei: ignored
  20: [4n * GWEI],
};

describe('gas price oracle', () => {
  it('takes the 60th percentile of the 3 lowest tips per block over the last 20 blocks', async () => {
    const blocks = await Promise.all(Array.from({ length: 25 }, (_, n) => block(n, tipsAt[n] ?? [])));
    const { methods, calls } = await chainOf(blocks);
    // Samples 2, 4, 5, 7 gwei: index floor(3 × 60 / 100) = 1 → 4 gwei.
    assert.equal(await methods.request('eth_maxPriorityFeePerGas', []), `0x${(4n * GWEI).toString(16)}`);
    // The head used exactly half its gas limit: the next base fee is unchanged.
    assert.equal(await methods.request('eth_gasPrice', []), `0x${(BASE + 4n * GWEI).toString(16)}`);
    assert.equal(calls(), 20, 'one body per block, once per head');
  });

  it('never suggests less than 1 gwei, and 1 gwei without samples', async () => {
    const low = await Promise.all(Array.from({ length: 5 }, (_, n) => block(n, n === 2 ? [3n, 1000n] : [])));
    assert.equal(await (await chainOf(low)).methods.request('eth_maxPriorityFeePerGas', []), '0x3b9aca00');
    const empty = await Promise.all(Array.from({ length: 3 }, (_, n) => block(n, [])));
    assert.equal(await (await chainOf(empty)).methods.request('eth_maxPriorityFeePerGas', []), '0x3b9aca00');
  });

  it('eth_gasPrice uses the next block base fee (EIP-1559) of a full head', async () => {
    const full = await Promise.all(Array.from({ length: 2 }, (_, n) => block(n, [], 30_000_000n)));
    // Full block: base fee rises by 1/8 → 11.25 gwei, plus the 1 gwei floor.
    assert.equal(await (await chainOf(full)).methods.request('eth_gasPrice', []), `0x${(BASE + BASE / 8n + GWEI).toString(16)}`);
  });
});
