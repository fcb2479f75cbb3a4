/**
 * The smallest LesProvider program: the verified balance of an address.
 *
 *   npx tsx examples/balance.ts [address]
 *
 * LES_SERVERS names the servers (e.g. the enode `lesp serve` printed), NETWORK the chain
 * (devnet, mainnet or a network config file); see env.ts. The answer is proven against the
 * state root of a header the trusted servers agreed on, or the program fails.
 *
 * Outside this repository: import { LesProvider } from 'les-provider';
 */
import { formatEther } from 'ethers';
import { LesProvider } from '../src/index.js';
import { genesisHash, lesServers, network } from './env.js';

const address = process.argv[2] ?? '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const provider = new LesProvider({
  servers: lesServers().map((enode) => ({ enode, trusted: true })),
  network: network(),
  genesisHash: await genesisHash(),
});
try {
  await provider.start();
  const head = await provider.getBlockNumber();
  const wei = await provider.getBalance(address, head);
  console.log(`balance: ${address} has ${formatEther(wei)} ETH (${wei} wei) at block ${head}`);
} finally {
  await provider.close();
}
