// Old headers no trusted section covers are linked back from the window by parent hashes. That
// costs the servers one GetBlockHeaders per 192 headers, so it is bounded: per lookup
// (maxBackfill) and over all lookups by a budget refilled per minute. Past either, the lookup
// fails with LIMIT_EXCEEDED (-32005) and nothing is fetched.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ChainError } from '../../../src/client/chain/errors.js';
import { HeaderChain } from '../../../src/client/chain/header-chain.js';
import { HeadTracker } from '../../../src/client/chain/head-tracker.js';
import { toRpcError } from '../../../src/client/methods/errors.js';
import { FakeRetriever } from '../../helpers/fake-retriever.js';
import { type SynthHeader, SynthChain, announceOf, synthServer, testConfig } from './chain-fixture.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const limited = (e: unknown) => e instanceof ChainError && e.code === 'LIMIT_EXCEEDED' && toRpcError(e).code === -32005;

describe('header chain back-fill budget', () => {
  const synth = new SynthChain(200);
  let retriever: FakeRetriever;
  let clock = 0;

  /** A chain at head 199 with a window of 8 (lo = 192) and no section: everything older is back-filled. */
  const open = async (o: { maxBackfill?: number; backfillPerMinute?: number }) => {
    const servers = [1, 2].map((seed) => synthServer(seed, { chain: synth, branch: synth.main }));
    retriever = new FakeRetriever(servers);
    const chain = await HeaderChain.open({ config: testConfig(synth.genesis, { sectionSize: 1 << 20 }), retriever, windowSize: 8, now: () => clock, ...o });
    const tracker = new HeadTracker(chain, retriever, { configured: 2 });
    for (const s of servers) await tracker.onAnnounce(s.id, true, announceOf(s, synth.main[199] as SynthHeader));
    assert.deepEqual(chain.window(), { lo: 192, hi: 199 });
    return chain;
  };

  beforeEach(() => {
    clock = 0;
  });

  it('one lookup links back at most maxBackfill headers; nothing is fetched past it', async () => {
    const chain = await open({ maxBackfill: 50 });
    const sent = retriever.sent().length;
    await assert.rejects(chain.headerByNumber(100), limited);
    assert.equal(retriever.sent().length, sent, 'no request for a refused lookup');
    assert.equal(hex((await chain.headerByNumber(150)).hash), hex((synth.main[150] as SynthHeader).hash));
  });

  it('all lookups together stay within backfillPerMinute; the budget refills with time', async () => {
    const chain = await open({ backfillPerMinute: 60 });
    assert.equal(hex((await chain.headerByNumber(152)).hash), hex((synth.main[152] as SynthHeader).hash)); // 40 used
    await assert.rejects(chain.headerByNumber(120), limited, '32 more than the 20 left');
    clock += 30_000; // +30
    assert.equal(hex((await chain.headerByNumber(120)).hash), hex((synth.main[120] as SynthHeader).hash));
    await assert.rejects(chain.headerByNumber(100), limited);
  });
});
