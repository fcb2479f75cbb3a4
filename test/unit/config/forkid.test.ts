// EIP-2124 fork ids: creation and validation against published vectors. Each table is copied from
// the source named above it; the schedule it was written for is reproduced by capping the network's
// schedule (from @ethereumjs/common) at the last fork that source knew, since FORK_NEXT depends on it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON_CHAINS } from '../../../src/config/chains.js';
import { type ForkSchedule, checkRemoteForkId, computeForkId, crc32 } from '../../../src/config/forkid.js';
import { BUILTIN_NETWORKS, HOLESKY, HOODI, MAINNET, MAINNET_GENESIS_HASH, type NetworkConfig, SEPOLIA } from '../../../src/config/network.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const be32 = (n: number) => Uint8Array.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const MAX = (1n << 64n) - 1n;

/** `net`'s schedule without the block forks after `lastBlock` and the time forks after `lastTime`. */
function capped(net: NetworkConfig, lastBlock: number, lastTime: number): ForkSchedule {
  return {
    blocks: net.forks.blocks.filter((b) => b <= lastBlock),
    timestamps: net.forks.timestamps.filter((t) => t <= lastTime),
    genesisTimestamp: net.forks.genesisTimestamp,
  };
}

/** go-ethereum's checksumUpdate(hash, fork): CRC32 continued with the fork as a big-endian uint64. */
function checksumUpdate(hash: number, fork: bigint): number {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, fork);
  return crc32(b, hash);
}

describe('crc32', () => {
  it('matches the IEEE check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')).toString(16), 'cbf43926');
  });
});

// EIP-2124, "Test Cases" (eips.ethereum.org/EIPS/eip-2124): every fork id mainnet can advertise
// "given the Petersburg fork cap (time of writing)".
const EIP2124_CREATION: Array<[number, number, bigint]> = [
  [0, 0xfc64ec04, 1150000n], // Unsynced
  [1149999, 0xfc64ec04, 1150000n], // Last Frontier block
  [1150000, 0x97c2c34c, 1920000n], // First Homestead block
  [1919999, 0x97c2c34c, 1920000n], // Last Homestead block
  [1920000, 0x91d1f948, 2463000n], // First DAO block
  [2462999, 0x91d1f948, 2463000n], // Last DAO block
  [2463000, 0x7a64da13, 2675000n], // First Tangerine block
  [2674999, 0x7a64da13, 2675000n], // Last Tangerine block
  [2675000, 0x3edd5b10, 4370000n], // First Spurious block
  [4369999, 0x3edd5b10, 4370000n], // Last Spurious block
  [4370000, 0xa00bc324, 7280000n], // First Byzantium block
  [7279999, 0xa00bc324, 7280000n], // Last Byzantium block
  [7280000, 0x668db0af, 0n], // First and last Constantinople, first Petersburg block
  [7987396, 0x668db0af, 0n], // Today Petersburg block
];

// EIP-2124, "Test Cases": a mainnet node at `head` validating remote ids (null = connect).
type Verdict = null | 'REMOTE_STALE' | 'LOCAL_INCOMPATIBLE_OR_STALE';
const EIP2124_VALIDATION: Array<[number, number, bigint, Verdict]> = [
  [7987396, 0x668db0af, 0n, null],
  [7987396, 0x668db0af, MAX, null],
  [7279999, 0xa00bc324, 0n, null],
  [7279999, 0xa00bc324, 7280000n, null],
  [7279999, 0xa00bc324, MAX, null],
  [7987396, 0xa00bc324, 7280000n, null],
  [7987396, 0x3edd5b10, 4370000n, null],
  [7279999, 0x668db0af, 0n, null],
  [4369999, 0xa00bc324, 0n, null],
  [7987396, 0xa00bc324, 0n, 'REMOTE_STALE'],
  [7987396, 0x5cddc0e1, 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  [7279999, 0x5cddc0e1, 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  [7987396, 0xafec6b27, 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  [88888888, 0x668db0af, 88888888n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  [7279999, 0xa00bc324, 7279999n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
];

describe('EIP-2124 published mainnet vectors (Petersburg cap)', () => {
  const petersburg = capped(MAINNET, 7_280_000, 0);
  for (const [head, hash, next] of EIP2124_CREATION) {
    it(`head ${head} → {0x${hash.toString(16).padStart(8, '0')}, ${next}}`, () => {
      const id = computeForkId(MAINNET_GENESIS_HASH, petersburg, head, 0);
      assert.deepEqual({ hash: hex(id.hash), next: id.next }, { hash: hex(be32(hash)), next });
    });
  }
  for (const [head, hash, next, verdict] of EIP2124_VALIDATION) {
    it(`local head ${head}, remote {0x${hash.toString(16)}, ${next}}: ${verdict ?? 'connect'}`, () => {
      assert.equal(checkRemoteForkId(MAINNET_GENESIS_HASH, petersburg, head, 0, { hash: be32(hash), next })?.code ?? null, verdict);
    });
  }
});

// go-ethereum core/forkid/forkid_test.go, TestValidation, the revision whose mainnet ended with
// Shanghai (ShanghaiTime 1681338455): block-based cases on "legacyConfig" (no Shanghai), the
// block-to-timestamp transition and timestamp-based cases. [config, head, time, hash, next, verdict].
const GETH_VALIDATION: Array<['legacy' | 'shanghai', number, number, number, bigint, Verdict]> = [
  ['legacy', 15050000, 0, 0xf0afd0e3, 0n, null],
  ['legacy', 15050000, 0, 0xf0afd0e3, MAX, null],
  ['legacy', 7279999, 0, 0xa00bc324, 0n, null],
  ['legacy', 7279999, 0, 0xa00bc324, 7280000n, null],
  ['legacy', 7279999, 0, 0xa00bc324, MAX, null],
  ['legacy', 7280000, 0, 0xa00bc324, 7280000n, null],
  ['legacy', 7987396, 0, 0xa00bc324, 7280000n, null],
  ['legacy', 7987396, 0, 0x3edd5b10, 4370000n, null],
  ['legacy', 7279999, 0, 0x668db0af, 0n, null],
  ['legacy', 4369999, 0, 0xa00bc324, 0n, null],
  ['legacy', 7987396, 0, 0xa00bc324, 0n, 'REMOTE_STALE'],
  ['legacy', 7987396, 0, 0x5cddc0e1, 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['legacy', 7279999, 0, 0x5cddc0e1, 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['legacy', 7987396, 0, 0xafec6b27, 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['legacy', 88888888, 0, 0xf0afd0e3, 88888888n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['legacy', 7279999, 0, 0xa00bc324, 7279999n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['shanghai', 15050000, 0, 0xf0afd0e3, 0n, null],
  ['shanghai', 15050000, 0, 0xf0afd0e3, 1681338455n, null],
  ['shanghai', 15050000, 0, 0xf0afd0e3, MAX, null],
  ['shanghai', 20000000, 1681338455, 0xf0afd0e3, 1681338455n, null],
  ['shanghai', 20123456, 1681338456, 0xf0afd0e3, 1681338455n, null],
  ['shanghai', 20000000, 1681338455, 0x20c327fc, 15050000n, null],
  ['shanghai', 15050000, 0, 0xdce96c2d, 0n, null],
  ['shanghai', 13773000, 0, 0xf0afd0e3, 0n, null],
  ['shanghai', 20000000, 1681338455, 0xf0afd0e3, 0n, 'REMOTE_STALE'],
  ['shanghai', 15050000, 0, checksumUpdate(0xf0afd0e3, MAX), 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['shanghai', 15050000, 0, checksumUpdate(0xdce96c2d, MAX), 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['shanghai', 888888888, 1660000000, 0xf0afd0e3, 1660000000n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['shanghai', 19999999, 1667999999, 0xf0afd0e3, 1667999999n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['shanghai', 20000000, 1681338455, 0xdce96c2d, 0n, null],
  ['shanghai', 20000000, 1681338455, 0xdce96c2d, MAX, null],
  ['shanghai', 20000000, 1681338455, checksumUpdate(0xdce96c2d, MAX), 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['shanghai', 20000000, 1681338455, 0x12345678, 0n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
  ['shanghai', 88888888, 8888888888, 0xdce96c2d, 8888888888n, 'LOCAL_INCOMPATIBLE_OR_STALE'],
];

describe("go-ethereum's published validation vectors (block and timestamp forks)", () => {
  const schedules = { legacy: capped(MAINNET, 15_050_000, 0), shanghai: capped(MAINNET, 15_050_000, 1681338455) };
  for (const [config, head, time, hash, next, verdict] of GETH_VALIDATION) {
    it(`${config}: local (${head}, ${time}), remote {0x${hash.toString(16)}, ${next}}: ${verdict ?? 'connect'}`, () => {
      assert.equal(checkRemoteForkId(MAINNET_GENESIS_HASH, schedules[config], head, time, { hash: be32(hash), next })?.code ?? null, verdict);
    });
  }
});

// erigon p2p/forkid/forkid_test.go (erigontech/erigon), TestCreation: real boundary blocks (number,
// time) of mainnet, sepolia, holesky and hoodi up to Prague. [head, time, hash, next].
const ERIGON: Record<string, { net: NetworkConfig; cap: [number, number]; rows: Array<[number, number, number, bigint]> }> = {
  mainnet: {
    net: MAINNET,
    cap: [15_050_000, 1746612311],
    rows: [
      [0, 0, 0xfc64ec04, 1150000n], [1149999, 1457981342, 0xfc64ec04, 1150000n], [1150000, 1457981393, 0x97c2c34c, 1920000n],
      [1919999, 1469020838, 0x97c2c34c, 1920000n], [1920000, 1469020840, 0x91d1f948, 2463000n], [2462999, 1476796747, 0x91d1f948, 2463000n],
      [2463000, 1476796771, 0x7a64da13, 2675000n], [2674999, 1479831337, 0x7a64da13, 2675000n], [2675000, 1479831344, 0x3edd5b10, 4370000n],
      [4369999, 1508131303, 0x3edd5b10, 4370000n], [4370000, 1508131331, 0xa00bc324, 7280000n], [7279999, 1551383501, 0xa00bc324, 7280000n],
      [7280000, 1551383524, 0x668db0af, 9069000n], [9068999, 1575764708, 0x668db0af, 9069000n], [9069000, 1575764709, 0x879d6e30, 9200000n],
      [9199999, 1577953806, 0x879d6e30, 9200000n], [9200000, 1577953849, 0xe029e991, 12244000n], [12243999, 1618481214, 0xe029e991, 12244000n],
      [12244000, 1618481223, 0x0eb440f6, 12965000n], [12964999, 1628166812, 0x0eb440f6, 12965000n], [12965000, 1628166822, 0xb715077d, 13773000n],
      [13772999, 1639079715, 0xb715077d, 13773000n], [13773000, 1639079723, 0x20c327fc, 15050000n], [15049999, 1656586434, 0x20c327fc, 15050000n],
      [15050000, 1656586444, 0xf0afd0e3, 1681338455n], [17034869, 1681338443, 0xf0afd0e3, 1681338455n],
      [17034870, 1681338479, 0xdce96c2d, 1710338135n], [19426586, 1710338123, 0xdce96c2d, 1710338135n],
      [19426587, 1710338135, 0x9f3d2254, 1746612311n], [22432453, 1746612299, 0x9f3d2254, 1746612311n],
      [22432454, 1746612311, 0xc376cf8b, 0n], [30000000, 1900000000, 0xc376cf8b, 0n],
    ],
  },
  sepolia: {
    net: SEPOLIA,
    cap: [1_735_371, 1741159776],
    rows: [
      [0, 1633267481, 0xfe3366e7, 1735371n], [1735370, 1661130096, 0xfe3366e7, 1735371n], [1735371, 1661130108, 0xb96cbd13, 1677557088n],
      [2990907, 1677557076, 0xb96cbd13, 1677557088n], [2990908, 1677557088, 0xf7f9bc08, 1706655072n], [5187022, 1706655060, 0xf7f9bc08, 1706655072n],
      [5187023, 1706655072, 0x88cf81d9, 1741159776n], [7844466, 1741159764, 0x88cf81d9, 1741159776n], [7844467, 1741159776, 0xed88b5fd, 0n],
      [12000000, 1800000000, 0xed88b5fd, 0n],
    ],
  },
  holesky: {
    net: HOLESKY,
    cap: [0, 1740434112],
    rows: [
      [0, 1696000704, 0xfd4f016b, 1707305664n], [0, 1707305652, 0xfd4f016b, 1707305664n], [894733, 1707305676, 0x9b192ad0, 1740434112n],
      [3655435, 1740434100, 0x9b192ad0, 1740434112n], [3655436, 1740434112, 0xdfbd9bed, 0n], [8000000, 1800000000, 0xdfbd9bed, 0n],
    ],
  },
  hoodi: {
    net: HOODI,
    cap: [0, 1742999832],
    rows: [
      [0, 174221200, 0xbef71d30, 1742999832n], [50000, 1742999820, 0xbef71d30, 1742999832n], [50001, 1742999832, 0x0929e24e, 0n],
      [8000000, 1800000000, 0x0929e24e, 0n],
    ],
  },
};

describe("erigon's published fork ids of mainnet, sepolia, holesky and hoodi (Prague cap)", () => {
  for (const [name, { net, cap, rows }] of Object.entries(ERIGON)) {
    const schedule = capped(net, ...cap);
    it(`${name}: ${rows.length} heads`, () => {
      for (const [head, time, hash, next] of rows) {
        const id = computeForkId(net.genesisHash as Uint8Array, schedule, head, time);
        assert.deepEqual({ head, time, hash: hex(id.hash), next: id.next }, { head, time, hash: hex(be32(hash)), next });
      }
    });
  }
});

describe("@ethereumjs/common's own fork hashes, every scheduled fork up to today's", () => {
  for (const [name, chain] of Object.entries(COMMON_CHAINS)) {
    const net = BUILTIN_NETWORKS[name] as NetworkConfig;
    it(`${name}: the fork hash after each fork is common's`, () => {
      let checked = 0;
      for (const hf of chain.hardforks) {
        if (hf.forkHash === null || hf.forkHash === undefined) continue;
        // A block fork's hash at its block (no time fork reached yet); a time fork's at its time, past every block fork.
        const id = hf.timestamp === undefined
          ? computeForkId(net.genesisHash as Uint8Array, net.forks, hf.block as number, 0)
          : computeForkId(net.genesisHash as Uint8Array, net.forks, 1e9, Number(hf.timestamp));
        assert.equal(hex(id.hash), hf.forkHash, `${name} ${hf.name}`);
        checked++;
      }
      assert.ok(checked >= 4);
    });
  }

  it("mainnet today (after BPO2, 1767747671) announces {0x07c9462e, 0}; a remote still at Prague is told it needs an update", () => {
    const now = computeForkId(MAINNET_GENESIS_HASH, MAINNET.forks, 24_000_000, 1767747671);
    assert.deepEqual({ hash: hex(now.hash), next: now.next }, { hash: '0x07c9462e', next: 0n });
    const stale = checkRemoteForkId(MAINNET_GENESIS_HASH, MAINNET.forks, 24_000_000, 1767747671, { hash: be32(0xc376cf8b), next: 0n });
    assert.equal(stale?.code, 'REMOTE_STALE');
  });
});
