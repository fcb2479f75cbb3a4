import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Common } from '@ethereumjs/common';
import { crc32, computeForkId } from '../../../src/config/forkid.js';
import { ConfigError, MAINNET, MAINNET_GENESIS_HASH, parseNetworkConfig } from '../../../src/config/network.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

describe('EIP-2124 fork id', () => {
  it('crc32 matches the IEEE check value', () => {
    assert.equal(crc32(new TextEncoder().encode('123456789')).toString(16), 'cbf43926');
  });

  // Expected side: @ethereumjs/common's own mainnet fork hashes (data it ships, not ours).
  const common = new Common({ chain: 'mainnet' });
  for (const hf of common.hardforks()) {
    if (hf.forkHash === null || hf.forkHash === undefined) continue;
    const at = hf.block ?? 0;
    const time = hf.timestamp === undefined ? 0 : Number(hf.timestamp);
    it(`mainnet ${hf.name} has fork hash ${hf.forkHash}`, () => {
      const id = computeForkId(MAINNET_GENESIS_HASH, MAINNET.forks, hf.block === null ? 20_000_000 : Number(at), time);
      assert.equal(hex(id.hash), hf.forkHash);
    });
  }

  it('reports the next fork', () => {
    const id = computeForkId(MAINNET_GENESIS_HASH, MAINNET.forks, 1_149_999, 0);
    assert.equal(hex(id.hash), '0xfc64ec04');
    assert.equal(id.next, 1_150_000n);
  });
});

describe('network config parsing', () => {
  it('fills from the base network and keeps what the file says', () => {
    const c = parseNetworkConfig({ base: 'mainnet', sectionSize: 64, buildConfirmations: 16, useConfirmations: 16 });
    assert.equal(c.chainId, 1n);
    assert.equal(c.sectionSize, 64);
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
  ];
  for (const [what, input, field] of bad) {
    it(`rejects ${what}, naming ${field}`, () => {
      assert.throws(() => parseNetworkConfig(input), (e: unknown) => e instanceof ConfigError && e.field === field);
    });
  }
});
