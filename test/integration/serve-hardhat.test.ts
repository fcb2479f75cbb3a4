/**
 * `lesp serve` in front of a real Hardhat node (npm hardhat 2.x, its EDR execution client): a
 * genesis state root that commits to the funded dev accounts (state served from block 0), no
 * eth_getBlockReceipts (receipts per transaction), no debug_* tracer, no state dump. The whole
 * body is test/helpers/serve-node-suite.ts, the same as for anvil and the pruned relay; it runs
 * twice: on Hardhat's default (Prague) chain, and on a London chain — proof-of-work blocks whose
 * difficulties the server sums into the total difficulty the node reports.
 */
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
