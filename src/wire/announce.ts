/**
 * Announce (0x01): `[headHash, headNumber, headTd, reorgDepth, [[key, value], ...]]`.
 * A signed announce (announceType 2) carries the key `sign`: a 65-byte secp256k1 signature
 * [r ‖ s ‖ v] by the server's node key over keccak256(rlp([headHash, headNumber, headTd])).
 * Other keys update values announced in Status; they are kept as received.
 */
import { ProtocolError } from './errors.js';
import {
  type RlpItem,
  decodeRlp,
  encodeRlp,
  encodeUint,
  readBigUint,
  readBytes,
  readList,
  readUint,
} from './rlp.js';

const MSG = 'Announce';
const MAX_UPDATES = 64;

export interface Announce {
  headHash: Uint8Array;
  headNumber: number;
  headTd: bigint;
  reorgDepth: number;
  /** The `sign` key, when present. */
  signature?: Uint8Array;
  /** Every other key/value, in order. */
  updates: Array<{ key: string; value: RlpItem }>;
}

/**
 * Keys are read as strict UTF-8 (a BOM kept as text): a key that is not UTF-8 cannot be a known
 * one and is ignored, as the spec ignores unknown keys, so every kept key re-encodes to its bytes.
 */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function keyText(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}
const utf8Encoder = new TextEncoder();

/** The RLP that a signed announce signs (hash it with keccak256 before signing). */
export function announceSigningPayload(a: Pick<Announce, 'headHash' | 'headNumber' | 'headTd'>): Uint8Array {
  return encodeRlp([a.headHash, encodeUint(a.headNumber), encodeUint(a.headTd)]);
}

export function encodeAnnounce(a: Announce): Uint8Array {
  const kv: RlpItem[] = a.updates.map(({ key, value }) => [utf8Encoder.encode(key), value]);
  if (a.signature !== undefined) kv.push([utf8Encoder.encode('sign'), a.signature]);
  return encodeRlp([a.headHash, encodeUint(a.headNumber), encodeUint(a.headTd), encodeUint(a.reorgDepth), kv]);
}

export function announceFromRlp(item: RlpItem): Announce {
  const [hash, number, td, reorg, kv] = readList(item, MSG, 'announce', { len: 5 });
  const out: Announce = {
    headHash: readBytes(hash, MSG, 'headHash', { len: 32 }),
    headNumber: readUint(number, MSG, 'headNumber'),
    headTd: readBigUint(td, MSG, 'headTd'),
    reorgDepth: readUint(reorg, MSG, 'reorgDepth'),
    updates: [],
  };
  readList(kv, MSG, 'update', { max: MAX_UPDATES }).forEach((entry, i) => {
    const [rawKey, value] = readList(entry, MSG, `update[${i}]`, { len: 2 }) as [RlpItem, RlpItem];
    const key = keyText(readBytes(rawKey, MSG, `update[${i}].key`, { max: 64 }));
    if (key === undefined) return;
    if (key === 'sign') {
      if (out.signature !== undefined) throw new ProtocolError('MALFORMED', MSG, 'sign', 'duplicate key');
      out.signature = readBytes(value, MSG, 'sign', { len: 65 });
    } else {
      out.updates.push({ key, value });
    }
  });
  return out;
}

export function decodeAnnounce(data: Uint8Array): Announce {
  return announceFromRlp(decodeRlp(data, MSG));
}
