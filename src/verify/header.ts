/**
 * Block headers of every shape from Frontier to Prague, decoded strictly from RLP.
 *
 * Integer types: `number` and `timestamp` are JS numbers (decoding refuses values above 2^53−1);
 * every other integer is a bigint — gasLimit and gasUsed included, because a legal header may
 * carry 2^64−1 there (anvil's `--disable-block-gas-limit` does).
 *
 * Shapes, by field count: 15 (Frontier..Berlin), 16 (+baseFeePerGas, London), 17
 * (+withdrawalsRoot, Shanghai), 20 (+blobGasUsed, excessBlobGas, parentBeaconBlockRoot, Cancun),
 * 21 (+requestsHash, Prague). Any other count is BAD_ENCODING.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { equalBytes, hex0x } from './bytes.js';
import { VerificationError } from './errors.js';
import { type RlpItem, decodeRlpItem, encodeRlpItem, encodeUint, readBigUint, readBytes, readList, readUint } from './rlp.js';

export interface BlockHeader {
  parentHash: Uint8Array;
  /** `sha3Uncles` in JSON-RPC. */
  uncleHash: Uint8Array;
  /** `miner` in JSON-RPC. */
  coinbase: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  difficulty: bigint;
  number: number;
  gasLimit: bigint;
  gasUsed: bigint;
  timestamp: number;
  extraData: Uint8Array;
  mixHash: Uint8Array;
  nonce: Uint8Array;
  baseFeePerGas?: bigint;
  withdrawalsRoot?: Uint8Array;
  blobGasUsed?: bigint;
  excessBlobGas?: bigint;
  parentBeaconBlockRoot?: Uint8Array;
  requestsHash?: Uint8Array;
}

type Kind =
  | { t: 'bytes'; len: number }
  | { t: 'data' }
  | { t: 'big'; maxBytes: number }
  | { t: 'num' };

const HASH: Kind = { t: 'bytes', len: 32 };
const U64: Kind = { t: 'big', maxBytes: 8 };
const U256: Kind = { t: 'big', maxBytes: 32 };

/** Every field in RLP order; the first 15 are always present. */
const FIELDS: ReadonlyArray<readonly [keyof BlockHeader, Kind]> = [
  ['parentHash', HASH],
  ['uncleHash', HASH],
  ['coinbase', { t: 'bytes', len: 20 }],
  ['stateRoot', HASH],
  ['transactionsRoot', HASH],
  ['receiptsRoot', HASH],
  ['logsBloom', { t: 'bytes', len: 256 }],
  ['difficulty', U256],
  ['number', { t: 'num' }],
  ['gasLimit', U64],
  ['gasUsed', U64],
  ['timestamp', { t: 'num' }],
  ['extraData', { t: 'data' }],
  ['mixHash', HASH],
  ['nonce', { t: 'bytes', len: 8 }],
  ['baseFeePerGas', U256],
  ['withdrawalsRoot', HASH],
  ['blobGasUsed', U64],
  ['excessBlobGas', U64],
  ['parentBeaconBlockRoot', HASH],
  ['requestsHash', HASH],
];

/** Field counts that some fork produces (optional fields arrive only as a prefix, Cancun's three together). */
export const HEADER_FIELD_COUNTS: readonly number[] = [15, 16, 17, 20, 21];

function readField(item: RlpItem | undefined, name: string, kind: Kind): unknown {
  const field = `header.${name}`;
  switch (kind.t) {
    case 'bytes':
      return readBytes(item, field, { len: kind.len });
    case 'data':
      return readBytes(item, field);
    case 'big':
      return readBigUint(item, field, kind.maxBytes);
    case 'num':
      return readUint(item, field);
  }
}

/** Decode an already-parsed header list (e.g. one item of a BlockHeaders reply). */
export function decodeHeaderItem(item: RlpItem): BlockHeader {
  const list = readList(item, 'header');
  if (!HEADER_FIELD_COUNTS.includes(list.length)) {
    throw new VerificationError('BAD_ENCODING', 'header', `${list.length} fields is no known header shape (${HEADER_FIELD_COUNTS.join(', ')})`);
  }
  const out: Record<string, unknown> = {};
  list.forEach((value, i) => {
    const [name, kind] = FIELDS[i] as (typeof FIELDS)[number];
    out[name] = readField(value, name, kind);
  });
  return out as unknown as BlockHeader;
}

/**
 * A header is one flat list of at most 21 fields today. The bounds leave room for later forks and
 * for a small list in a field's place (refused by that field's reader, naming it), and make a
 * header-shaped bomb (millions of items, deep nesting) fail at once. 64 KiB is far above any real
 * header (mainnet's are ~600 bytes; a clique genesis with 3,000 signers would still fit).
 */
export const HEADER_BOUNDS = { maxItems: 64, maxDepth: 2, maxBytes: 64 * 1024 } as const;

/** Decode header RLP strictly: known field count, exact lengths, canonical integers. */
export function decodeHeader(rlp: Uint8Array): BlockHeader {
  return decodeHeaderItem(decodeRlpItem(rlp, 'header', HEADER_BOUNDS));
}

function checkedValue(h: BlockHeader, name: keyof BlockHeader, kind: Kind): Uint8Array {
  const v = h[name];
  const field = `header.${name}`;
  if (kind.t === 'bytes' || kind.t === 'data') {
    if (!(v instanceof Uint8Array) || (kind.t === 'bytes' && v.length !== kind.len)) {
      throw new VerificationError('BAD_ENCODING', field, kind.t === 'bytes' ? `expected ${kind.len} bytes` : 'expected bytes');
    }
    return v;
  }
  if (kind.t === 'num') {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new VerificationError('BAD_ENCODING', field, 'expected a non-negative safe integer');
    }
    return encodeUint(v);
  }
  if (typeof v !== 'bigint' || v < 0n || v >= 1n << BigInt(8 * kind.maxBytes)) {
    throw new VerificationError('BAD_ENCODING', field, `expected a bigint of at most ${kind.maxBytes} bytes`);
  }
  return encodeUint(v);
}

/** The header as an RLP list item; refuses field combinations no fork produces. */
export function headerToItem(h: BlockHeader): Uint8Array[] {
  let count = 15;
  while (count < FIELDS.length && h[(FIELDS[count] as (typeof FIELDS)[number])[0]] !== undefined) count++;
  for (let i = count; i < FIELDS.length; i++) {
    const name = (FIELDS[i] as (typeof FIELDS)[number])[0];
    if (h[name] !== undefined) {
      throw new VerificationError('BAD_ENCODING', `header.${name}`, `present without ${(FIELDS[count] as (typeof FIELDS)[number])[0]}`);
    }
  }
  if (!HEADER_FIELD_COUNTS.includes(count)) {
    throw new VerificationError('BAD_ENCODING', 'header', `${count} fields is no known header shape`);
  }
  return FIELDS.slice(0, count).map(([name, kind]) => checkedValue(h, name, kind));
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return encodeRlpItem(headerToItem(h));
}

/** keccak256 of the header's RLP; pass the received RLP itself when you have it. */
export function headerHash(h: BlockHeader | Uint8Array): Uint8Array {
  return keccak256(h instanceof Uint8Array ? h : encodeHeader(h));
}

/** Require keccak256(rlp) = `expectedHash`, then decode (bytes no hash binds are never decoded). */
export function verifyHeaderHash(rlp: Uint8Array, expectedHash: Uint8Array): BlockHeader {
  const got = keccak256(rlp);
  if (!equalBytes(got, expectedHash)) {
    throw new VerificationError('HASH_MISMATCH', 'header', `hash ${hex0x(got)} is not the expected ${hex0x(expectedHash)}`);
  }
  return decodeHeader(rlp);
}
