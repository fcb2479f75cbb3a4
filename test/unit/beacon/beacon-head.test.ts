/**
 * Beacon trust for the header chain: the head is the block the beacon anchor vouches for, fetched
 * over LES (synthetic servers of a real header chain) by its hash; LES announces are followed only
 * when they are, or precede, the anchor's block. The anchor is a stand-in that emits heads (the
 * real one is tested against the spec vectors in beacon-anchor.test.ts).
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { BeaconHeads } from '../../../src/client/chain/beacon-anchor.js';
import { BeaconHeadTracker, type BeaconHeadsSource } from '../../../src/client/chain/beacon-head.js';
import { HeaderChain } from '../../../src/client/chain/header-chain.js';
import type { BeaconHead } from '../../../src/verify/beacon/index.js';
import { FakeRetriever, type FakeServer } from '../../helpers/fake-retriever.js';
import { type ServerState, type SynthHeader, SynthChain, announceOf, synthServer, testConfig } from '../client/chain-fixture.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

class StandInAnchor implements BeaconHeadsSource {
  heads: BeaconHeads | undefined;
  readonly listeners = new Set<(h: BeaconHeads) => void>();
  onHeads(l: (h: BeaconHeads) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(optimistic: SynthHeader, finalized: SynthHeader): void {
    const head = (h: SynthHeader): BeaconHead => ({
      slot: h.header.number * 2,
      beaconRoot: new Uint8Array(32),
      blockHash: h.hash,
      blockNumber: h.header.number,
      executionRoot: new Uint8Array(32),
    });
    this.heads = { optimistic: head(optimistic), finalized: head(finalized) };
    for (const l of this.listeners) l(this.heads);
  }
}

describe('beacon head tracker', () => {
  let synth: SynthChain;
  let fork: SynthHeader[];
  let servers: FakeServer[];
  let chain: HeaderChain;
  let anchor: StandInAnchor;

  beforeEach(async () => {
    synth = new SynthChain(30);
    fork = synth.fork(synth.main, 20, 9, 7);
    const states: ServerState[] = [{ chain: synth, branch: synth.main }, { chain: synth, branch: synth.main }];
    servers = states.map((st, i) => synthServer(i + 1, st, false));
    chain = await HeaderChain.open({ config: testConfig(synth.genesis), retriever: new FakeRetriever(servers) });
    anchor = new StandInAnchor();
  });

  const main = (n: number) => synth.main[n] as SynthHeader;

  it('adopts the anchor\'s optimistic block, fetched over LES by its hash and linked to genesis', async () => {
    const t = new BeaconHeadTracker(chain, anchor);
    anchor.emit(main(25), main(16));
    const r = await t.adoptTarget();
    assert.ok(r !== undefined);
    assert.equal(hex(chain.head().hash), hex(main(25).hash));
    for (let n = 0; n <= 25; n++) assert.equal(hex((await chain.headerByNumber(n)).hash), hex(main(n).hash), `block ${n}`);
    assert.equal(t.finalized()?.blockNumber, 16);
    assert.equal(await t.adoptTarget(), undefined, 'already the head');
  });

  it('follows the anchor\'s heads events; finalized-only mode follows the finalized block', async () => {
    const t = new BeaconHeadTracker(chain, anchor);
    const heads = new Promise<number>((resolve) => chain.once('head', (h: { header: { number: number } }) => resolve(h.header.number)));
    t.start();
    anchor.emit(main(12), main(4));
    assert.equal(await heads, 12);
    t.stop();

    const f = new BeaconHeadTracker(chain, anchor, { finalizedOnly: true });
    anchor.emit(main(29), main(20));
    await f.adoptTarget();
    assert.equal(chain.head().header.number, 20);
  });

  it('does not adopt a block LES cannot serve by the anchor\'s hash', async () => {
    const t = new BeaconHeadTracker(chain, anchor);
    const unknown = { ...main(10), hash: new Uint8Array(32).fill(9) };
    anchor.emit(unknown, main(4));
    await assert.rejects(t.adoptTarget());
    assert.equal(chain.head().header.number, 0);
  });

  it('judges LES announces against the anchor: its block or an ancestor is followed, a conflicting one refused, a newer one waits', async () => {
    const t = new BeaconHeadTracker(chain, anchor);
    const s = servers[0] as FakeServer;
    anchor.emit(main(24), main(16));
    assert.equal(await t.onAnnounce(s.id, false, announceOf(s, main(24))), 'adopted');
    assert.equal(hex(chain.head().hash), hex(main(24).hash));
    assert.equal(await t.onAnnounce(s.id, false, announceOf(s, main(22))), 'recorded', 'an ancestor of the anchor block');
    assert.equal(await t.onAnnounce(s.id, false, announceOf(s, fork[23] as SynthHeader)), 'refused', 'another branch at or below the anchor block');
    assert.equal(await t.onAnnounce(s.id, false, announceOf(s, main(27))), 'recorded', 'beyond the anchor: waits');
    assert.equal(chain.head().header.number, 24, 'an announce beyond the anchor is not adopted');
    assert.equal(await t.onAnnounce(s.id, false, announceOf(s, fork[29] as SynthHeader)), 'recorded');
    assert.equal(hex(chain.head().hash), hex(main(24).hash));
  });
});
