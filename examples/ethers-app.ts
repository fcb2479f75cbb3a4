/**
 * An ordinary ethers v6 app: it takes any `Provider` and never knows which one. The examples run
 * it over a LesProvider (ethers-provider.ts) and over the proxy (ethers-proxy.ts) unchanged.
 *
 * It reads a balance, sends transactions and waits for them (deploys a token, transfers some),
 * reads the contract and queries its events, printing one `label: value` line per result.
 */
import { Contract, ContractFactory, type Provider, Wallet, formatEther } from 'ethers';
import { TOKEN_ABI, TOKEN_BYTECODE } from './token.js';

export async function runApp(provider: Provider, privateKey: string): Promise<void> {
  const wallet = new Wallet(privateKey, provider);
  const me = wallet.address;

  // 1. Chain, head, balance — pinned to one block, so the numbers belong together.
  const { chainId } = await provider.getNetwork();
  const head = await provider.getBlockNumber();
  const balance = await provider.getBalance(me, head);
  console.log(`chain id: ${chainId}`);
  console.log(`balance: ${me} has ${formatEther(balance)} ETH (${balance} wei) at block ${head}`);

  // 2. Send a transaction and wait for it: deploy the token (the deployer gets the supply).
  const deployment = await new ContractFactory(TOKEN_ABI, TOKEN_BYTECODE, wallet).deploy();
  const deployed = await deployment.deploymentTransaction()?.wait();
  if (deployed?.contractAddress === undefined || deployed.contractAddress === null) throw new Error('the deployment did not produce a contract');
  console.log(`deployed: token ${deployed.contractAddress} in block ${deployed.blockNumber} (tx ${deployed.hash})`);

  // 3. Another one: a token transfer to a fresh address; wait() resolves once it is mined.
  const token = new Contract(deployed.contractAddress, TOKEN_ABI, wallet);
  const recipient = Wallet.createRandom().address;
  const sent = await token.getFunction('transfer')(recipient, 1234n);
  const mined = await sent.wait();
  console.log(`transfer: tx ${mined.hash} in block ${mined.blockNumber}, status ${mined.status}`);

  // 4. Contract reads at that block.
  const at = { blockTag: mined.blockNumber as number };
  const theirs: bigint = await token.getFunction('balanceOf')(recipient, at);
  const mine: bigint = await token.getFunction('balanceOf')(me, at);
  console.log(`token balance: ${recipient} has ${theirs} at block ${mined.blockNumber}`);
  console.log(`token balance: ${me} has ${mine} at block ${mined.blockNumber}`);

  // 5. Event query: every Transfer of the token so far (the mint and the transfer).
  const events = await token.queryFilter(token.filters.Transfer!(), deployed.blockNumber, mined.blockNumber);
  for (const e of events) {
    if (!('args' in e)) continue;
    console.log(`event: Transfer ${e.args[0]} -> ${e.args[1]} value ${e.args[2]} in block ${e.blockNumber} (tx ${e.transactionHash}, log ${e.index})`);
  }
}
