/**
 * State a block changes outside its transactions, which the prestate tracer does not show:
 * - system contracts the node calls around the transactions. Their slots are known from the
 *   block, so their values are read from the node at that block (`eth_getStorageAt`), for the
 *   contracts that have code in the parent state. anvil 1.7.1 with `--hardfork prague` runs the
 *   EIP-2935 history update and not the EIP-4788 one (its contract is not deployed there);
 * - withdrawals: balance credits of `amount` Gwei to each listed address (EIP-4895);
 * - proof-of-work rewards (difficulty > 0): the final balances of the miner and of uncle miners
 *   are read from the node.
 * These are applied after the transactions: the values read are the block's final values, and no
 * transaction can write a system contract's ring-buffer slots.
 */
import type { RpcBlockHead } from '../rpc/block.js';
import type { NodeRpcClient, RpcCall } from '../rpc/client.js';
import { quantityHex, readHexData, readObject, readQuantity, toHex } from '../rpc/hex.js';
import type { StateDiff } from './diff.js';
import { stateFail } from './errors.js';

export interface SystemContract {
  name: string;
  address: Uint8Array;
  /** Slots the node writes at this block. */
  slots(block: RpcBlockHead): bigint[];
}

const addr = (hex: string) => new Uint8Array(Buffer.from(hex.slice(2), 'hex'));
const HISTORY_BUFFER = 8191n;

export const SYSTEM_CONTRACTS: readonly SystemContract[] = [
  {
    name: 'EIP-4788 beacon roots',
    address: addr('0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02'),
    slots: (b) => {
      const i = BigInt(b.timestamp) % HISTORY_BUFFER;
      return [i, i + HISTORY_BUFFER];
    },
  },
  {
    name: 'EIP-2935 block hashes',
    address: addr('0x0000F90827F1C53a10cb7A02335B175320002935'),
    slots: (b) => (b.number === 0 ? [] : [BigInt(b.number - 1) % HISTORY_BUFFER]),
  },
  // EIP-7002 / EIP-7251 dequeue at the end of the block: excess, count, head, tail.
  { name: 'EIP-7002 withdrawal requests', address: addr('0x00000961Ef480Eb55e80D19ad83579A64c007002'), slots: () => [0n, 1n, 2n, 3n] },
  { name: 'EIP-7251 consolidation requests', address: addr('0x0000BBdDc7CE488642fb579F8B00f3a590007251'), slots: () => [0n, 1n, 2n, 3n] },
];

const fail = stateFail('STATE_BAD_TRACE', 'node answer');
const GWEI = 1_000_000_000n;

function slotBytes(slot: bigint): Uint8Array {
  return new Uint8Array(Buffer.from(slot.toString(16).padStart(64, '0'), 'hex'));
}

/**
 * Adds the out-of-transaction changes of `block` to `diff`. `hasCode` says whether an address has
 * code in the parent state; the node is read at the block's hash (EIP-1898).
 */
export async function applyOutOfTxChanges(
  rpc: NodeRpcClient,
  block: RpcBlockHead,
  diff: StateDiff,
  hasCode: (address: Uint8Array) => boolean,
): Promise<void> {
  const at = { blockHash: toHex(block.hash) };
  const reads: Array<{ call: RpcCall; apply: (result: unknown, field: string) => void }> = [];
  for (const c of SYSTEM_CONTRACTS) {
    if (!hasCode(c.address)) continue;
    for (const slot of c.slots(block)) {
      reads.push({
        call: { method: 'eth_getStorageAt', params: [toHex(c.address), quantityHex(slot), at] },
        apply: (r, f) => diff.setStorage(c.address, slotBytes(slot), readQuantity(r, f, fail)),
      });
    }
  }
  if (block.difficulty > 0n) {
    const miners = [block.miner];
    if (block.uncles.length > 0) {
      const uncles = await rpc.batch(block.uncles.map((_, i) => ({ method: 'eth_getUncleByBlockHashAndIndex', params: [toHex(block.hash), quantityHex(i)] })));
      uncles.forEach((u, i) => miners.push(readHexData(readObject(u, `uncles[${i}]`, fail).miner, `uncles[${i}].miner`, fail, 20)));
    }
    for (const m of miners) {
      reads.push({
        call: { method: 'eth_getBalance', params: [toHex(m), at] },
        apply: (r, f) => diff.setBalance(m, readQuantity(r, f, fail)),
      });
    }
  }
  if (reads.length > 0) {
    const results = await rpc.batch(reads.map((r) => r.call));
    reads.forEach((r, i) => r.apply(results[i], `${r.call.method}[${i}]`));
  }
  for (const w of block.withdrawals ?? []) diff.credit(w.address, w.amount * GWEI);
}
