/**
 * viem over the EIP-1193 object: `custom(createEip1193Provider(...))` is a viem transport whose
 * every answer the light client verified. A public client reads, a wallet client with a local
 * account signs and sends.
 *
 *   npm start                                # terminal 1: the devnet
 *   npx tsx examples/viem-eip1193.ts         # terminal 2
 *
 * Outside this repository: import { createEip1193Provider } from 'les-provider';
 */
import { createPublicClient, createWalletClient, custom, formatEther, getAddress, parseAbi } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createEip1193Provider } from '../src/index.js';
import { PRIVATE_KEY, genesisHash, lesServers, network } from './env.js';
import { TOKEN_ABI, TOKEN_BYTECODE } from './token.js';

const eip1193 = createEip1193Provider({
  servers: lesServers().map((enode) => ({ enode, trusted: true })),
  network: network(),
  genesisHash: await genesisHash(),
});
const transport = custom(eip1193);
const account = privateKeyToAccount(PRIVATE_KEY as `0x${string}`);
const publicClient = createPublicClient({ transport, pollingInterval: 250 });
const walletClient = createWalletClient({ account, transport });
const abi = parseAbi(TOKEN_ABI);
const bytecode = TOKEN_BYTECODE as `0x${string}`;

try {
  const chainId = await publicClient.getChainId();
  const head = await publicClient.getBlockNumber();
  const balance = await publicClient.getBalance({ address: account.address, blockNumber: head });
  console.log(`chain id: ${chainId}`);
  console.log(`balance: ${account.address} has ${formatEther(balance)} ETH (${balance} wei) at block ${head}`);

  // Send and wait: deploy the token, then transfer some to a fresh address.
  const deployHash = await walletClient.deployContract({ abi, bytecode, chain: null });
  const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash });
  const token = deployed.contractAddress;
  if (token === undefined || token === null) throw new Error('the deployment did not produce a contract');
  console.log(`deployed: token ${getAddress(token)} in block ${deployed.blockNumber} (tx ${deployed.transactionHash})`);

  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  const hash = await walletClient.writeContract({ address: token, abi, functionName: 'transfer', args: [recipient, 1234n], chain: null });
  const mined = await publicClient.waitForTransactionReceipt({ hash });
  console.log(`transfer: tx ${mined.transactionHash} in block ${mined.blockNumber}, status ${mined.status === 'success' ? 1 : 0}`);

  // Contract reads at that block.
  for (const who of [recipient, account.address]) {
    const held = await publicClient.readContract({ address: token, abi, functionName: 'balanceOf', args: [who], blockNumber: mined.blockNumber });
    console.log(`token balance: ${who} has ${held} at block ${mined.blockNumber}`);
  }

  // Event query.
  const events = await publicClient.getContractEvents({ address: token, abi, eventName: 'Transfer', fromBlock: deployed.blockNumber, toBlock: mined.blockNumber });
  for (const e of events) {
    console.log(`event: Transfer ${e.args.from} -> ${e.args.to} value ${e.args.value} in block ${e.blockNumber} (tx ${e.transactionHash}, log ${e.logIndex})`);
  }
} finally {
  await eip1193.close();
}
