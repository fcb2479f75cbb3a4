/**
 * `lesp serve` in front of a node that behaves like a pruned full node: a relay over anvil
 * (test/helpers/pruned-relay.ts) that proves only the latest 128 states (older ones answer
 * "missing trie node") and has no debug_* or anvil_* methods. The server probes that window at
 * start, announces serveRecentState 128, serves proofs inside it and the empty answer outside.
 * The whole body is test/helpers/serve-node-suite.ts, the same as for Hardhat.
 */
import { startAnvil } from '../helpers/anvil.js';
import { KEPT_STATES, startPrunedRelay } from '../helpers/pruned-relay.js';
import { serveNodeSuite } from '../helpers/serve-node-suite.js';

serveNodeSuite(
  'a pruned full node (a relay over anvil keeping 128 states, no debug_*/anvil_*)',
  async () => {
    const anvil = await startAnvil({ hardfork: 'prague' });
    const relay = await startPrunedRelay(anvil.url);
    return {
      url: relay.url,
      control: anvil,
      mine: (n) => anvil.rpc('anvil_mine', [`0x${n.toString(16)}`]).then(() => undefined),
      stop: async () => {
        await relay.close();
        await anvil.stop();
      },
    };
  },
  {
    stateSince: (head) => head - (KEPT_STATES - 1),
    recentState: KEPT_STATES,
    summary: [/served: .*receipts \(eth_getBlockReceipts\)/, /state: the last 128 blocks \(the node keeps no older state\)/, /not served: .*no debug_getRawTransaction/],
  },
);
