/**
 * The light client at the mainnet preset (512-member committee, 32-slot epochs, 256-epoch
 * periods, Electra gindices), over a synthetic beacon chain built from the spec's definitions:
 * three periods of committee rotation through the anchor and its REST source, the 2/3 boundary
 * at 341 and 342 signers, and what one update costs at this size.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BeaconAnchor } from '../../../src/client/chain/beacon-anchor.js';
import { RestBeaconSource } from '../../../src/client/chain/beacon-rest.js';
import { type BeaconConfig, LightClientStore, MAINNET_PRESET, beaconConfig, periodAtSlot, toBeaconJson } from '../../../src/verify/beacon/index.js';
import { type BeaconApiServer, bytesHex, startBeaconApi } from '../../helpers/beacon-vectors.js';
import { SyntheticBeaconChain } from './synthetic-chain.js';

const v = (x: number) => Uint8Array.of(x, 0, 0, 0x42);
const config: BeaconConfig = beaconConfig({
  preset: MAINNET_PRESET,
  genesisValidatorsRoot: new Uint8Array(32).fill(0x5a),
  forks: [
    { name: 'phase0', version: v(0), epoch: 0n },
    { name: 'altair', version: v(1), epoch: 0n },
    { name: 'bellatrix', version: v(2), epoch: 0n },
    { name: 'capella', version: v(3), epoch: 0n },
    { name: 'deneb', version: v(4), epoch: 0n },
    { name: 'electra', version: v(5), epoch: 0n },
  ],
});

// Blocks (slot → the slot its state has finalized). A period is 8192 slots.
const chain = new SyntheticBeaconChain(config);
const plan: Array<[bigint, bigint | undefined]> = [
  [64n, undefined],
  [4000n, 64n],
  [8100n, 4000n],
  [8292n, 8100n],
  [16192n, 8292n],
  [16484n, 16192n],
  [16884n, 16484n],
  [16888n, 16484n],
];
for (const [slot, fin] of plan) chain.addBlock(slot, fin);
const CHECKPOINT = chain.root(64n);
const NOW = 16890n;
const periodUpdates = [chain.update(8100n, 8101n), chain.update(16192n, 16193n), chain.update(16884n, 16885n)];

const servers: BeaconApiServer[] = [];
after(async () => Promise.all(servers.map((s) => s.close())));

describe('light client at the mainnet preset (synthetic chain)', () => {
  it('follows three periods of committee rotation through the anchor and its REST source', async () => {
    const server = await startBeaconApi((path, q) => {
      const wrap = (kind: Parameters<typeof toBeaconJson>[2], value: unknown) => ({ version: 'electra', data: toBeaconJson(config, 'electra', kind, value as never) });
      if (path === `/eth/v1/beacon/light_client/bootstrap/${bytesHex(CHECKPOINT)}`) return { json: wrap('LightClientBootstrap', chain.bootstrap(64n)) };
      if (path === '/eth/v1/beacon/light_client/updates') {
        const start = BigInt(q.get('start_period') ?? '0');
        const count = BigInt(q.get('count') ?? '1');
        const out = periodUpdates.filter((u) => {
          const p = periodAtSlot(config, u.attested_header.beacon.slot);
          return p >= start && p < start + count;
        });
        return { json: out.map((u) => wrap('LightClientUpdate', u)) };
      }
      if (path === '/eth/v1/beacon/light_client/finality_update') return { json: wrap('LightClientFinalityUpdate', chain.finalityUpdate(16888n, 16889n)) };
      if (path === '/eth/v1/beacon/light_client/optimistic_update') return { json: wrap('LightClientOptimisticUpdate', chain.optimisticUpdate(16888n, 16889n)) };
      return { status: 404, json: {} };
    });
    servers.push(server);
    const anchor = new BeaconAnchor({ config, checkpoint: CHECKPOINT, source: new RestBeaconSource(server.url, config), currentSlot: () => NOW });
    const t = performance.now();
    const heads = await anchor.sync();
    const ms = performance.now() - t;
    assert.equal(heads.finalized.slot, 16484);
    assert.equal(bytesHex(heads.finalized.beaconRoot), bytesHex(chain.root(16484n)));
    assert.equal(heads.optimistic.slot, 16888);
    assert.equal(bytesHex(heads.optimistic.beaconRoot), bytesHex(chain.root(16888n)));
    assert.equal(heads.optimistic.blockNumber, 16888);
    assert.ok(server.requests.includes('/eth/v1/beacon/light_client/updates?start_period=0&count=3'), server.requests.join(' '));
    console.log(`mainnet preset: bootstrap + 3 periods + finality + optimistic in ${ms.toFixed(0)} ms (3 committees of 512 keys decompressed)`);
  });

  it('takes 342 of 512 signers (2/3) and refuses 341, and times one update with known keys', () => {
    const store = () => LightClientStore.initialize(config, CHECKPOINT, chain.bootstrap(64n), { minParticipants: Math.ceil((2 * 512) / 3) });
    const signers = (n: number) => Array.from({ length: 512 }, (_, i) => i < n);
    const s = store();
    assert.throws(() => s.processUpdate(chain.update(8100n, 8101n, signers(341)), NOW), { code: 'TOO_FEW_SIGNERS' });
    s.processUpdate(chain.update(8100n, 8101n, signers(342)), NOW);
    assert.equal(BigInt(s.finalized.slot), 4000n);
    assert.ok(s.nextSyncCommittee !== undefined);

    // Decompress every key of period 0 (all sign), then time updates that reuse them.
    const t0 = performance.now();
    s.processUpdate(chain.update(8100n, 8101n, signers(512)), NOW);
    const first = performance.now() - t0;
    const times: number[] = [];
    for (const n of [400, 450, 500]) {
      const u = chain.update(8100n, 8101n, signers(n));
      const t = performance.now();
      s.processUpdate(u, NOW);
      times.push(performance.now() - t);
    }
    console.log(`mainnet preset: one update: ${first.toFixed(0)} ms while decompressing the rest of the keys, then ${times.map((x) => x.toFixed(0)).join(' / ')} ms`);
  });
});
