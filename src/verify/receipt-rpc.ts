/**
 * A receipt's canonical binary form rebuilt from one entry of `eth_getBlockReceipts` (or
 * `eth_getTransactionReceipt`): status (Byzantium+) or post-state root, cumulativeGasUsed,
 * logsBloom, logs; typed receipts get their EIP-2718 type byte in front (see receipts.ts).
 *
 * Untrusted input: every field is checked and named. The bytes are only trusted once the block's
 * receipt list hashes to header.receiptsRoot.
 */
import { VerificationError } from './errors.js';
import { type Log, type Receipt, encodeReceipt } from './receipts.js';
import { rpcArray, rpcData, rpcObject, rpcQuantity } from './tx-rpc.js';

/** Most logs one receipt may carry: far above what a 36M-gas block can emit (375 gas per log). */
const MAX_LOGS = 1 << 17;

function logFromRpc(json: unknown, field: string): Log {
  const l = rpcObject(json, field);
  return {
    address: rpcData(l.address, `${field}.address`, 20),
    topics: rpcArray(l.topics, `${field}.topics`, 4).map((t, i) => rpcData(t, `${field}.topics[${i}]`, 32)),
    data: rpcData(l.data, `${field}.data`),
  };
}

/** The decoded receipt (as `decodeReceipt` would give) from its JSON-RPC object. */
export function receiptObjectFromRpc(json: unknown, field = 'receipt'): Receipt {
  const r = rpcObject(json, field);
  const type = r.type === undefined || r.type === null ? 0 : Number(rpcQuantity(r.type, `${field}.type`, 1));
  if (type > 0x7f) throw new VerificationError('BAD_ENCODING', `${field}.type`, `type 0x${type.toString(16)} is not 0x00..0x7f`);
  const out: Receipt = {
    type,
    cumulativeGasUsed: rpcQuantity(r.cumulativeGasUsed, `${field}.cumulativeGasUsed`, 8),
    logsBloom: rpcData(r.logsBloom, `${field}.logsBloom`, 256),
    logs: rpcArray(r.logs, `${field}.logs`, MAX_LOGS).map((l, i) => logFromRpc(l, `${field}.logs[${i}]`)),
  };
  const hasStatus = r.status !== undefined && r.status !== null;
  const hasRoot = r.root !== undefined && r.root !== null;
  // A receipt has one or the other (Byzantium replaced the root by the status), never both.
  if (hasStatus === hasRoot) {
    throw new VerificationError('BAD_ENCODING', `${field}.status`, hasStatus ? 'both status and root present' : 'neither status nor root present');
  }
  if (hasRoot) {
    out.postState = rpcData(r.root, `${field}.root`, 32);
  } else {
    const status = rpcQuantity(r.status, `${field}.status`, 1);
    if (status > 1n) throw new VerificationError('BAD_ENCODING', `${field}.status`, `status must be 0 or 1, got ${status}`);
    out.status = status === 1n ? 1 : 0;
  }
  return out;
}

/** The canonical bytes of a receipt (its receipt-trie value) from its JSON-RPC object. */
export function receiptFromRpc(json: unknown, field = 'receipt'): Uint8Array {
  return encodeReceipt(receiptObjectFromRpc(json, field));
}
