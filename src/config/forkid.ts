/**
 * EIP-2124 fork identifier: FORK_HASH = CRC32 of the genesis hash, then updated with each passed
 * fork's activation point as a big-endian uint64 (block-based forks, then timestamp-based ones);
 * FORK_NEXT is the next activation point or 0. Forks active at genesis are not counted. And the
 * validation of a remote fork id against ours (checkRemoteForkId), as go-ethereum applies it.
 * Node 20.x before 20.15 has no zlib.crc32, hence the small table-driven CRC32 here.
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

function be64(v: number | bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v));
  return out;
}

function be32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v >>> 0);
  return out;
}

/** The counted fork points: block forks after genesis, then time forks after the genesis time, each sorted and once. */
function forkPoints(schedule: ForkSchedule): { blocks: number[]; times: number[] } {
  const genesisTime = schedule.genesisTimestamp ?? 0;
  // Deduplicated and sorted, as EIP-2124 counts a fork block shared by several forks once.
  const blocks = [...new Set(schedule.blocks)].filter((b) => b > 0).sort((a, b) => a - b);
  const times = [...new Set(schedule.timestamps)].filter((t) => t > genesisTime).sort((a, b) => a - b);
  return { blocks, times };
}

/** The fork id of a node whose head is at (headNumber, headTime). */
export function computeForkId(
  genesisHash: Uint8Array,
  schedule: ForkSchedule,
  headNumber: number,
  headTime: number,
): ForkIdValue {
  const { blocks, times } = forkPoints(schedule);
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

/** Why a remote fork id is refused, in go-ethereum's two kinds (ErrRemoteStale, ErrLocalIncompatibleOrStale). */
export interface ForkIdRejection {
  code: 'REMOTE_STALE' | 'LOCAL_INCOMPATIBLE_OR_STALE';
  /** One line naming what differs. */
  reason: string;
}

/** Validates a remote fork id against our chain at its current head: undefined to connect, else why not. */
export type ForkFilter = (remote: ForkIdValue) => ForkIdRejection | undefined;

/** A FORK_NEXT above the first mainnet block's timestamp is a time, below it a block number (go-ethereum's rule). */
const TIMESTAMP_THRESHOLD = 1438269973n;
const MAX_UINT64 = (1n << 64n) - 1n;

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * EIP-2124's validation of a remote fork id against ours at our head (headNumber, headTime), as
 * go-ethereum's core/forkid filter applies it: undefined to connect, else why not.
 *   1. Same fork hash: connect, unless the remote's next fork is one our head already passed (1a).
 *   2. The remote hash is one of our past states: connect if its next fork is the one that
 *      followed that state here, else the remote is stale.
 *   3. The remote hash is one of our future states (we are behind): connect.
 *   4. Anything else: a different chain or fork schedule.
 */
export function checkRemoteForkId(
  genesisHash: Uint8Array,
  schedule: ForkSchedule,
  headNumber: number,
  headTime: number,
  remote: ForkIdValue,
): ForkIdRejection | undefined {
  const { blocks, times } = forkPoints(schedule);
  const forks = [...blocks, ...times].map(BigInt);
  const sums = [crc32(genesisHash)];
  for (const f of forks) sums.push(crc32(be64(f), sums[sums.length - 1]));
  // A last fork that is never passed, so the loop always finds the first unpassed one.
  forks.push(MAX_UINT64);
  if (remote.hash.length !== 4) {
    return { code: 'LOCAL_INCOMPATIBLE_OR_STALE', reason: `remote fork hash has ${remote.hash.length} bytes, not 4` };
  }
  const remoteHash = new DataView(remote.hash.buffer, remote.hash.byteOffset, 4).getUint32(0);
  const block = BigInt(headNumber);
  const time = BigInt(headTime);
  const ours = (i: number): string => `ours ${hex32(sums[i] as number)} next ${forks[i] === MAX_UINT64 ? 0n : forks[i]}`;
  const theirs = `remote ${hex32(remoteHash)} next ${remote.next}`;
  for (let i = 0; i < forks.length; i++) {
    const head = i >= blocks.length ? time : block;
    if (head >= (forks[i] as bigint)) continue;
    if (sums[i] === remoteHash) {
      if (remote.next > 0n && (block >= remote.next || (remote.next > TIMESTAMP_THRESHOLD && time >= remote.next))) {
        return {
          code: 'LOCAL_INCOMPATIBLE_OR_STALE',
          reason: `${theirs}, ${ours(i)}: the remote's next fork ${remote.next} is already passed here without it (incompatible chain, or our fork schedule is stale)`,
        };
      }
      return undefined;
    }
    for (let j = 0; j < i; j++) {
      if (sums[j] !== remoteHash) continue;
      if (forks[j] !== remote.next) {
        return {
          code: 'REMOTE_STALE',
          reason: `${theirs}, ${ours(i)}: the remote is at an earlier fork and does not know the fork at ${forks[j]} that followed it here (remote needs update)`,
        };
      }
      return undefined;
    }
    for (let j = i + 1; j < sums.length; j++) if (sums[j] === remoteHash) return undefined;
    return {
      code: 'LOCAL_INCOMPATIBLE_OR_STALE',
      reason: `${theirs}, ${ours(i)}: the remote fork hash is none of our chain's (a different chain or fork schedule)`,
    };
  }
  return undefined;
}
