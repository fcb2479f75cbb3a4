/**
 * `lesp serve` in front of anvil, through the same test body as Hardhat and the pruned relay
 * (test/helpers/serve-node-suite.ts). anvil proves every block's state, but its genesis header
 * commits to the empty state while its dev accounts are funded, so state is served from block 1.
 */
import { startAnvil } from '../helpers/anvil.js';
import { serveNodeSuite } from '../helpers/serve-node-suite.js';

serveNodeSuite(
  'anvil',
  async () => {
    const anvil = await startAnvil({ hardfork: 'prague' });
    return { url: anvil.url, control: anvil, mine: (n) => anvil.rpc('anvil_mine', [`0x${n.toString(16)}`]).then(() => undefined), stop: () => anvil.stop() };
  },
  {
    stateSince: () => 1,
    recentState: undefined,
    summary: [/served: .*receipts \(eth_getBlockReceipts\)/, /state: every block from 1 \(the node's proofs at genesis do not match its genesis header/],
  },
);
