/**
 * The chain the methods tests run on (used by test/integration/client-methods*.test.ts, which
 * start anvil --hardfork prague): transfers of every type (legacy, EIP-2930, EIP-1559, an EIP-7702
 * delegation), contract deployments (and one failed creation), storage writes with events from two
 * contracts and from a delegated EOA, a reverted call, several transactions per block — spread over
 * sections of 64 blocks so that logs sit in trusted sections 0 and 1 and in the unindexed tail, then
 * 24 empty blocks.
 */
import { Wallet, getCreateAddress, toBeHex, zeroPadValue } from 'ethers';
import { type Anvil, receiptOf } from '../../helpers/anvil.js';

type Json = Record<string, unknown>;

/** anvil's default dev keys 0..3. */
export const KEYS = [
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
];
export const CHAIN_ID = 31337;
export const TOPIC_A = '0x' + 'aa'.repeat(32);
export const TOPIC_B = '0x' + 'bb'.repeat(32);
export const RECIPIENT = '0x' + '42'.repeat(20);
export const ABSENT = '0x' + '5e'.repeat(20);

/**
 * Runtime (hand-assembled): with calldata, sstore(cd[0:32], cd[32:64]) and
 * log3(calldata, TOPIC, caller, cd[32:64]); without calldata, revert(0xdeadbeef).
 *   CALLDATASIZE ISZERO PUSH1 0x3c JUMPI  PUSH1 0x20 CALLDATALOAD PUSH1 0 CALLDATALOAD SSTORE
 *   CALLDATASIZE PUSH1 0 PUSH1 0 CALLDATACOPY  PUSH1 0x20 CALLDATALOAD CALLER PUSH32 TOPIC
 *   CALLDATASIZE PUSH1 0 LOG3 STOP  JUMPDEST PUSH4 0xdeadbeef PUSH1 0 MSTORE PUSH1 4 PUSH1 28 REVERT
 */
export const runtime = (topic: string) =>
  '0x' + '3615603c57' + '602035600035' + '55' + '3660006000' + '37' + '602035' + '33' + '7f' + topic.slice(2) + '36' + '6000' + 'a3' + '00' +
  '5b' + '63deadbeef' + '600052' + '6004601cfd';

export const initCode = (code: string) => {
  const len = toBeHex((code.length - 2) / 2).slice(2);
  return `0x60${len}600c60003960${len}6000f3${code.slice(2)}`;
};
/** Init code that reverts: a failed creation. */
const FAILING_INIT = '0x60006000fd';

export const word = (n: bigint) => zeroPadValue(toBeHex(n), 32);
export const callData = (slot: bigint, value: bigint) => word(slot) + word(value).slice(2);

/** Waits until anvil has mined `hash` (its automine may answer the send before the block exists). */
export async function mined(anvil: Anvil, hash: string): Promise<void> {
  await receiptOf(anvil, hash);
}

export interface Workload {
  wallets: Wallet[];
  contractA: string;
  contractB: string;
  /** The EOA (key 3) that delegated its code to contract A. */
  delegated: string;
  /** Storage slots written (in A, B and the delegated EOA). */
  slots: bigint[];
  /** Every transaction hash, by label. */
  txs: Record<string, string>;
  /** Blocks holding logs, in order. */
  logBlocks: number[];
  head: number;
}

export async function runWorkload(anvil: Anvil): Promise<Workload> {
  const wallets = KEYS.map((k) => new Wallet(k));
  const nonces = [0, 0, 0, 0];
  const txs: Record<string, string> = {};
  const send = async (label: string, who: number, tx: Json) => {
    const w = wallets[who] as Wallet;
    const base = { chainId: CHAIN_ID, nonce: (nonces[who] as number) + 0, gasLimit: 500_000, type: 2, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n };
    nonces[who] = (nonces[who] as number) + 1;
    const raw = await w.signTransaction({ ...base, ...tx } as never);
    txs[label] = await anvil.rpc<string>('eth_sendRawTransaction', [raw]);
  };
  const legacy = { type: 0, gasPrice: 10n ** 10n, maxFeePerGas: undefined, maxPriorityFeePerGas: undefined };
  const mine = async (n = 1) => anvil.rpc('anvil_mine', [toBeHex(n)]);
  const height = async () => Number(await anvil.rpc<string>('eth_blockNumber'));
  const mineTo = async (n: number) => mine(n - (await height()));
  const logBlocks: number[] = [];
  const w0 = (wallets[0] as Wallet).address;

  await anvil.rpc('evm_setAutomine', [false]);
  // Block 1: deployment of A, a legacy and an access-list transfer.
  const contractA = getCreateAddress({ from: w0, nonce: 0 }).toLowerCase();
  await send('deployA', 0, { data: initCode(runtime(TOPIC_A)) });
  await send('legacy', 1, { ...legacy, to: RECIPIENT, value: 12345n });
  await send('accessList', 2, { ...legacy, type: 1, to: RECIPIENT, value: 1n, accessList: [{ address: contractA, storageKeys: [word(1n)] }] });
  await mine();
  // Block 2: storage writes with events, a reverted call, a 1559 transfer.
  await send('writeA1', 0, { to: contractA, data: callData(1n, 1000n) });
  await send('writeA2', 1, { to: contractA, data: callData(2n, 2000n), maxPriorityFeePerGas: 2n * 10n ** 9n });
  await send('revert', 2, { to: contractA, data: '0x', gasLimit: 100_000 });
  await send('eip1559', 0, { to: RECIPIENT, value: 2n });
  await mine();
  logBlocks.push(2);
  // Block 3: deployment of B and a call; block 4: a 7702 delegation of key 3 to A, then a call to
  // key 3 that runs A's code in key 3's account; block 5: a failed creation.
  const contractB = getCreateAddress({ from: w0, nonce: nonces[0] as number }).toLowerCase();
  await send('deployB', 0, { data: initCode(runtime(TOPIC_B)) });
  await send('writeB', 1, { to: contractB, data: callData(0x1234n, 3000n) });
  await mine();
  logBlocks.push(3);
  const delegate = wallets[3] as Wallet;
  const auth = await delegate.authorize({ address: contractA, nonce: 0, chainId: CHAIN_ID });
  await send('setCode', 0, { type: 4, to: delegate.address, value: 0n, authorizationList: [auth] });
  await mine();
  await send('callDelegated', 1, { to: delegate.address, data: callData(7n, 77n) });
  await send('failedCreate', 2, { data: FAILING_INIT, gasLimit: 100_000 });
  await mine();
  logBlocks.push(5);
  // Section 1 (blocks 64..127): writes to A and B, one block each (mined here: anvil's automine
  // may answer eth_sendRawTransaction before the block exists).
  await mineTo(70);
  await send('writeA3', 0, { to: contractA, data: callData(3n, 3333n) });
  await mine();
  await send('writeB2', 1, { to: contractB, data: callData(1n, 4444n) });
  await mine();
  logBlocks.push(71, 72);
  // The tail (above section 1): one write to B, one to A.
  await mineTo(140);
  await send('writeB3', 2, { to: contractB, data: callData(2n, 5555n) });
  await mine();
  await send('writeA4', 0, { to: contractA, data: callData(1n, 6666n) });
  await mine();
  logBlocks.push(141, 142);
  await mine(24);
  await anvil.rpc('evm_setAutomine', [true]);
  return {
    wallets,
    contractA,
    contractB,
    delegated: delegate.address.toLowerCase(),
    slots: [0n, 1n, 2n, 3n, 7n, 0x1234n, 99n],
    txs,
    logBlocks,
    head: await height(),
  };
}
