// Head agreement among trusted servers (DESIGN §5): signed announces of 4 trusted servers at the
// default 75%, forged and untrusted announces, descendants as support, disconnects, and reorgs
// (a newly agreed head on another branch rolls the window back to the common ancestor).
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { HeaderChain } from '../../../src/client/chain/header-chain.js';
import { HeadTracker } from '../../../src/client/chain/head-tracker.js';
import { ChainError } from '../../../src/client/chain/errors.js';
import { FakeRetriever, type FakeServer } from '../../helpers/fake-retriever.js';
import { type ServerState, type SynthHeader, SynthChain, announceOf, synthServer, testConfig } from './chain-fixture.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('head agreement among trusted servers', () => {
  let synth: SynthChain;
  let states: ServerState[];
  let servers: FakeServer[];
  let retriever: FakeRetriever;
  let chain: HeaderChain;
  let tracker: HeadTracker;

  beforeEach(async () => {
    synth = new SynthChain(11);
    states = [0, 1, 2, 3].map(() => ({ chain: synth, branch: synth.main }));
    servers = states.map((st, i) => synthServer(i + 1, st));
    retriever = new FakeRetriever(servers);
    chain = await HeaderChain.open({ config: testConfig(synth.genesis), retriever });
    tracker = new HeadTracker(chain, retriever, { configured: 4 });
  });

  const announce = (s: FakeServer, h: SynthHeader, reorgDepth = 0) => tracker.onAnnounce(s.id, s.trusted, announceOf(s, h, { reorgDepth }));
  const main = (n: number) => synth.main[n] as SynthHeader;
  /** Server i now follows `branch` (its state and its announced head). */
  const onBranch = (i: number, branch: SynthHeader[]) => {
    (states[i] as ServerState).branch = branch;
    const tip = branch[branch.length - 1] as SynthHeader;
    (servers[i] as FakeServer).head = { hash: tip.hash, number: tip.header.number, td: BigInt(tip.header.number + 1) };
  };

  it('starts at the genesis fetched by its configured hash', () => {
    assert.equal(hex(chain.head().hash), hex(synth.genesis.hash));
    assert.equal(chain.head().header.number, 0);
  });

  it('accepts a head once 3 of 4 trusted servers announced it, not at 2 of 4', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    assert.equal(await announce(a, main(10)), 'recorded');
    assert.equal(await announce(b, main(10)), 'recorded');
    assert.equal(chain.head().header.number, 0, '2 of 4 is below 75%');
    assert.equal(await announce(c, main(10)), 'adopted');
    assert.equal(hex(chain.head().hash), hex(main(10).hash));
    for (let n = 0; n <= 10; n++) assert.equal(hex((await chain.headerByNumber(n)).hash), hex(main(n).hash), `block ${n}`);
  });

  it('ignores a forged announce: signed by another key, or not signed', async () => {
    const [a, b, c, d] = servers as [FakeServer, FakeServer, FakeServer, FakeServer];
    assert.equal(await tracker.onAnnounce(a.id, true, announceOf(a, main(10), { signer: d.key })), 'forged');
    assert.equal(await tracker.onAnnounce(b.id, true, announceOf(b, main(10), { unsigned: true })), 'forged');
    assert.equal(tracker.votes.vote(a.id), undefined);
    assert.equal(await announce(c, main(10)), 'recorded');
    assert.equal(await announce(d, main(10)), 'recorded');
    assert.equal(chain.head().header.number, 0, 'two honest votes of four: no agreement');
    assert.equal(await announce(a, main(10)), 'adopted', 'the real signature of the same server counts');
  });

  it('a tampered head number or TD breaks the signature', async () => {
    const [a] = servers as [FakeServer];
    const forged = { ...announceOf(a, main(10)), headNumber: 9 };
    assert.equal(await tracker.onAnnounce(a.id, true, forged), 'forged');
  });

  it('untrusted servers do not vote, and do not count towards the fraction', async () => {
    const extra = [5, 6, 7].map((seed) => retriever.add(synthServer(seed, { chain: synth, branch: synth.main }, false)));
    for (const s of extra) assert.equal(await announce(s, main(10)), 'untrusted');
    const [a, b] = servers as [FakeServer, FakeServer];
    await announce(a, main(10));
    assert.equal(await announce(b, main(10)), 'recorded');
    assert.equal(chain.head().header.number, 0);
  });

  it('counts a descendant as support for its ancestor', async () => {
    const [a, b, c, d] = servers as [FakeServer, FakeServer, FakeServer, FakeServer];
    await announce(a, main(8));
    await announce(b, main(10));
    assert.equal(await announce(c, main(8)), 'adopted', 'main(10) descends from main(8): 3 support main(8)');
    assert.equal(chain.head().header.number, 8);
    assert.equal(await announce(d, main(10)), 'recorded', 'main(10) has 2 of 4');
    assert.equal(await announce(c, main(10)), 'adopted');
    assert.equal(chain.head().header.number, 10);
  });

  it('the quorum counts configured trusted servers: 2 of 4 connected agree on nothing, however often they announce', async () => {
    const [a, b, c, d] = servers as [FakeServer, FakeServer, FakeServer, FakeServer];
    for (const s of [c, d]) {
      retriever.remove(s.id);
      tracker.serverGone(s.id);
    }
    assert.equal(tracker.quorum.needed, 3);
    assert.match(tracker.quorum.shortfall(tracker.connectedTrusted().length) ?? '', /2 of 4 trusted servers connected; 3 must agree/);
    for (const n of [5, 8, 10]) {
      assert.equal(await announce(a, main(n)), 'recorded');
      assert.equal(await announce(b, main(n)), 'recorded');
    }
    assert.equal(chain.head().header.number, 0, 'the head did not move with 2 voices');
    assert.equal(tracker.votes.highest(tracker.connectedTrusted()), undefined, 'no number is agreed by 3 either');
    retriever.add(c);
    assert.equal(tracker.quorum.shortfall(tracker.connectedTrusted().length), undefined);
    assert.equal(await announce(c, main(10)), 'adopted');
    assert.equal(chain.head().header.number, 10);
  });

  it('minVotes raises the quorum above the fraction: 1 trusted server configured, 1 vote; fraction 0.5 of 4 with minVotes 3 needs 3', async () => {
    const q = new HeadTracker(chain, retriever, { configured: 4, fraction: 0.5, minVotes: 3 }).quorum;
    assert.equal(q.needed, 3);
    assert.equal(new HeadTracker(chain, retriever, { configured: 1 }).quorum.needed, 1);
  });

  it('a disconnected server does not vote; 3 of the 4 configured still agree', async () => {
    const [a, b, c, d] = servers as [FakeServer, FakeServer, FakeServer, FakeServer];
    retriever.remove(d.id);
    tracker.serverGone(d.id);
    await announce(a, main(10));
    assert.equal(await announce(b, main(10)), 'recorded', '2 of 3 is below 75%');
    assert.equal(await announce(c, main(10)), 'adopted');
  });

  it('a reorg to another branch rolls the window back to the common ancestor', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    for (const s of [a, b, c]) await announce(s, main(10));
    const fork = synth.fork(synth.main, 7, 4, 1); // 8'..11' on top of main(7)
    const events: number[] = [];
    chain.on('head', (_h, r: { reorgDepth: number }) => events.push(r.reorgDepth));
    [0, 1, 2, 3].forEach((i) => onBranch(i, fork));
    await announce(a, fork[11] as SynthHeader, 3);
    await announce(b, fork[11] as SynthHeader, 3);
    assert.equal(await announce(c, fork[11] as SynthHeader, 3), 'adopted');
    assert.deepEqual(events, [3], 'blocks 8, 9 and 10 of the old branch were rolled back');
    for (let n = 0; n <= 11; n++) {
      const want = n <= 7 ? main(n) : (fork[n] as SynthHeader);
      assert.equal(hex((await chain.headerByNumber(n)).hash), hex(want.hash), `block ${n}`);
    }
    assert.equal(await chain.isCanonical(main(9).hash, 9), false);
    assert.equal(await chain.isCanonical((fork[9] as SynthHeader).hash, 9), true);
  });

  it('a reorg to a shorter branch drops the old heads above it', async () => {
    const [a, b, c] = servers as [FakeServer, FakeServer, FakeServer];
    for (const s of [a, b, c]) await announce(s, main(10));
    const fork = synth.fork(synth.main, 6, 2, 2); // 7'..8'
    [0, 1, 2].forEach((i) => onBranch(i, fork));
    for (const s of [a, b, c]) await announce(s, fork[8] as SynthHeader, 4);
    assert.equal(hex(chain.head().hash), hex((fork[8] as SynthHeader).hash));
    assert.equal(hex((await chain.headerByNumber(7)).hash), hex((fork[7] as SynthHeader).hash));
    await assert.rejects(chain.headerByNumber(9), (e: unknown) => e instanceof ChainError && e.code === 'NOT_AVAILABLE');
  });

  it('drops the vote of a server whose announced header it cannot get', async () => {
    const [a] = servers as [FakeServer];
    await announce(a, main(10));
    assert.ok(tracker.votes.vote(a.id));
    const unknown = synth.fork(synth.main, 9, 1, 9)[10] as SynthHeader;
    synth.byHash.delete(hex(unknown.hash)); // no server has it
    const signed = announceOf(a, unknown);
    assert.equal(await tracker.onAnnounce(a.id, true, signed), 'unlinked');
    assert.equal(tracker.votes.vote(a.id), undefined);
  });
});
