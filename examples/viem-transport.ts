/**
 * viem on `lesTransport`: a viem transport whose every answer the light client verified, in this
 * process (no proxy). A public client reads, a wallet client with a local account signs and
 * sends, and a revert arrives as viem's ContractFunctionRevertedError at once (no retries).
 *
 *   npm start                                # terminal 1: the devnet
 *   npx tsx examples/viem-transport.ts       # terminal 2
 *
 * Outside this repository: import { lesTransport } from 'les-provider/viem';
 */
import { BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, formatEther, getAddress, parseAbi } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { lesTransport } from '../src/viem.js';
import { PRIVATE_KEY, genesisHash, lesServers, network } from './env.js';
import { TOKEN_ABI, TOKEN_BYTECODE } from './token.js';

// One line: LesClient options in, a viem transport out (an existing LesClient or LesProvider works too).
const transport = lesTransport({ servers: lesServers().map((enode) => ({ enode, trusted: true })), network: network(), genesisHash: await genesisHash() });
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

  const deployHash = await walletClient.deployContract({ abi, bytecode, chain: null });
  const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash });
  const token = deployed.contractAddress;
  if (token === undefined || token === null) throw new Error('the deployment did not produce a contract');
  console.log(`deployed: token ${getAddress(token)} in block ${deployed.blockNumber} (tx ${deployed.transactionHash})`);

  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  const hash = await walletClient.writeContract({ address: token, abi, functionName: 'transfer', args: [recipient, 1234n], chain: null });
  const mined = await publicClient.waitForTransactionReceipt({ hash });
  console.log(`transfer: tx ${mined.transactionHash} in block ${mined.blockNumber}, status ${mined.status === 'success' ? 1 : 0}`);

  for (const who of [recipient, account.address]) {
    const held = await publicClient.readContract({ address: token, abi, functionName: 'balanceOf', args: [who], blockNumber: mined.blockNumber });
    console.log(`token balance: ${who} has ${held} at block ${mined.blockNumber}`);
  }

  const events = await publicClient.getContractEvents({ address: token, abi, eventName: 'Transfer', fromBlock: deployed.blockNumber, toBlock: mined.blockNumber });
  for (const e of events) {
    console.log(`event: Transfer ${e.args.from} -> ${e.args.to} value ${e.args.value} in block ${e.blockNumber} (tx ${e.transactionHash}, log ${e.logIndex})`);
  }

  // The recipient cannot send more than it holds: the revert is decoded by viem, not retried.
  try {
    await publicClient.simulateContract({ account: recipient, address: token, abi, functionName: 'transfer', args: [account.address, 10_000n] });
    console.log('revert: none');
  } catch (e) {
    const reverted = e instanceof BaseError ? e.walk((x) => x instanceof ContractFunctionRevertedError) : null;
    console.log(`revert: ${reverted instanceof ContractFunctionRevertedError ? `ContractFunctionRevertedError "${reverted.reason}" from ${recipient}` : String(e)}`);
  }
} finally {
  await publicClient.transport.close();
}
