// The header window survives a restart (LevelDB under a datadir): the reopened chain has the same
// head and canonical window and asks no server for a stored header; a store of another network
// is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ChainError } from '../../../src/client/chain/errors.js';
import { HeaderChain } from '../../../src/client/chain/header-chain.js';
import { HeadTracker } from '../../../src/client/chain/head-tracker.js';
import { Code } from '../../../src/wire/codes.js';
import { FakeRetriever } from '../../helpers/fake-retriever.js';
import { type SynthHeader, SynthChain, announceOf, synthServer, testConfig } from './chain-fixture.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('header chain persistence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lesp-chain-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const synth = new SynthChain(40);
  const servers = () => [1, 2, 3, 4].map((seed) => synthServer(seed, { chain: synth, branch: synth.main }));

  it('reopens at the stored head and window without any header request', async () => {
    const r1 = new FakeRetriever(servers());
    const c1 = await HeaderChain.open({ config: testConfig(synth.genesis), retriever: r1, datadir: dir, windowSize: 32 });
    const t1 = new HeadTracker(c1, r1, { configured: 4 });
    for (const s of r1.list.slice(0, 3)) await t1.onAnnounce(s.id, true, announceOf(s, synth.main[39] as SynthHeader));
    assert.equal(c1.head().header.number, 39);
    assert.deepEqual(c1.window(), { lo: 8, hi: 39 });
    await c1.close();

    const r2 = new FakeRetriever(servers());
    const c2 = await HeaderChain.open({ config: testConfig(synth.genesis), retriever: r2, datadir: dir, windowSize: 32 });
    assert.equal(hex(c2.head().hash), hex((synth.main[39] as SynthHeader).hash));
    assert.deepEqual(c2.window(), { lo: 8, hi: 39 });
    for (let n = 8; n <= 39; n++) assert.equal(hex((await c2.headerByNumber(n)).hash), hex((synth.main[n] as SynthHeader).hash));
    assert.deepEqual(r2.sent(), [], 'no request for stored headers');
    // Below the window it must ask (linking back from block 8).
    assert.equal(hex((await c2.headerByNumber(3)).hash), hex((synth.main[3] as SynthHeader).hash));
    assert.ok(r2.sent().length > 0 && r2.sent().every((e) => e.code === Code.GetBlockHeaders));
    await c2.close();
  });

  it('refuses a datadir that holds the chain of another genesis', async () => {
    const other = new SynthChain(2);
    // Make the other chain's genesis differ (SynthChain is deterministic: fork block 0 is the same).
    const genesis = { ...other.genesis, hash: new Uint8Array(32).fill(7) };
    const r = new FakeRetriever(servers());
    await assert.rejects(
      HeaderChain.open({ config: testConfig(genesis as SynthHeader), retriever: r, datadir: dir }),
      (e: unknown) => e instanceof ChainError && e.code === 'STORE_MISMATCH',
    );
  });
});
