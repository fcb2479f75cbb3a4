// The section search of eth_getLogs asks for a message's worth of BloomBits vectors at once (one
// GetHelperTrieProofs carries 64 proofs): asked together they are coalesced into one message whose
// proofs share their upper BloomTrie nodes. Over a stand-in Odr that counts what is in flight.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrustedSection } from '../../../src/client/contracts.js';
import { candidateBlocks } from '../../../src/client/methods/bloom-search.js';
import { type MethodContext, resolveConfig } from '../../../src/client/methods/context.js';
import { bloomBitIndexes } from '../../../src/verify/bloom.js';

const SIZE = 8;

function fixture(sections: number) {
  const trusted = (index: number): TrustedSection => ({ index, sectionHead: new Uint8Array(32), chtRoot: new Uint8Array(32), bloomTrieRoot: new Uint8Array(32) });
  const seen = { inFlight: 0, max: 0, asked: 0 };
  const ctx = {
    config: resolveConfig({ chainId: 1n, networkId: 1n }),
    chain: {
      sectionSize: SIZE,
      latestSection: () => trusted(sections - 1),
      section: (i: number) => (i < sections ? trusted(i) : undefined),
    },
    odr: {
      async bloomBits(): Promise<Uint8Array> {
        seen.asked++;
        seen.max = Math.max(seen.max, ++seen.inFlight);
        await new Promise((r) => setImmediate(r));
        seen.inFlight--;
        return new Uint8Array(SIZE / 8);
      },
    },
  } as unknown as MethodContext;
  return { ctx, seen };
}

describe('eth_getLogs section search', () => {
  const address = Uint8Array.from(Buffer.from('5e'.repeat(20), 'hex'));
  const bits = new Set(bloomBitIndexes(address)).size;

  it('asks every section of a 10-section range at once (one message of 10 × 3 proofs)', async () => {
    const { ctx, seen } = fixture(10);
    assert.deepEqual(await candidateBlocks(ctx, 0, 10 * SIZE - 1, [[address]]), []);
    assert.equal(seen.asked, 10 * bits);
    assert.equal(seen.max, 10 * bits);
  });

  it('never more than one message of proofs (64) in flight over a longer range', async () => {
    const { ctx, seen } = fixture(50);
    await candidateBlocks(ctx, 0, 50 * SIZE - 1, [[address]]);
    assert.equal(seen.asked, 50 * bits);
    assert.equal(seen.max, Math.floor(64 / bits) * bits);
  });
});
