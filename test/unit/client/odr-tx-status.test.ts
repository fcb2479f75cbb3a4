// Combining tx statuses from several servers (DESIGN §5: a status cannot be proven; "included" is
// believed only when the verified body of that canonical block holds the transaction at that index).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { VerifiedBody, VerifiedHeader } from '../../../src/client/contracts.js';
import { checkIncluded, combineStatuses } from '../../../src/client/odr/tx-status.js';
import { requiredVotes } from '../../../src/client/chain/agreement.js';
import { TxState } from '../../../src/wire/tx.js';
import { SynthChain } from './chain-fixture.js';

const txs = [Uint8Array.of(0x02, 1), Uint8Array.of(0x02, 2), Uint8Array.of(0x02, 3)];
const synth = new SynthChain(6);
const at = (n: number) => synth.main[n] as VerifiedHeader;
const deps = {
  chain: {
    head: () => at(5),
    headerByHash: async (hash: Uint8Array) => {
      const h = synth.byHash.get(Buffer.from(hash).toString('hex'));
      if (h === undefined) throw new Error('unknown');
      return h;
    },
    isCanonical: async (hash: Uint8Array, n: number) => Buffer.from(at(n).hash).equals(hash),
  },
  body: async (): Promise<VerifiedBody> => ({ transactions: txs, uncles: [] }),
};

describe('tx status', () => {
  it('believes "included" only where the body holds the transaction at that index of a canonical block', async () => {
    const lookup = { blockHash: at(3).hash, blockNumber: 3, txIndex: 1 };
    assert.equal(await checkIncluded(deps, keccak256(txs[1] as Uint8Array), lookup), true);
    assert.equal(await checkIncluded(deps, keccak256(txs[1] as Uint8Array), { ...lookup, txIndex: 2 }), false, 'wrong index');
    assert.equal(await checkIncluded(deps, keccak256(txs[1] as Uint8Array), { ...lookup, txIndex: 7 }), false, 'no such index');
    assert.equal(await checkIncluded(deps, keccak256(txs[1] as Uint8Array), { ...lookup, blockNumber: 4 }), false, 'header number differs');
    const side = synth.fork(synth.main, 2, 1, 5)[3] as VerifiedHeader;
    assert.equal(await checkIncluded(deps, keccak256(txs[1] as Uint8Array), { ...lookup, blockHash: side.hash }), false, 'not canonical');
    assert.equal(await checkIncluded(deps, keccak256(txs[1] as Uint8Array), { ...lookup, blockNumber: 9 }), false, 'beyond the trusted head');
  });

  it('takes the most advanced believed status and reports disagreement and refuted claims', () => {
    const included = { status: TxState.Included, lookup: { blockHash: at(3).hash, blockNumber: 3, txIndex: 1 } } as const;
    const pending = { status: TxState.Pending } as const;
    const r1 = combineStatuses([{ entry: included, believed: false }, { entry: pending, believed: true }]);
    assert.deepEqual([r1.status, r1.refuted, r1.disagreement, r1.answers], [TxState.Pending, 1, true, 2]);
    const r2 = combineStatuses([{ entry: included, believed: true }, { entry: included, believed: true }, { entry: pending, believed: true }]);
    assert.deepEqual([r2.status, r2.lookup?.txIndex, r2.disagreement], [TxState.Included, 1, true]);
    const r3 = combineStatuses([{ entry: { status: TxState.Error, error: 'nonce too low' }, believed: true }, { entry: { status: TxState.Unknown }, believed: true }]);
    assert.deepEqual([r3.status, r3.error], [TxState.Error, 'nonce too low']);
    const r4 = combineStatuses([]);
    assert.deepEqual([r4.status, r4.answers, r4.disagreement], [TxState.Unknown, 0, false]);
  });

  it('agreement needs ceil(fraction × n) votes: 3 of 4 at 75%, 2 of 2, 1 of 1', () => {
    assert.deepEqual([4, 2, 1, 3, 10].map((n) => requiredVotes(0.75, n)), [3, 2, 1, 3, 8]);
    assert.equal(requiredVotes(0.75, 0), 1);
  });
});
