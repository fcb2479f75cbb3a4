/**
 * `lesp serve` in front of a real Hardhat node (npm hardhat 2.x, its EDR execution client): a
 * genesis state root that commits to the funded dev accounts (state served from block 0), no
 * eth_getBlockReceipts (receipts per transaction), no debug_* tracer, no state dump. The whole
 * body is test/helpers/serve-node-suite.ts, the same as for anvil and the pruned relay; it runs
 * twice: on Hardhat's default (Prague) chain, and on a London chain — proof-of-work blocks whose
 * difficulties the server sums into the total difficulty the node reports.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LesServer } from '../../src/serve/index.js';
import { type HardhatOptions, startHardhat } from '../helpers/hardhat.js';
import { type NodeUnderTest, serveNodeSuite } from '../helpers/serve-node-suite.js';

async function hardhat(options: HardhatOptions): Promise<NodeUnderTest> {
  const hh = await startHardhat(options);
  // evm_mine one block at a time: hardhat_mine of several blocks leaves them with parentHash
  // zero (a chain that does not link, which lesp serve does not follow past).
  const mine = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) await hh.rpc('evm_mine');
  };
  return { url: hh.url, control: hh, mine, stop: () => hh.stop() };
}

const expect = {
  stateSince: () => 0,
  recentState: undefined,
  summary: [/receipts per transaction \(no eth_getBlockReceipts/, /state: every block \(the node proves state at genesis/],
};

serveNodeSuite('a Hardhat node', () => hardhat({}), expect);
serveNodeSuite('a Hardhat node mining a London (proof-of-work) chain', () => hardhat({ hardfork: 'london' }), expect);

describe("Hardhat's hardhat_mine of several blocks (blocks whose parentHash is zero)", () => {
  it('is not followed past the last linked block, and said once however often it is polled', async () => {
    const hh = await startHardhat();
    const warnings: string[] = [];
    const log = { debug() {}, info() {}, error() {}, warn: (_o: object, msg: string) => void warnings.push(msg) };
    const server = new LesServer({ rpcUrl: hh.url, port: 0, pollIntervalMs: 20, progressStream: null, log });
    try {
      await hh.rpc('evm_mine');
      await server.start();
      await hh.rpc('hardhat_mine', ['0x40']);
      // The last block of the node's chain that its successor links to, by the node's own answers.
      type Block = { hash: string; parentHash: string };
      const chain: Block[] = [];
      for (let n = 0; n <= 65; n++) chain.push(await hh.rpc<Block>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]));
      const broken = chain.findIndex((b, n) => n > 0 && b.parentHash !== chain[n - 1]!.hash);
      assert.ok(broken > 1 && broken < 65, `the node's chain breaks at block ${broken}`);
      const linked = chain[broken - 1]!;
      await new Promise((r) => setTimeout(r, 500));
      await server.stack.idle();
      assert.ok(server.stack.follower.stats.polls >= 5, 'polled many times meanwhile');
      assert.equal(server.stats().head.hash, linked.hash, 'still at the last block that links');
      assert.equal(warnings.filter((m) => /names a parent the node does not have/.test(m)).length, 1);
    } finally {
      await server.stop();
      await hh.stop();
    }
  });
});
