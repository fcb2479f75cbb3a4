/**
 * Status (0x00): the handshake key/value list `[[key, value], ...]` (LES spec, DESIGN §4).
 * All keys of the spec are typed; unknown keys are kept as received and otherwise ignored.
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

const MSG = 'Status';

/** One row of the flowControl/MRC table: max cost = baseCost + reqCost × items. */
export interface MaxRequestCost {
  code: number;
  baseCost: number;
  reqCost: number;
}

/** EIP-2124 fork identifier: CRC32 of the genesis hash and passed fork blocks, and the next fork. */
export interface ForkId {
  hash: Uint8Array;
  next: bigint;
}

export type AnnounceType = 0 | 1 | 2;
export const AnnounceType = { None: 0, Simple: 1, Signed: 2 } as const;

export interface Status {
  protocolVersion: number;
  networkId: bigint;
  headTd: bigint;
  headHash: Uint8Array;
  headNum: number;
  genesisHash: Uint8Array;
  /** Mandatory since les/4. */
  forkID?: ForkId;
  /** Client: which announces it wants (0 none, 1 simple, 2 signed). */
  announceType?: AnnounceType;
  serveHeaders?: boolean;
  serveChainSince?: number;
  serveRecentChain?: number;
  serveStateSince?: number;
  serveRecentState?: number;
  txRelay?: boolean;
  /** les/4 server: 0 = all txs, 1 = none, N = the N−1 latest blocks. */
  recentTxLookup?: number;
  /** flowControl/BL: buffer limit. */
  flowControlBL?: number;
  /** flowControl/MRR: minimum rate of recharge, cost units per millisecond. */
  flowControlMRR?: number;
  /** flowControl/MRC: maximum request cost table. */
  flowControlMRC?: MaxRequestCost[];
  /** Keys not known here, kept in order and ignored. */
  unknown: Array<{ key: string; value: RlpItem }>;
}

/** More MRC rows than there are LES message codes is nonsense. */
const MAX_MRC_ROWS = 64;
const MAX_STATUS_ENTRIES = 128;

type Codec<T> = {
  encode(value: T): RlpItem;
  decode(value: RlpItem, field: string): T;
};

const uint: Codec<number> = {
  encode: (v) => encodeUint(v),
  decode: (v, f) => readUint(v, MSG, f),
};
const bigUint: Codec<bigint> = {
  encode: (v) => encodeUint(v),
  decode: (v, f) => readBigUint(v, MSG, f),
};
const hash32: Codec<Uint8Array> = {
  encode: (v) => v,
  decode: (v, f) => readBytes(v, MSG, f, { len: 32 }),
};
/** Presence is the value; whatever value the peer attached is ignored. */
const flag: Codec<boolean> = {
  encode: () => new Uint8Array(0),
  decode: () => true,
};

/** Keys in the order they are written, each with its codec. */
const KNOWN: { [K in Exclude<keyof Status, 'unknown'>]-?: { key: string; codec: Codec<NonNullable<Status[K]>> } } = {
  protocolVersion: { key: 'protocolVersion', codec: uint },
  networkId: { key: 'networkId', codec: bigUint },
  headTd: { key: 'headTd', codec: bigUint },
  headHash: { key: 'headHash', codec: hash32 },
  headNum: { key: 'headNum', codec: uint },
  genesisHash: { key: 'genesisHash', codec: hash32 },
  forkID: {
    key: 'forkID',
    codec: {
      encode: (v) => [v.hash, encodeUint(v.next)],
      decode: (v, f) => {
        const [hash, next] = readList(v, MSG, f, { len: 2 });
        return { hash: readBytes(hash, MSG, `${f}.hash`, { len: 4 }), next: readBigUint(next, MSG, `${f}.next`, 8) };
      },
    },
  },
  announceType: {
    key: 'announceType',
    codec: {
      encode: (v) => encodeUint(v),
      decode: (v, f) => {
        const t = readUint(v, MSG, f);
        if (t > 2) throw new ProtocolError('MALFORMED', MSG, f, `announceType ${t} is not 0, 1 or 2`);
        return t as AnnounceType;
      },
    },
  },
  serveHeaders: { key: 'serveHeaders', codec: flag },
  serveChainSince: { key: 'serveChainSince', codec: uint },
  serveRecentChain: { key: 'serveRecentChain', codec: uint },
  serveStateSince: { key: 'serveStateSince', codec: uint },
  serveRecentState: { key: 'serveRecentState', codec: uint },
  txRelay: { key: 'txRelay', codec: flag },
  recentTxLookup: { key: 'recentTxLookup', codec: uint },
  flowControlBL: { key: 'flowControl/BL', codec: uint },
  flowControlMRR: { key: 'flowControl/MRR', codec: uint },
  flowControlMRC: {
    key: 'flowControl/MRC',
    codec: {
      encode: (rows) => rows.map((r) => [encodeUint(r.code), encodeUint(r.baseCost), encodeUint(r.reqCost)]),
      decode: (v, f) =>
        readList(v, MSG, f, { max: MAX_MRC_ROWS }).map((row, i) => {
          const [code, base, req] = readList(row, MSG, `${f}[${i}]`, { len: 3 });
          return {
            code: readUint(code, MSG, `${f}[${i}].code`),
            baseCost: readUint(base, MSG, `${f}[${i}].baseCost`),
            reqCost: readUint(req, MSG, `${f}[${i}].reqCost`),
          };
        }),
    },
  },
};

type KnownField = keyof typeof KNOWN;
const FIELD_OF_KEY = new Map<string, KnownField>(
  (Object.entries(KNOWN) as Array<[KnownField, { key: string }]>).map(([field, { key }]) => [key, field]),
);
const REQUIRED: readonly KnownField[] = ['protocolVersion', 'networkId', 'headTd', 'headHash', 'headNum', 'genesisHash'];

/**
 * Keys are read as strict UTF-8 (a BOM kept as text): a key that is not UTF-8 cannot be a known
 * one and is ignored like other unknown keys, so every kept key re-encodes to its bytes.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function keyText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
const utf8Encoder = new TextEncoder();

export function encodeStatus(status: Status): Uint8Array {
  const entries: RlpItem[] = [];
  for (const field of Object.keys(KNOWN) as KnownField[]) {
    const value = status[field];
    if (value === undefined || value === false) continue;
    const { key, codec } = KNOWN[field] as { key: string; codec: Codec<unknown> };
    entries.push([utf8Encoder.encode(key), codec.encode(value)]);
  }
  for (const { key, value } of status.unknown) entries.push([utf8Encoder.encode(key), value]);
  return encodeRlp(entries);
}

export function decodeStatus(data: Uint8Array): Status {
  return statusFromRlp(decodeRlp(data, MSG));
}

/** Status from an already-decoded RLP item (the network layer decodes a payload once). */
export function statusFromRlp(item: RlpItem): Status {
  const entries = readList(item, MSG, 'entries', { max: MAX_STATUS_ENTRIES });
  const out: Partial<Record<KnownField, unknown>> & { unknown: Status['unknown'] } = { unknown: [] };
  entries.forEach((entry, i) => {
    const [rawKey, value] = readList(entry, MSG, `entries[${i}]`, { len: 2 }) as [RlpItem, RlpItem];
    const key = keyText(readBytes(rawKey, MSG, `entries[${i}].key`, { max: 64 }));
    if (key === undefined) return;
    const field = FIELD_OF_KEY.get(key);
    if (field === undefined) {
      out.unknown.push({ key, value });
      return;
    }
    if (out[field] !== undefined) throw new ProtocolError('MALFORMED', MSG, key, 'duplicate key');
    out[field] = (KNOWN[field].codec as Codec<unknown>).decode(value, key);
  });
  for (const field of REQUIRED) {
    if (out[field] === undefined) throw new ProtocolError('MALFORMED', MSG, KNOWN[field].key, 'required key missing');
  }
  const status = out as unknown as Status;
  if (status.protocolVersion >= 4 && status.forkID === undefined) {
    throw new ProtocolError('MALFORMED', MSG, 'forkID', 'required since les/4');
  }
  return status;
}
