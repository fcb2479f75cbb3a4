// Older headers and sections: a checkpoint as the anchor, headers below the window proven by CHT
// (an independent @ethereumjs/trie CHT) or linked back, a forged CHT answer refused, a branch that
// contradicts the checkpoint refused, and section roots accepted only when 75% of the trusted
// servers report them and their section head matches the chain.
import assert from 'node:assert/strict';
import { before, beforeEach, describe, it } from 'node:test';
import type { TrustedSection, VerifiedHeader } from '../../../src/client/contracts.js';
import { ChainError } from '../../../src/client/chain/errors.js';
import { HeaderChain } from '../../../src/client/chain/header-chain.js';
import { HeadTracker } from '../../../src/client/chain/head-tracker.js';
import { updateSections } from '../../../src/client/chain/sections.js';
import { VerificationError } from '../../../src/verify/errors.js';
import { Code } from '../../../src/wire/codes.js';
import { FakeRetriever, type FakeServer } from '../../helpers/fake-retriever.js';
import { type ServerState, type SynthHeader, SynthChain, SynthCht, announceOf, synthServer, testConfig } from './chain-fixture.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const SIZE = 16;

describe('checkpoint, CHT-proven headers and section trust', () => {
  let synth: SynthChain;
  let cht: SynthCht;
  let forkCht: SynthCht;
  let fork: SynthHeader[];
  let checkpoint: TrustedSection;
  let states: ServerState[];
  let servers: FakeServer[];
  let retriever: FakeRetriever;
  let chain: HeaderChain;
  let tracker: HeadTracker;

  before(async () => {
    synth = new SynthChain(70);
    cht = await SynthCht.build(synth.main, SIZE);
    fork = synth.fork(synth.main, 40, 29, 7); // 41'..69', diverging inside section 2
    forkCht = await SynthCht.build(fork, SIZE);
    checkpoint = { index: 2, sectionHead: (synth.main[47] as SynthHeader).hash, chtRoot: cht.roots[2] as Uint8Array, bloomTrieRoot: new Uint8Array(32) };
  });

  beforeEach(async () => {
    states = [0, 1, 2, 3].map(() => ({ chain: synth, branch: synth.main, cht }));
    servers = states.map((st, i) => synthServer(i + 1, st));
    retriever = new FakeRetriever(servers);
    chain = await HeaderChain.open({ config: testConfig(synth.genesis, { checkpoint: { ...checkpoint, sectionIndex: 2 } }), retriever, windowSize: 8 });
    tracker = new HeadTracker(chain, retriever, { configured: 4 });
  });

  const main = (n: number) => synth.main[n] as SynthHeader;
  const agree = async (h: SynthHeader, who = servers.slice(0, 3)) => {
    let last = '';
    for (const s of who) last = await tracker.onAnnounce(s.id, true, announceOf(s, h));
    return last;
  };

  it('starts at the checkpoint section head (block 47), fetched by its hash', () => {
    assert.equal(chain.head().header.number, 47);
    assert.equal(hex(chain.head().hash), hex(main(47).hash));
    assert.equal(chain.latestSection()?.index, 2);
  });

  it('proves an old header by CHT against the checkpoint root, with its TD', async () => {
    const before = retriever.sent().length;
    const h = await chain.headerByNumber(5);
    assert.equal(hex(h.hash), hex(main(5).hash));
    assert.equal(h.td, 6n);
    const sent = retriever.sent().slice(before);
    assert.deepEqual(sent.map((e) => e.code), [Code.GetHelperTrieProofs]);
    await chain.headerByNumber(5);
    assert.equal(retriever.sent().length, before + 1, 'the proven header is remembered');
    assert.equal(await chain.isCanonical(main(5).hash, 5), true);
  });

  it('refuses a CHT answer from a server whose CHT is of another branch, and takes the honest one', async () => {
    (states[0] as ServerState).cht = forkCht;
    (states[0] as ServerState).branch = fork;
    const h = await chain.headerByNumber(44);
    assert.equal(hex(h.hash), hex(main(44).hash));
    const [bad] = retriever.rejected;
    assert.equal(bad?.server, servers[0]?.id);
    assert.ok(bad?.error instanceof VerificationError, String(bad?.error));
  });

  it('links an agreed head back within the window; below it, links back again (no CHT covers 48..)', async () => {
    assert.equal(await agree(main(69)), 'adopted');
    assert.deepEqual(chain.window(), { lo: 62, hi: 69 }, 'windowSize 8');
    const before = retriever.sent().length;
    const h = await chain.headerByNumber(50);
    assert.equal(hex(h.hash), hex(main(50).hash));
    assert.ok(retriever.sent().slice(before).every((e) => e.code === Code.GetBlockHeaders));
    assert.equal(hex((await chain.headerByNumber(30)).hash), hex(main(30).hash), 'section 2 covers 30');
  });

  it('refuses an agreed head whose branch contradicts the checkpoint head', async () => {
    const wide = await HeaderChain.open({ config: testConfig(synth.genesis, { checkpoint: { ...checkpoint, sectionIndex: 2 } }), retriever, windowSize: 64 });
    const t = new HeadTracker(wide, retriever, { configured: 4 });
    states.forEach((st) => (st.branch = fork));
    let outcome = '';
    for (const s of servers.slice(0, 3)) outcome = await t.onAnnounce(s.id, true, announceOf(s, fork[69] as SynthHeader));
    assert.equal(outcome, 'refused');
    assert.equal(wide.head().header.number, 47);
    const [forkHead] = await wide.fetchRun((fork[69] as SynthHeader).hash, 69, 1);
    await assert.rejects(wide.adopt(forkHead as VerifiedHeader), (e: unknown) => e instanceof ChainError && e.code === 'ANCHOR_MISMATCH');
  });

  it('accepts section 3 when 3 of 4 trusted servers report its roots and its head matches', async () => {
    await agree(main(69));
    (states[3] as ServerState).cht = forkCht; // one dissenter
    const s = await updateSections(chain, tracker.quorum);
    assert.equal(s?.index, 3);
    assert.equal(hex(s?.sectionHead ?? new Uint8Array()), hex(main(63).hash));
    assert.equal(hex(s?.chtRoot ?? new Uint8Array()), hex(cht.roots[3] as Uint8Array));
    assert.equal(chain.latestSection()?.index, 3);
    // Section 3's CHT now proves block 50, which no longer needs linking back.
    const before = retriever.sent().length;
    assert.equal(hex((await chain.headerByNumber(50)).hash), hex(main(50).hash));
    assert.deepEqual(retriever.sent().slice(before).map((e) => e.code), [Code.GetHelperTrieProofs]);
  });

  it('does not accept section roots only 2 of 4 trusted servers report', async () => {
    await agree(main(69));
    (states[2] as ServerState).cht = forkCht;
    (states[3] as ServerState).cht = forkCht;
    assert.equal(await updateSections(chain, tracker.quorum), undefined);
    assert.equal(chain.latestSection()?.index, 2);
  });

  it('refuses agreed roots whose section head contradicts the linked window', async () => {
    const wide = await HeaderChain.open({ config: testConfig(synth.genesis, { checkpoint: { ...checkpoint, sectionIndex: 2 } }), retriever, windowSize: 64 });
    const t = new HeadTracker(wide, retriever, { configured: 4 });
    for (const s of servers.slice(0, 3)) await t.onAnnounce(s.id, true, announceOf(s, main(69)));
    assert.deepEqual(wide.window(), { lo: 47, hi: 69 });
    // All servers now report a CHT in which block 63 is another header, but keep 47 (a liar's trie).
    const liarBranch = synth.fork(synth.main, 50, 19, 8);
    const liar = await SynthCht.build(liarBranch, SIZE);
    states.forEach((st) => Object.assign(st, { cht: liar, branch: liarBranch }));
    await assert.rejects(updateSections(wide, t.quorum), (e: unknown) => e instanceof ChainError && e.code === 'ANCHOR_MISMATCH');
    assert.equal(wide.latestSection()?.index, 2);
  });
});
