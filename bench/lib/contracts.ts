/**
 * Hand-assembled contracts the benchmarks place with anvil_setCode / anvil_setStorageAt (no
 * deployment, no compiler): the state a cold call needs is an account, its code and its slots.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { AbiCoder, id, zeroPadValue } from 'ethers';

/**
 * balanceOf(address) of an ERC-20 laid out as solidity does (balances at keccak(holder ‖ 0));
 * any other selector reverts:
 *   PUSH1 0 CALLDATALOAD PUSH1 0xe0 SHR PUSH4 0x70a08231 EQ PUSH1 @ok JUMPI PUSH1 0 DUP1 REVERT
 *   ok: JUMPDEST PUSH1 4 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0 PUSH1 0x20 MSTORE PUSH1 0x40 PUSH1 0 SHA3
 *   SLOAD PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN
 */
export const BALANCE_OF_RUNTIME = '0x600035' + '60e01c' + '6370a08231' + '14' + '601357' + '600080fd' + '5b' + '600435600052' + '6000602052' + '60406000' + '20' + '54' + '600052' + '60206000f3';

/** Emits one LOG0 without data and stops: PUSH1 0 PUSH1 0 LOG0 STOP. */
export const LOG0_RUNTIME = '0x60006000a000';

/** The storage slot of `holder`'s balance (mapping at slot 0). */
export function balanceSlot(holder: string): string {
  const key = Buffer.from(zeroPadValue(holder, 32).slice(2) + '00'.repeat(32), 'hex');
  return `0x${Buffer.from(keccak256(key)).toString('hex')}`;
}

export function balanceOfCall(token: string, holder: string): { to: string; data: string } {
  return { to: token, data: id('balanceOf(address)').slice(0, 10) + AbiCoder.defaultAbiCoder().encode(['address'], [holder]).slice(2) };
}

/**
 * Initcode that deploys `runtime` as it is: PUSH2 len DUP1 PUSH2 13 PUSH1 0 CODECOPY PUSH1 0 RETURN.
 * Contracts are deployed by transaction, not placed with anvil_setCode: an LES server learns an
 * account's address (the preimage of its trie key, which GetContractCodes names alone) from the
 * transactions of the blocks it follows.
 */
export function initcode(runtime: string): string {
  const len = ((runtime.length - 2) / 2).toString(16).padStart(4, '0');
  return `0x61${len}8061000d6000396000f3${runtime.slice(2)}`;
}

type Rpc = <T>(method: string, params: unknown[]) => Promise<T>;

/** Deploys `runtime` from `from` (automine) and returns the contract's address. */
export async function deploy(rpc: Rpc, from: string, runtime: string): Promise<string> {
  const hash = await rpc<string>('eth_sendTransaction', [{ from, data: initcode(runtime) }]);
  for (let i = 0; i < 2000; i++) {
    const r = await rpc<{ contractAddress: string; status: string } | null>('eth_getTransactionReceipt', [hash]);
    if (r !== null) {
      if (r.status !== '0x1') throw new Error(`deployment ${hash} failed`);
      if ((await rpc<string>('eth_getCode', [r.contractAddress, 'latest'])) !== runtime) throw new Error(`deployment ${hash}: code differs`);
      return r.contractAddress;
    }
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`deployment ${hash} not mined`);
}

/** Deploys the token with `holder` holding `amount` (mine a block afterwards to commit the balance). */
export async function deployToken(rpc: Rpc, from: string, holder: string, amount: bigint): Promise<string> {
  const token = await deploy(rpc, from, BALANCE_OF_RUNTIME);
  await rpc('anvil_setStorageAt', [token, balanceSlot(holder), zeroPadValue(`0x${amount.toString(16)}`, 32)]);
  return token;
}

/**
 * Calldata = target (32-byte word) ‖ inner calldata: CALLs the target with the inner calldata and
 * returns (or reverts with) what it returned:
 *   PUSH1 0x20 CALLDATASIZE SUB DUP1 PUSH1 0x20 PUSH1 0 CALLDATACOPY
 *   PUSH1 0 PUSH1 0 DUP3 PUSH1 0 PUSH1 0 PUSH1 0 CALLDATALOAD GAS CALL
 *   RETURNDATASIZE PUSH1 0 PUSH1 0 RETURNDATACOPY PUSH2 @ok JUMPI RETURNDATASIZE PUSH1 0 REVERT
 *   ok: JUMPDEST RETURNDATASIZE PUSH1 0 RETURN
 */
export const FORWARDER_RUNTIME = '0x602036038060206000376000600082600060006000355af13d600060003e610026573d6000fd5b3d6000f3';
