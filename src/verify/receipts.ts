/**
 * Receipts in their canonical binary form: legacy = rlp([statusOrPostState, cumulativeGasUsed,
 * logsBloom, logs]); typed (EIP-2718) = type byte ‖ rlp([...same four...]). On the wire a typed
 * receipt (or transaction) is an RLP byte string holding that envelope; a legacy one is a list.
 */
import { VerificationError } from './errors.js';
import { type RlpItem, decodeRlpItem, encodeRlpItem, encodeUint, readBigUint, readBytes, readList } from './rlp.js';

export interface Log {
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
}

export interface Receipt {
  /** 0 for a legacy receipt, else the EIP-2718 type byte. */
  type: number;
  /** Byzantium and later: 1 success, 0 failure. Absent when `postState` is set. */
  status?: 0 | 1;
  /** Before Byzantium: the 32-byte state root after the transaction. */
  postState?: Uint8Array;
  cumulativeGasUsed: bigint;
  logsBloom: Uint8Array;
  logs: Log[];
}

/**
 * The canonical bytes of one transaction or receipt as it appears on the wire: a list is legacy
 * (its RLP), a byte string is a typed envelope whose first byte must be a type in 0x01..0x7f.
 */
export function typedItemBytes(item: RlpItem, field: string): Uint8Array {
  if (Array.isArray(item)) return encodeRlpItem(item);
  const type = item[0];
  if (type === undefined || type === 0 || type >= 0x80) {
    throw new VerificationError('BAD_ENCODING', field, `typed envelope with type byte ${type ?? 'none'} (want 0x01..0x7f)`);
  }
  return item;
}

function decodeLog(item: RlpItem, field: string): Log {
  const [address, topics, data] = readList(item, field, { len: 3 });
  return {
    address: readBytes(address, `${field}.address`, { len: 20 }),
    topics: readList(topics, `${field}.topics`, { max: 4 }).map((t, i) => readBytes(t, `${field}.topics[${i}]`, { len: 32 })),
    data: readBytes(data, `${field}.data`),
  };
}

function decodeReceiptBody(item: RlpItem, type: number, field: string): Receipt {
  const [statusItem, cumulative, bloom, logs] = readList(item, field, { len: 4 });
  const statusBytes = readBytes(statusItem, `${field}.status`);
  const r: Receipt = {
    type,
    cumulativeGasUsed: readBigUint(cumulative, `${field}.cumulativeGasUsed`, 8),
    logsBloom: readBytes(bloom, `${field}.logsBloom`, { len: 256 }),
    logs: readList(logs, `${field}.logs`).map((l, i) => decodeLog(l, `${field}.logs[${i}]`)),
  };
  if (statusBytes.length === 32) r.postState = statusBytes;
  else if (statusBytes.length === 0) r.status = 0;
  else if (statusBytes.length === 1 && statusBytes[0] === 1) r.status = 1;
  else throw new VerificationError('BAD_ENCODING', `${field}.status`, 'neither a status (empty or 0x01) nor a 32-byte post-state root');
  return r;
}

/** receipt → logs → log → topics: no deeper list belongs in a receipt. */
const RECEIPT_BOUNDS = { maxDepth: 4 } as const;

/**
 * Decode one receipt as found on the wire (list = legacy, byte string = typed envelope). Bytes
 * from a server are decoded only after their receipt root matched (`verifyReceipts`).
 */
export function decodeReceiptItem(item: RlpItem, field = 'receipt'): Receipt {
  if (Array.isArray(item)) return decodeReceiptBody(item, 0, field);
  const bytes = typedItemBytes(item, field);
  return decodeReceiptBody(decodeRlpItem(bytes.subarray(1), field, RECEIPT_BOUNDS), bytes[0] as number, field);
}

/** Decode a receipt from its canonical bytes (legacy RLP list, or type ‖ RLP list). */
export function decodeReceipt(bytes: Uint8Array, field = 'receipt'): Receipt {
  const first = bytes[0];
  if (first !== undefined && first >= 0xc0) return decodeReceiptBody(decodeRlpItem(bytes, field, RECEIPT_BOUNDS), 0, field);
  return decodeReceiptItem(bytes, field);
}

/** The receipt's canonical bytes (the value of its receipt-trie entry). */
export function encodeReceipt(r: Receipt): Uint8Array {
  let status: Uint8Array;
  if (r.postState !== undefined) {
    if (r.postState.length !== 32) throw new VerificationError('BAD_ENCODING', 'receipt.postState', 'expected 32 bytes');
    status = r.postState;
  } else {
    status = r.status === 1 ? Uint8Array.of(1) : new Uint8Array(0);
  }
  const body = encodeRlpItem([
    status,
    encodeUint(r.cumulativeGasUsed),
    r.logsBloom,
    r.logs.map((l) => [l.address, l.topics, l.data]),
  ]);
  if (r.type === 0) return body;
  if (!Number.isInteger(r.type) || r.type < 1 || r.type > 0x7f) {
    throw new VerificationError('BAD_ENCODING', 'receipt.type', `type ${r.type} is not 0..0x7f`);
  }
  const out = new Uint8Array(body.length + 1);
  out[0] = r.type;
  out.set(body, 1);
  return out;
}
