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

/** Places the token at `token` with `holder` holding `amount` (then mine a block to commit it). */
export async function placeToken(rpc: (m: string, p: unknown[]) => Promise<unknown>, token: string, holder: string, amount: bigint): Promise<void> {
  await rpc('anvil_setCode', [token, BALANCE_OF_RUNTIME]);
  await rpc('anvil_setStorageAt', [token, balanceSlot(holder), zeroPadValue(`0x${amount.toString(16)}`, 32)]);
}
