/**
 * How the followed node shapes its state trie, where nodes differ from the spec.
 *
 * Standard (go-ethereum, reth; EIP-161 and the Yellow Paper): touched accounts left empty are
 * removed, and zero-valued storage slots are not in the storage trie.
 *
 * anvil 1.7.1 (found by comparing its dumps, eth_getProof and header roots; see
 * test/integration/serve-state-follow.test.ts): its state root covers every account and every
 * storage slot any transaction *accessed*, whether or not it changed — a zero-value transfer to a
 * fresh address, BALANCE/EXTCODEHASH of one, a failed CREATE, a contract created and destroyed in
 * one transaction all leave an empty account; an SLOAD of an unset slot or a slot cleared to zero
 * leaves a leaf with value rlp(0) = 0x80. The diff-mode trace lists none of these (nothing
 * changed), so for anvil the plain prestate trace of the block (every accessed account and slot)
 * is read as well, and nothing empty or zero is deleted.
 */
import type { NodeRpcClient } from '../rpc/client.js';
import { readArray, readHexData, readObject, toHex } from '../rpc/hex.js';
import { hexKey } from './account.js';
import type { StateDiff } from './diff.js';
import { stateFail } from './errors.js';

export interface NodeStateRules {
  name: string;
  /** EIP-161: a touched account left empty is removed from the trie. */
  deleteEmptyAccounts: boolean;
  /** A slot set to zero is removed from the storage trie. */
  deleteZeroSlots: boolean;
  /** Every account and slot a transaction accessed is in the trie (empty / zero if new). */
  keepAccessed: boolean;
}

export const STANDARD_RULES: NodeStateRules = { name: 'standard', deleteEmptyAccounts: true, deleteZeroSlots: true, keepAccessed: false };
export const ANVIL_RULES: NodeStateRules = { name: 'anvil', deleteEmptyAccounts: false, deleteZeroSlots: false, keepAccessed: true };

/** anvil's rules for anvil (web3_clientVersion "anvil/v…"), the standard ones for anything else. */
export async function detectStateRules(rpc: NodeRpcClient): Promise<NodeStateRules> {
  const version = await rpc.call<unknown>('web3_clientVersion');
  return typeof version === 'string' && version.toLowerCase().startsWith('anvil') ? ANVIL_RULES : STANDARD_RULES;
}

const fail = stateFail('STATE_BAD_TRACE', 'prestate trace');

export interface ParentState {
  hasAccount(address: Uint8Array): boolean;
  hasSlot(address: Uint8Array, slot: Uint8Array): boolean;
}

/** The block's plain prestate trace: every account and slot each transaction accessed. */
export async function fetchAccessTrace(rpc: NodeRpcClient, blockHash: Uint8Array): Promise<unknown> {
  return rpc.call('debug_traceBlockByHash', [toHex(blockHash), { tracer: 'prestateTracer' }]);
}

/**
 * Adds to `diff` every account and slot the block's transactions accessed (`trace`, from
 * fetchAccessTrace) that the parent state lacks and the diff does not write: accounts as kept
 * (empty), slots as zero. Apply the diff-mode trace to `diff` first.
 */
export function keepAccessed(trace: unknown, diff: StateDiff, parent: ParentState): void {
  readArray(trace, 'result', fail).forEach((item, i) => {
    const o = readObject(item, `[${i}]`, fail);
    if (o.error !== undefined) throw fail(`[${i}].error`, `the node could not trace transaction ${i}`);
    for (const [a, value] of Object.entries(readObject(o.result, `[${i}].result`, fail))) {
      const address = readHexData(a, `[${i}].result`, fail, 20);
      const w = diff.accounts.get(hexKey(address));
      if (w === undefined && !parent.hasAccount(address)) {
        // New and unchanged at the end (e.g. created and destroyed at once): an empty account, no storage.
        diff.keep(address);
        continue;
      }
      // A destroyed account's storage is gone, accessed slots included.
      if (w?.destroyed === true) continue;
      const storage = readObject(value, `[${i}].result[${a}]`, fail).storage;
      if (storage === undefined) continue;
      for (const s of Object.keys(readObject(storage, `[${i}].result[${a}].storage`, fail))) {
        const slot = readHexData(s, `[${i}].result[${a}].storage`, fail, 32);
        if (w?.storage.has(hexKey(slot)) !== true && !parent.hasSlot(address, slot)) diff.setStorage(address, slot, 0n);
      }
    }
  });
}
