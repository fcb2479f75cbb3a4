/**
 * `lesp serve` in front of a real Hardhat node (npm hardhat 2.x, its EDR execution client): a
 * genesis state root that commits to the funded dev accounts (state served from block 0), no
 * eth_getBlockReceipts (receipts per transaction), no debug_* tracer, no state dump. The whole
 * body is test/helpers/serve-node-suite.ts, the same as for the pruned relay.
 */
import { startHardhat } from '../helpers/hardhat.js';
import { serveNodeSuite } from '../helpers/serve-node-suite.js';

serveNodeSuite(
  'a Hardhat node',
  async () => {
    const hh = await startHardhat();
    // evm_mine one block at a time: hardhat_mine of several blocks leaves them with parentHash
    // zero (a chain that does not link, which lesp serve does not follow past).
    const mine = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await hh.rpc('evm_mine');
    };
    return { url: hh.url, control: hh, mine, stop: () => hh.stop() };
  },
  {
    stateSince: () => 0,
    recentState: undefined,
    summary: [/receipts per transaction \(no eth_getBlockReceipts/, /state: every block \(the node proves state at genesis/],
  },
);
