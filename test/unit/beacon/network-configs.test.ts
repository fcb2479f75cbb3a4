/**
 * The built-in beacon chain configs of the public testnets. Expected values come from outside this
 * project: Sepolia's Electra fork digest 0x14045b5a (compute_fork_digest of its Electra version and
 * genesis validators root, as a go-ethereum-family test pins it from eth-clients/sepolia's
 * config.yaml, and the first bytes of the fork root a Cairo light-client verifier tabulates), and
 * the genesis times published as MIN_GENESIS_TIME + GENESIS_DELAY in each network's config.yaml.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEACON_CONFIGS, FORK_ORDER, HOLESKY_BEACON_CONFIG, HOODI_BEACON_CONFIG, SEPOLIA_BEACON_CONFIG, forkAtEpoch } from '../../../src/verify/beacon/config.js';
import { computeForkDataRoot } from '../../../src/verify/beacon/signing.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('beacon configs of the public networks', () => {
  it("Sepolia's Electra fork digest is the published 0x14045b5a", () => {
    const electra = forkAtEpoch(SEPOLIA_BEACON_CONFIG, 222464n);
    assert.equal(electra.name, 'electra');
    assert.equal(hex(computeForkDataRoot(electra.version, SEPOLIA_BEACON_CONFIG.genesisValidatorsRoot)).slice(0, 8), '14045b5a');
    assert.equal(forkAtEpoch(SEPOLIA_BEACON_CONFIG, 222463n).name, 'deneb');
  });

  it('genesis times are MIN_GENESIS_TIME + GENESIS_DELAY of each published config', () => {
    assert.equal(SEPOLIA_BEACON_CONFIG.genesisTime, 1655647200 + 86400);
    assert.equal(HOLESKY_BEACON_CONFIG.genesisTime, 1695902100 + 300);
    assert.equal(HOODI_BEACON_CONFIG.genesisTime, 1742212800 + 600);
  });

  it('each names every fork in order with non-decreasing epochs, and is built in by its execution network name', () => {
    for (const [name, c] of Object.entries(BEACON_CONFIGS)) {
      assert.deepEqual(c.forks.map((f) => f.name), [...FORK_ORDER], name);
      for (let i = 1; i < c.forks.length; i++) assert.ok((c.forks[i]?.epoch as bigint) >= (c.forks[i - 1]?.epoch as bigint), `${name} ${c.forks[i]?.name}`);
      assert.equal(c.preset.SYNC_COMMITTEE_SIZE, 512, name);
    }
    assert.deepEqual(Object.keys(BEACON_CONFIGS).sort(), ['holesky', 'hoodi', 'mainnet', 'sepolia']);
  });
});
