// Named networks (parameters from @ethereumjs/common), the EVM rules chosen per block, network
// files, and the forkID check in the LES Status handshake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMMON_CHAINS } from '../../../src/config/chains.js';
import {
  BUILTIN_NETWORKS, ConfigError, DEVNET, HOLESKY, HOODI, MAINNET, type NetworkConfig, SEPOLIA, forkFilterFor, forkIdAt, hardforkAt,
  parseNetworkConfig,
} from '../../../src/config/network.js';
import { HandshakeError } from '../../../src/net/errors.js';
import { LesPeer, type PeerCloseInfo } from '../../../src/net/peer.js';
import { fakePair } from '../net/fake-transport.js';
import { clientStatus, serverStatus } from '../net/fixtures.js';
import { ethjs } from '../../../src/client/evm/ethjs.js';
import { resolveNetwork } from '../../../src/client/engine/options.js';
import { lightClientStatus } from '../../../src/client/servers/status.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

describe('named networks', () => {
  // Chain ids as registered (EIP-155; chainid.network) and genesis hashes as go-ethereum's
  // params/config.go publishes them.
  const published: Array<[NetworkConfig, bigint, string]> = [
    [MAINNET, 1n, '0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3'],
    [SEPOLIA, 11155111n, '0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9'],
    [HOLESKY, 17000n, '0xb5f7f912443c940f21fd611f12828d75b534364ed9e95ca4e307729a4661bde4'],
    [HOODI, 560048n, '0xbbe312868b376a3001692a646dd2d7d1e4406380dfd86b98aa8a34d1557c971b'],
  ];
  for (const [net, chainId, genesis] of published) {
    it(`${net.name}: chain and network id ${chainId}, genesis ${genesis.slice(0, 10)}…, mainnet's section parameters`, () => {
      assert.equal(BUILTIN_NETWORKS[net.name], net);
      assert.equal(net.chainId, chainId);
      assert.equal(net.networkId, chainId);
      assert.equal(hex(net.genesisHash as Uint8Array), genesis);
      assert.deepEqual([net.sectionSize, net.buildConfirmations, net.useConfirmations], [32768, 256, 2048]);
    });
  }

  it('the devnet stays built in: no genesis (learned from its node), no fork schedule, prague, small sections', () => {
    assert.equal(BUILTIN_NETWORKS.devnet, DEVNET);
    assert.equal(DEVNET.genesisHash, undefined);
    assert.deepEqual([DEVNET.forks.blocks, DEVNET.forks.timestamps, DEVNET.hardfork, DEVNET.sectionSize], [[], [], 'prague', 64]);
  });

  it("mainnet's fork schedule is go-ethereum's fork id list: EIP-2124's blocks then the timestamp forks, the merge not counted", () => {
    assert.deepEqual(MAINNET.forks.blocks, [1150000, 1920000, 2463000, 2675000, 4370000, 7280000, 9069000, 9200000, 12244000, 12965000, 13773000, 15050000]);
    assert.deepEqual(MAINNET.forks.timestamps.slice(0, 3), [1681338455, 1710338135, 1746612311]);
  });
});

describe('the library option', () => {
  it("network: 'hoodi' is the built-in, a mistyped name is a ConfigError listing the names", () => {
    assert.equal(resolveNetwork({ network: 'hoodi' }).chainId, 560048n);
    assert.equal(resolveNetwork({}).name, 'mainnet');
    assert.throws(() => resolveNetwork({ network: 'hoodie' }), (e: unknown) => e instanceof ConfigError && /mainnet, sepolia, holesky, hoodi, devnet/.test(e.message));
  });

  it("an unsynced sepolia client's Status: network id, genesis and the published fork id {0xfe3366e7, 1735371}", () => {
    const genesis = SEPOLIA.genesisHash as Uint8Array;
    const s = lightClientStatus(SEPOLIA, genesis, { hash: genesis, number: 0, td: 0n, time: 0 }, 1);
    assert.deepEqual([s.networkId, hex(s.genesisHash), hex(s.forkID?.hash as Uint8Array), s.forkID?.next], [11155111n, hex(genesis), '0xfe3366e7', 1735371n]);
  });
});

describe('EVM rules per block agree with @ethereumjs/common on both sides of every fork', async () => {
  const { common } = await ethjs();
  for (const [name, chain] of Object.entries(COMMON_CHAINS)) {
    const net = BUILTIN_NETWORKS[name] as NetworkConfig;
    it(`${name}: ${(net.hardforks ?? []).length} scheduled forks`, () => {
      const c = new common.Common({ chain: chain as unknown as Record<string, unknown> }) as unknown as {
        getHardforkBy(o: { blockNumber?: bigint; timestamp?: bigint }): string;
      };
      // A block past every block fork, for the time-based ones.
      const lateBlock = 1_000_000_000n;
      let compared = 0;
      for (const hf of net.hardforks ?? []) {
        const sides: Array<[bigint, bigint]> =
          hf.timestamp !== undefined
            ? [[lateBlock, BigInt(hf.timestamp) - 1n], [lateBlock, BigInt(hf.timestamp)]]
            : [[BigInt(hf.block as number) - 1n, 0n], [BigInt(hf.block as number), 0n]];
        for (const [n, t] of sides) {
          if (n < 0n || t < 0n) continue;
          assert.equal(hardforkAt(net, n, t), c.getHardforkBy({ blockNumber: n, timestamp: t }), `${name} block ${n} time ${t}`);
          compared++;
        }
      }
      assert.ok(compared >= 4);
    });
  }
});

describe('network files', () => {
  it('fill from the base network and keep what the file says', () => {
    const c = parseNetworkConfig({ base: 'mainnet', sectionSize: 64, buildConfirmations: 16, useConfirmations: 16 });
    assert.equal(c.chainId, 1n);
    assert.equal(c.sectionSize, 64);
    assert.equal(c.hardforks, MAINNET.hardforks);
  });

  it('take any built-in as base, sepolia included', () => {
    const c = parseNetworkConfig({ base: 'sepolia', name: 'my-sepolia' });
    assert.deepEqual([c.name, c.chainId, hex(c.genesisHash as Uint8Array)], ['my-sepolia', 11155111n, hex(SEPOLIA.genesisHash as Uint8Array)]);
  });

  it('a hardforks list sets the rules per block; hardfork alone pins every block', () => {
    const c = parseNetworkConfig({ hardforks: [{ name: 'london', block: 0 }, { name: 'shanghai', timestamp: '0x64' }, { name: 'bpo1', timestamp: 200 }] });
    assert.deepEqual([hardforkAt(c, 5, 99), hardforkAt(c, 5, 100), hardforkAt(c, 5, 250), c.hardfork], ['london', 'shanghai', 'bpo1', 'bpo1']);
    const pinned = parseNetworkConfig({ base: 'mainnet', hardfork: 'cancun' });
    assert.deepEqual([pinned.hardforks, hardforkAt(pinned, 0, 0)], [undefined, 'cancun']);
  });

  const bad: Array<[string, unknown, string]> = [
    ['an unknown key', { sectoinSize: 1 }, 'sectoinSize'],
    ['a short genesis hash', { genesisHash: '0x1234' }, 'genesisHash'],
    ['a negative section size', { sectionSize: -1 }, 'sectionSize'],
    ['a fractional confirmation count', { buildConfirmations: 1.5 }, 'buildConfirmations'],
    ['use below build confirmations', { buildConfirmations: 32, useConfirmations: 8 }, 'useConfirmations'],
    ['a threshold above the signer count', { checkpointOracle: { address: '0x' + '11'.repeat(20), signers: ['0x' + '22'.repeat(20)], threshold: 2 } }, 'checkpointOracle.threshold'],
    ['an unknown base', { base: 'ropsten' }, 'base'],
    ['not an object', [1, 2], 'network'],
    ['a hardfork entry with both block and timestamp', { hardforks: [{ name: 'london', block: 0, timestamp: 1 }] }, 'hardforks[0]'],
    ['hardforks out of order', { hardforks: [{ name: 'berlin', block: 10 }, { name: 'london', block: 5 }] }, 'hardforks[1].block'],
    ['a block fork after a time fork', { hardforks: [{ name: 'shanghai', timestamp: 10 }, { name: 'london', block: 5 }] }, 'hardforks[1].block'],
    ['a hardfork name with punctuation', { hardfork: 'pra-gue' }, 'hardfork'],
  ];
  for (const [what, input, field] of bad) {
    it(`rejects ${what}, naming ${field}`, () => {
      assert.throws(() => parseNetworkConfig(input), (e: unknown) => e instanceof ConfigError && e.field === field);
    });
  }
});

describe('the Status handshake checks the remote forkID (EIP-2124)', () => {
  const genesis = MAINNET.genesisHash as Uint8Array;
  /** A mainnet server at (number, time) meets a client whose Status carries `forkID`. */
  async function meet(server: { number: number; time: number }, forkID: { hash: Uint8Array; next: bigint }) {
    const [ct, st] = fakePair(4);
    const filter = forkFilterFor(MAINNET, () => genesis, () => server);
    const srv = new LesPeer(st, { role: 'server', status: serverStatus({ forkID: forkIdAt(MAINNET, genesis, server.number, server.time) }), forkFilter: filter });
    const cli = new LesPeer(ct, { role: 'client', status: clientStatus({ forkID }) });
    const closed = new Promise<PeerCloseInfo>((r) => srv.once('close', r));
    const [s, c] = await Promise.allSettled([srv.start(), cli.start()]);
    return { s, c, st, closed };
  }

  it('connects a client whose forkID is ours, and one still syncing from genesis (a subset with the right next fork)', async () => {
    const today = { number: 24_000_000, time: 1767747671 };
    const same = await meet(today, forkIdAt(MAINNET, genesis, today.number, today.time));
    assert.equal(same.s.status, 'fulfilled');
    const syncing = await meet(today, forkIdAt(MAINNET, genesis, 0, 0));
    assert.equal(syncing.s.status, 'fulfilled');
  });

  it('refuses a client stuck at Prague after Osaka with one typed line naming both fork ids, as useless peer', async () => {
    const today = { number: 24_000_000, time: 1767747671 };
    const { s, st, closed } = await meet(today, { hash: Uint8Array.from([0xc3, 0x76, 0xcf, 0x8b]), next: 0n });
    assert.equal(s.status, 'rejected');
    const err = (s as PromiseRejectedResult).reason as HandshakeError;
    assert.ok(err instanceof HandshakeError);
    assert.equal(err.code, 'FORKID_REJECTED');
    assert.equal(err.field, 'forkID');
    assert.ok(!err.message.includes('\n'));
    assert.match(err.message, /remote needs update.*remote 0xc376cf8b next 0, ours 0x07c9462e next 0/);
    assert.deepEqual(st.disconnects, [0x03]);
    assert.equal((await closed).error, err);
  });

  it('refuses a client of another chain with the same genesis (a fork hash none of ours)', async () => {
    const { s } = await meet({ number: 24_000_000, time: 1767747671 }, { hash: Uint8Array.from([0x12, 0x34, 0x56, 0x78]), next: 0n });
    const err = (s as PromiseRejectedResult).reason as HandshakeError;
    assert.equal(err.code, 'FORKID_REJECTED');
    assert.match(err.message, /local incompatible or needs update.*none of our chain's/);
  });
});
