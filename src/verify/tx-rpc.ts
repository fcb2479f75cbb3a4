/**
 * A transaction's canonical binary form (what the transaction trie holds and what LES bodies
 * carry) rebuilt from the JSON object a node returns in `eth_getBlockByNumber(n, true)`:
 * legacy = rlp([nonce, gasPrice, gas, to, value, input, v, r, s]); typed = type ‖ rlp(fields).
 * Field lists per type are a table (EIP-2930, 1559, 4844 without its sidecar, 7702).
 *
 * The JSON is untrusted: every field is read with a check that names it. The result is only as
 * good as the node's fields — a caller compares keccak256(result) with the node's `hash` and the
 * block's transactionsRoot before it trusts it.
 */
import { VerificationError } from './errors.js';
import { type RlpItem, encodeRlpItem, encodeUint } from './rlp.js';

export type RpcJson = Record<string, unknown>;

const HEX_DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const HEX_QUANTITY = /^0x[0-9a-fA-F]{1,64}$/;

/** Most items a list field may hold: far above any block, low enough to bound what we build. */
const MAX_LIST = 1 << 16;

function bad(field: string, detail: string): VerificationError {
  return new VerificationError('BAD_ENCODING', field, detail);
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v) ?? String(v);
  return `got ${s.length > 40 ? `${s.slice(0, 40)}…` : s}`;
}

/** A JSON object (not null, not an array). */
export function rpcObject(v: unknown, field: string): RpcJson {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field, `expected a JSON object, ${describe(v)}`);
  return v as RpcJson;
}

/** A JSON array of at most `max` items. */
export function rpcArray(v: unknown, field: string, max = MAX_LIST): unknown[] {
  if (!Array.isArray(v)) throw bad(field, `expected an array, ${describe(v)}`);
  if (v.length > max) throw bad(field, `${v.length} items, more than ${max}`);
  return v;
}

/** 0x-prefixed hex of whole bytes; exactly `len` bytes when given. */
export function rpcData(v: unknown, field: string, len?: number): Uint8Array {
  if (typeof v !== 'string' || !HEX_DATA.test(v)) throw bad(field, `expected 0x-prefixed hex bytes, ${describe(v)}`);
  const out = new Uint8Array(Buffer.from(v.slice(2), 'hex'));
  if (len !== undefined && out.length !== len) throw bad(field, `expected ${len} bytes, got ${out.length}`);
  return out;
}

/** A 0x-hex quantity of at most `maxBytes` bytes (leading zeros tolerated: nodes differ). */
export function rpcQuantity(v: unknown, field: string, maxBytes = 32): bigint {
  if (typeof v !== 'string' || !HEX_QUANTITY.test(v)) throw bad(field, `expected a 0x-hex quantity, ${describe(v)}`);
  const q = BigInt(v);
  if (q >> BigInt(8 * maxBytes) !== 0n) throw bad(field, `exceeds ${maxBytes} bytes`);
  return q;
}

/** How one field of the signed payload is read from JSON and encoded. */
type FieldKind = 'u64' | 'u256' | 'to' | 'data' | 'accessList' | 'hashes' | 'authList' | 'yParity' | 'v';

/** Signed fields of each type in RLP order, as [JSON key, kind]. */
const TX_FIELDS: Readonly<Record<number, ReadonlyArray<readonly [string, FieldKind]>>> = {
  0: [['nonce', 'u64'], ['gasPrice', 'u256'], ['gas', 'u64'], ['to', 'to'], ['value', 'u256'], ['input', 'data'], ['v', 'v'], ['r', 'u256'], ['s', 'u256']],
  1: [
    ['chainId', 'u256'], ['nonce', 'u64'], ['gasPrice', 'u256'], ['gas', 'u64'], ['to', 'to'], ['value', 'u256'], ['input', 'data'],
    ['accessList', 'accessList'], ['yParity', 'yParity'], ['r', 'u256'], ['s', 'u256'],
  ],
  2: [
    ['chainId', 'u256'], ['nonce', 'u64'], ['maxPriorityFeePerGas', 'u256'], ['maxFeePerGas', 'u256'], ['gas', 'u64'], ['to', 'to'],
    ['value', 'u256'], ['input', 'data'], ['accessList', 'accessList'], ['yParity', 'yParity'], ['r', 'u256'], ['s', 'u256'],
  ],
  3: [
    ['chainId', 'u256'], ['nonce', 'u64'], ['maxPriorityFeePerGas', 'u256'], ['maxFeePerGas', 'u256'], ['gas', 'u64'], ['to', 'to'],
    ['value', 'u256'], ['input', 'data'], ['accessList', 'accessList'], ['maxFeePerBlobGas', 'u256'],
    ['blobVersionedHashes', 'hashes'], ['yParity', 'yParity'], ['r', 'u256'], ['s', 'u256'],
  ],
  4: [
    ['chainId', 'u256'], ['nonce', 'u64'], ['maxPriorityFeePerGas', 'u256'], ['maxFeePerGas', 'u256'], ['gas', 'u64'], ['to', 'to'],
    ['value', 'u256'], ['input', 'data'], ['accessList', 'accessList'], ['authorizationList', 'authList'],
    ['yParity', 'yParity'], ['r', 'u256'], ['s', 'u256'],
  ],
};

/** EIP-2718 types this module rebuilds; any other needs the node's raw bytes. */
export const RPC_TX_TYPES: readonly number[] = Object.keys(TX_FIELDS).map(Number);

/** Blob and 7702 transactions cannot create contracts: their `to` is required. */
const TO_REQUIRED = new Set([3, 4]);

function accessList(v: unknown, field: string): RlpItem[] {
  return rpcArray(v, field).map((entry, i) => {
    const f = `${field}[${i}]`;
    const e = rpcObject(entry, f);
    return [
      rpcData(e.address, `${f}.address`, 20),
      rpcArray(e.storageKeys, `${f}.storageKeys`).map((k, j) => rpcData(k, `${f}.storageKeys[${j}]`, 32)),
    ];
  });
}

function authorizationList(v: unknown, field: string): RlpItem[] {
  return rpcArray(v, field).map((entry, i) => {
    const f = `${field}[${i}]`;
    const a = rpcObject(entry, f);
    return [
      encodeUint(rpcQuantity(a.chainId, `${f}.chainId`)),
      rpcData(a.address, `${f}.address`, 20),
      encodeUint(rpcQuantity(a.nonce, `${f}.nonce`, 8)),
      encodeUint(yParity(a.yParity, a.v, `${f}.yParity`)),
      encodeUint(rpcQuantity(a.r, `${f}.r`)),
      encodeUint(rpcQuantity(a.s, `${f}.s`)),
    ];
  });
}

/** Typed transactions carry yParity; older nodes send only `v` (= yParity for typed ones). */
function yParity(y: unknown, v: unknown, field: string): bigint {
  const value = y !== undefined && y !== null ? rpcQuantity(y, field, 1) : rpcQuantity(v, field.replace(/yParity$/, 'v'), 1);
  if (value > 1n) throw bad(field, `y parity must be 0 or 1, got ${value}`);
  if (y !== undefined && y !== null && v !== undefined && v !== null && rpcQuantity(v, field.replace(/yParity$/, 'v'), 32) !== value) {
    throw bad(field, 'yParity and v disagree');
  }
  return value;
}

function fieldItem(tx: RpcJson, type: number, key: string, kind: FieldKind, field: string): RlpItem {
  const f = `${field}.${key}`;
  const v = tx[key];
  switch (kind) {
    case 'u64':
      return encodeUint(rpcQuantity(v, f, 8));
    case 'u256':
      return encodeUint(rpcQuantity(v, f));
    case 'v':
      // Legacy v: 27/28, or chainId·2 + 35/36 (EIP-155); any width the chain id needs.
      return encodeUint(rpcQuantity(v, f));
    case 'to':
      if (v === null || v === undefined) {
        if (TO_REQUIRED.has(type)) throw bad(f, `a type-${type} transaction must have a recipient`);
        return new Uint8Array(0);
      }
      return rpcData(v, f, 20);
    case 'data':
      // go-ethereum once called it `data`; every current node says `input`.
      return rpcData(v === undefined && 'data' in tx ? tx.data : v, f);
    case 'accessList':
      return accessList(v, f);
    case 'hashes':
      return rpcArray(v, f).map((h, i) => rpcData(h, `${f}[${i}]`, 32));
    case 'authList':
      return authorizationList(v, f);
    case 'yParity':
      return encodeUint(yParity(v, tx.v, f));
  }
}

/**
 * The canonical bytes of a transaction from its JSON-RPC object. Throws VerificationError
 * BAD_ENCODING naming the field for a missing or malformed field, and for a type not in
 * RPC_TX_TYPES (field `<field>.type`).
 */
export function txFromRpc(json: unknown, field = 'tx'): Uint8Array {
  const tx = rpcObject(json, field);
  // Pre-Berlin nodes omit `type` on legacy transactions.
  const type = tx.type === undefined || tx.type === null ? 0 : Number(rpcQuantity(tx.type, `${field}.type`, 1));
  const fields = TX_FIELDS[type];
  if (fields === undefined) throw bad(`${field}.type`, `transaction type 0x${type.toString(16)} cannot be rebuilt from JSON`);
  const payload = encodeRlpItem(fields.map(([key, kind]) => fieldItem(tx, type, key, kind, field)));
  if (type === 0) return payload;
  const out = new Uint8Array(payload.length + 1);
  out[0] = type;
  out.set(payload, 1);
  return out;
}
