/**
 * ethers v6 with LesProvider: the light client inside your process. Every answer is verified
 * (headers, Merkle proofs, receipt roots) before ethers sees it; transactions go to the LES
 * servers, which relay them to their node.
 *
 *   npm start                                # terminal 1: the devnet
 *   npx tsx examples/ethers-provider.ts      # terminal 2
 *
 * Outside this repository, import the package instead:
 *   import { LesProvider } from 'les-provider';
 */
import { LesProvider } from '../src/index.js';
import { PRIVATE_KEY, genesisHash, lesServers, network } from './env.js';
import { runApp } from './ethers-app.js';

const provider = new LesProvider({
  // The servers whose signed head announces this client trusts (75% of them must agree).
  servers: lesServers().map((enode) => ({ enode, trusted: true })),
  network: network(),
  genesisHash: await genesisHash(),
});
try {
  await provider.start(); // resolves once the trusted servers agree on a head
  await runApp(provider, PRIVATE_KEY);
} finally {
  await provider.close(); // closes the connections: nothing is left running
}
