import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FlowError,
  MIN_CAPACITY,
  REFERENCE_COSTS,
  bufferLimit,
  deriveMrcTable,
  maxCost,
} from '../../../src/flow/index.js';
import { decodeStatus, encodeStatus } from '../../../src/wire/status.js';

// DESIGN §4 reference table (base, per item) and "max cost announced in MRC is twice the average".
const designAverages: Array<[number, number, number]> = [
  [0x02, 150000, 30000],
  [0x04, 0, 700000],
  [0x06, 0, 1000000],
  [0x0a, 0, 450000],
  [0x0f, 0, 600000],
  [0x11, 0, 1000000],
  [0x13, 0, 450000],
  [0x14, 0, 250000],
];

describe('cost table', () => {
  it('holds the reference averages of DESIGN §4 for the eight les/2-4 request codes', () => {
    assert.deepEqual(
      REFERENCE_COSTS.map((r) => [r.code, r.baseCost, r.reqCost]),
      designAverages,
    );
  });

  it('derives the announced MRC as twice the average (headers 300000 + 60000 per item)', () => {
    const mrc = deriveMrcTable();
    assert.deepEqual(mrc[0], { code: 0x02, baseCost: 300000, reqCost: 60000 });
    assert.deepEqual(
      mrc.map((r) => [r.code, r.baseCost, r.reqCost]),
      [
        [0x02, 300000, 60000],
        [0x04, 0, 1400000],
        [0x06, 0, 2000000],
        [0x0a, 0, 900000],
        [0x0f, 0, 1200000],
        [0x11, 0, 2000000],
        [0x13, 0, 900000],
        [0x14, 0, 500000],
      ],
    );
  });

  it('scales the derived table by a factor, rounding up to integers', () => {
    const mrc = deriveMrcTable(REFERENCE_COSTS, 1.5);
    assert.deepEqual(mrc[0], { code: 0x02, baseCost: 450000, reqCost: 90000 });
    // 2 × 250000 × 1.0000001 = 500000.05 → 500001
    assert.equal(deriveMrcTable(REFERENCE_COSTS, 1.0000001)[7]?.reqCost, 500001);
  });

  it('computes maxCost = baseCost + reqCost × items', () => {
    const mrc = deriveMrcTable();
    assert.equal(maxCost(mrc, 0x02, 192), 300000 + 60000 * 192); // 11,820,000
    assert.equal(maxCost(mrc, 0x02, 0), 300000);
    assert.equal(maxCost(mrc, 0x06, 128), 256_000_000);
    assert.equal(maxCost(mrc, 0x14, 256), 128_000_000);
  });

  it('takes the MRC table decoded from a Status message as it is', () => {
    const status = decodeStatus(
      encodeStatus({
        protocolVersion: 4,
        networkId: 1n,
        headTd: 1n,
        headHash: new Uint8Array(32),
        headNum: 0,
        genesisHash: new Uint8Array(32),
        forkID: { hash: new Uint8Array(4), next: 0n },
        flowControlMRC: [{ code: 0x0f, baseCost: 7, reqCost: 1200000 }],
        unknown: [],
      }),
    );
    assert.equal(maxCost(status.flowControlMRC ?? [], 0x0f, 3), 7 + 3 * 1200000);
  });

  it('throws UNKNOWN_CODE naming the code for a request missing from the table', () => {
    const mrc = deriveMrcTable();
    assert.throws(
      () => maxCost(mrc, 0x08, 1), // les/1 GetProofs: not in les/2+
      (e: unknown) => e instanceof FlowError && e.code === 'UNKNOWN_CODE' && e.field === 'code' && /0x08/.test(e.message),
    );
  });

  it('rejects negative or fractional item counts', () => {
    const mrc = deriveMrcTable();
    for (const n of [-1, 1.5, Number.NaN]) {
      assert.throws(() => maxCost(mrc, 0x02, n), (e: unknown) => e instanceof FlowError && e.field === 'itemCount');
    }
  });

  it('gives BL = 6000 × MRR: minimum capacity 16000 → 96,000,000', () => {
    assert.equal(MIN_CAPACITY, 16000);
    assert.equal(bufferLimit(MIN_CAPACITY), 96_000_000);
    assert.equal(bufferLimit(1), 6000);
    assert.throws(() => bufferLimit(-1), (e: unknown) => e instanceof FlowError && e.field === 'mrr');
  });
});
