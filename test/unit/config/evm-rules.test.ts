// The local EVM runs each call under the fork live at its block: an opcode introduced by a fork
// is invalid on the last block before it and works on its first block, by block number for the
// early forks and by timestamp for the later ones (mainnet's schedule from @ethereumjs/common).
// The block numbers and times of the Shanghai, Cancun and Prague boundaries are real mainnet
// blocks, as erigon's p2p/forkid/forkid_test.go lists them (erigontech/erigon, TestCreation).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VerifiedHeader } from '../../../src/client/contracts.js';
import { EvmCall } from '../../../src/client/evm/index.js';
import type { StateOdr } from '../../../src/client/evm/fetch.js';
import { DEVNET, MAINNET, SEPOLIA, hardforkAt } from '../../../src/config/network.js';
import { headerFromRpc } from '../../../src/verify/header-rpc.js';

const z = (bytes: number): string => `0x${'00'.repeat(bytes)}`;
const qty = (n: number): string => `0x${n.toString(16)}`;

function header(number: number, timestamp: number): VerifiedHeader {
  return {
    header: headerFromRpc({
      parentHash: z(32), sha3Uncles: z(32), miner: z(20), stateRoot: z(32), transactionsRoot: z(32), receiptsRoot: z(32),
      logsBloom: z(256), difficulty: '0x0', number: qty(number), gasLimit: '0x1c9c380', gasUsed: '0x0', timestamp: qty(timestamp),
      extraData: '0x', mixHash: z(32), nonce: z(8), baseFeePerGas: '0x0', withdrawalsRoot: z(32), blobGasUsed: '0x0',
      excessBlobGas: '0x0', parentBeaconBlockRoot: z(32), requestsHash: z(32),
    }),
    hash: new Uint8Array(32).fill(number & 0xff),
    rlp: new Uint8Array(0),
  };
}

// Every account absent, every slot zero: the contract under test comes as a state override.
const odr: StateOdr = {
  account: async () => null,
  code: async () => new Uint8Array(0),
  storage: async () => new Uint8Array(32),
} as unknown as StateOdr;
const chain = { head: () => header(0, 0), headerByNumber: async (n: number) => header(n, 0) } as never;

const TARGET = '0x00000000000000000000000000000000000c0de0';

function evmFor(network: typeof MAINNET): EvmCall {
  return new EvmCall({ odr, chain, chainId: network.chainId, hardfork: network.hardfork, hardforks: network.hardforks });
}

/** eth_call of `code` at (number, time): 'ok' or the EVM's error. */
async function run(evm: EvmCall, code: string, number: number, time: number): Promise<string> {
  try {
    await evm.request('eth_call', [{ to: TARGET, gas: '0x100000' }, 'latest', { [TARGET]: { code } }], header(number, time));
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

// Each opcode with the operands it pops, then POP (if it pushes) and STOP.
const CASES: Array<{ op: string; code: string; fork: string; last: [number, number]; first: [number, number] }> = [
  { op: 'RETURNDATASIZE (0x3d)', code: '0x3d5000', fork: 'byzantium', last: [4_369_999, 1508131303], first: [4_370_000, 1508131331] },
  // Constantinople and Petersburg share their block on mainnet: the later one's rules apply.
  { op: 'SHL (0x1b)', code: '0x600160011b5000', fork: 'petersburg', last: [7_279_999, 1551383501], first: [7_280_000, 1551383524] },
  { op: 'CHAINID (0x46)', code: '0x465000', fork: 'istanbul', last: [9_068_999, 1575764708], first: [9_069_000, 1575764709] },
  { op: 'BASEFEE (0x48)', code: '0x485000', fork: 'london', last: [12_964_999, 1628166812], first: [12_965_000, 1628166822] },
  { op: 'PUSH0 (0x5f)', code: '0x5f5000', fork: 'shanghai', last: [17_034_869, 1681338443], first: [17_034_870, 1681338479] },
  { op: 'MCOPY (0x5e)', code: '0x6000600060005e00', fork: 'cancun', last: [19_426_586, 1710338123], first: [19_426_587, 1710338135] },
  // Osaka's boundary by its published time (mainnet block numbers there are not in our sources).
  { op: 'CLZ (0x1e)', code: '0x60011e5000', fork: 'osaka', last: [23_900_000, 1764798550], first: [23_900_001, 1764798551] },
];

describe('eth_call runs under the fork live at its block (mainnet)', () => {
  const evm = evmFor(MAINNET);
  for (const c of CASES) {
    it(`${c.op}: invalid on the last block before ${c.fork}, runs on its first`, async () => {
      assert.equal(await run(evm, c.code, ...c.last), 'invalid opcode');
      assert.equal(await run(evm, c.code, ...c.first), 'ok');
      assert.equal(hardforkAt(MAINNET, ...c.first), c.fork);
    });
  }

  it("block overrides move the rules with the block: PUSH0 at a pre-Shanghai header whose time is overridden to Shanghai's", async () => {
    const code = '0x5f5000';
    const h = header(17_034_869, 1681338443);
    const call = (overrides?: object) => evm.request('eth_call', [{ to: TARGET }, 'latest', { [TARGET]: { code } }, overrides], h).then(() => 'ok', (e: Error) => e.message);
    assert.equal(await call(), 'invalid opcode');
    assert.equal(await call({ time: qty(1681338479), number: qty(17_034_870) }), 'ok');
  });

  it('precompiles follow the block: BLS12-381 (0x0b) from prague, not on the last cancun block', async () => {
    // Mainnet's Prague time (common) and erigon's last Cancun / first Prague blocks.
    const cancun = await evm.executor.precompiles(header(22_432_453, 1746612299));
    const prague = await evm.executor.precompiles(header(22_432_454, 1746612311));
    const bls = '000000000000000000000000000000000000000b';
    assert.equal(cancun.includes(bls), false);
    assert.equal(prague.includes(bls), true);
  });

  it('eth_estimateGas prices a call by its block: a 4-byte-calldata call costs the same, an access-list-free transfer 21000 anywhere', async () => {
    const at = (n: number, t: number) =>
      evm.request('eth_estimateGas', [{ to: TARGET, data: '0x00000001' }, 'latest', { [TARGET]: { code: '0x00' } }], header(n, t));
    // EIP-2028 (istanbul) lowered non-zero calldata bytes from 68 to 16 gas: 21000 + 3*4 + 68 before, + 16 after.
    assert.equal(await at(9_068_999, 1575764708), `0x${(21000 + 3 * 4 + 68).toString(16)}`);
    assert.equal(await at(9_069_000, 1575764709), `0x${(21000 + 3 * 4 + 16).toString(16)}`);
  });
});

describe('other networks and the devnet', () => {
  it('sepolia: PUSH0 by its own Shanghai time (1677557088), not mainnet\'s', async () => {
    const evm = evmFor(SEPOLIA);
    assert.equal(await run(evm, '0x5f5000', 2_990_907, 1677557076), 'invalid opcode');
    assert.equal(await run(evm, '0x5f5000', 2_990_908, 1677557088), 'ok');
  });

  it('the devnet has no schedule: every block runs under its one fork (prague), block 0 included', async () => {
    const evm = evmFor(DEVNET);
    assert.equal(hardforkAt(DEVNET, 0, 0), 'prague');
    assert.equal(await run(evm, '0x6000600060005e00', 0, 0), 'ok');
  });
});
