/**
 * EIP-2124 fork identifier: FORK_HASH = CRC32 of the genesis hash, then updated with each passed
 * fork's activation point as a big-endian uint64 (block-based forks, then timestamp-based ones);
 * FORK_NEXT is the next activation point or 0. Forks active at genesis are not counted.
 * Node 20 has no zlib.crc32 (Node 22 has), hence the small table-driven CRC32 here.
 */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32 (IEEE) continuing from a previous value, as Go's crc32.Update. */
export function crc32(data: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export interface ForkSchedule {
  /** Activation block numbers of block-based forks (after genesis). */
  blocks: readonly number[];
  /** Activation timestamps of time-based forks (after genesis). */
  timestamps: readonly number[];
  /** Genesis timestamp: time-based forks at or before it are active at genesis and not counted. */
  genesisTimestamp?: number;
}

export interface ForkIdValue {
  hash: Uint8Array;
  next: bigint;
}

function be64(v: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v));
  return out;
}

function be32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0);
  return out;
}

/** The fork id of a node whose head is at (headNumber, headTime). */
export function computeForkId(
  genesisHash: Uint8Array,
  schedule: ForkSchedule,
  headNumber: number,
  headTime: number,
): ForkIdValue {
  const genesisTime = schedule.genesisTimestamp ?? 0;
  // Deduplicated and sorted, as EIP-2124 counts a fork block shared by several forks once.
  const blocks = [...new Set(schedule.blocks)].filter((b) => b > 0).sort((a, b) => a - b);
  const times = [...new Set(schedule.timestamps)].filter((t) => t > genesisTime).sort((a, b) => a - b);
  let hash = crc32(genesisHash);
  for (const b of blocks) {
    if (b > headNumber) return { hash: be32(hash), next: BigInt(b) };
    hash = crc32(be64(b), hash);
  }
  for (const t of times) {
    if (t > headTime) return { hash: be32(hash), next: BigInt(t) };
    hash = crc32(be64(t), hash);
  }
  return { hash: be32(hash), next: 0n };
}
