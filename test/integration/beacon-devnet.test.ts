/**
 * The devnet beacon chain over a real anvil: its slots follow the wall clock from anvil's genesis
 * timestamp, each block carries anvil's real head (hash and number), a real sync committee signs it
 * and a local beacon API serves the light-client data. A BeaconAnchor reading it over REST (the
 * client's own RestBeaconSource) follows anvil's head and finalizes older blocks; every negative
 * case generated from the same chain is refused with the check that catches it, and the anchor's
 * heads do not move on it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BeaconAnchor, RestBeaconSource } from '../../src/client/chain/index.js';
import { DevnetBeacon, NEGATIVE_CASES, NEGATIVE_CASE_CODE, type BeaconRestServer, negativeUpdates, startBeaconRest } from '../../src/devnet/beacon/index.js';
import { LightClientStore } from '../../src/verify/beacon/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { bytesHex, hexBytes } from '../helpers/beacon-vectors.js';
import { until } from '../helpers/devnet-stack.js';

describe('the devnet beacon chain (minimal preset) over anvil', () => {
  let anvil: Anvil;
  let beacon: DevnetBeacon;
  let rest: BeaconRestServer;
  const node = () => ({ call: <T>(m: string, p: unknown[] = []) => anvil.rpc<T>(m, p) });
  const block = (n: number) => anvil.rpc<{ hash: string; timestamp: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);

  before(async () => {
    anvil = await startAnvil();
    await anvil.rpc('anvil_mine', ['0x5']);
    beacon = await DevnetBeacon.create(node(), { preset: 'minimal', finalityDelaySlots: 2 });
    beacon.start();
    rest = await startBeaconRest(beacon);
  });

  after(async () => {
    await beacon?.stop();
    await rest?.close();
    await anvil?.stop();
  });

  it('slots count from anvil’s genesis timestamp; the first block carries anvil’s head and is the checkpoint', async () => {
    assert.equal(beacon.config.genesisTime, Number((await block(0)).timestamp));
    assert.equal(beacon.config.preset.SYNC_COMMITTEE_SIZE, 32);
    const first = beacon.bootstrap(beacon.checkpoint);
    assert.ok(first !== undefined);
    assert.equal(Number(first.header.execution.block_number), 5);
    assert.equal(bytesHex(first.header.execution.block_hash), (await block(5)).hash);
  });

  it('a BeaconAnchor over its REST API follows anvil’s head and finalizes an older block of it', async () => {
    const anchor = new BeaconAnchor({ config: beacon.config, checkpoint: hexBytes(beacon.checkpoint), source: new RestBeaconSource(rest.url, beacon.config) });
    await anvil.rpc('anvil_mine', ['0x3']);
    await until('the signed head at 8', () => (beacon.signed()?.attested.blockNumber === 8 ? true : undefined), 10_000);
    const heads = await anchor.sync();
    assert.equal(heads.optimistic.blockNumber, 8);
    assert.equal(bytesHex(heads.optimistic.blockHash), (await block(8)).hash);
    // Mine a block a slot for a few slots: the finalized head moves onto anvil's blocks.
    for (let i = 0; i < 4; i++) {
      await anvil.rpc('evm_mine');
      await new Promise((r) => setTimeout(r, 1100));
    }
    await until('the signed head at 12', () => (beacon.signed()?.attested.blockNumber === 12 ? true : undefined), 10_000);
    const later = await anchor.sync();
    assert.equal(later.optimistic.blockNumber, 12);
    assert.equal(bytesHex(later.optimistic.blockHash), (await block(12)).hash);
    assert.ok(later.finalized.blockNumber > 8 && later.finalized.blockNumber < 12, `finalized ${later.finalized.blockNumber}`);
    assert.equal(bytesHex(later.finalized.blockHash), (await block(later.finalized.blockNumber)).hash);
  });

  it('every negative case is refused by the verifier with the check that catches it', () => {
    const u = beacon.finalityUpdate();
    assert.ok(u !== undefined);
    const attested = u.attested_header.beacon.slot;
    for (const which of NEGATIVE_CASES) {
      const bad = negativeUpdates(beacon.chain, which, attested, u.signature_slot);
      const honest = () => LightClientStore.initialize(beacon.config, hexBytes(beacon.checkpoint), beacon.bootstrap(beacon.checkpoint) as never, { minParticipants: 22 });
      for (const [kind, run] of [
        ['update', (s: LightClientStore) => s.processUpdate(bad.update, beacon.currentSlot())],
        ['finality', (s: LightClientStore) => s.processFinalityUpdate(bad.finality, beacon.currentSlot())],
        ['optimistic', (s: LightClientStore) => s.processOptimisticUpdate(bad.optimistic, beacon.currentSlot())],
      ] as const) {
        assert.throws(() => run(honest()), { code: NEGATIVE_CASE_CODE[which] }, `${which} ${kind}`);
      }
    }
  });

  for (const which of NEGATIVE_CASES) {
    it(`an anchor whose only source serves ${which} keeps its checkpoint heads and names the source`, async () => {
      const bad = await startBeaconRest(beacon, { negative: which });
      try {
        const source = new RestBeaconSource(bad.url, beacon.config);
        const anchor = new BeaconAnchor({ config: beacon.config, checkpoint: hexBytes(beacon.checkpoint), source });
        const codes: string[] = [];
        anchor.onFault((f) => codes.push(f.error.code));
        await assert.rejects(anchor.sync(), { code: NEGATIVE_CASE_CODE[which] });
        assert.ok(codes.length > 0 && codes.every((c) => c === NEGATIVE_CASE_CODE[which]), codes.join());
        assert.equal(anchor.heads?.optimistic.beaconRoot === undefined ? undefined : bytesHex(anchor.heads.optimistic.beaconRoot), beacon.checkpoint);
        assert.equal(anchor.faults().get(source.name), codes.length);
      } finally {
        await bad.close();
      }
    });
  }
});

describe('the devnet beacon chain across a sync-committee period', () => {
  let anvil: Anvil;
  let beacon: DevnetBeacon;
  let rest: BeaconRestServer;

  before(async () => {
    // A genesis 58 s ago: slot 58 now, period 1 (minimal: 64 slots) begins in about 6 s.
    anvil = await startAnvil({ args: ['--timestamp', String(Math.floor(Date.now() / 1000) - 58)] });
    await anvil.rpc('evm_mine');
    beacon = await DevnetBeacon.create({ call: (m, p) => anvil.rpc(m, p) }, { preset: 'minimal', finalityDelaySlots: 2 });
    beacon.start();
    rest = await startBeaconRest(beacon);
  });

  after(async () => {
    await beacon?.stop();
    await rest?.close();
    await anvil?.stop();
  });

  it('the next committee takes over: an anchor bootstrapped in period 0 follows heads signed by period 1’s committee', async () => {
    const anchor = new BeaconAnchor({ config: beacon.config, checkpoint: hexBytes(beacon.checkpoint), source: new RestBeaconSource(rest.url, beacon.config) });
    const start = beacon.bootstrap(beacon.checkpoint)?.header.beacon.slot ?? 0n;
    assert.ok(start < 64n, `checkpoint at slot ${start}, in period 0`);
    await until('a block mined and signed', async () => {
      await anvil.rpc('evm_mine');
      return beacon.signed() !== undefined ? true : undefined;
    }, 10_000);
    await anchor.sync();
    // A block a second until the finalized block is in period 1.
    await until('finality in period 1', async () => {
      await anvil.rpc('evm_mine');
      await new Promise((r) => setTimeout(r, 1000));
      return (beacon.signed()?.finalized.slot ?? 0n) >= 66n ? true : undefined;
    }, 30_000);
    const heads = await anchor.sync();
    assert.ok(heads.finalized.slot >= 64n, `finalized slot ${heads.finalized.slot}`);
    assert.ok(heads.optimistic.slot > heads.finalized.slot);
    assert.equal(bytesHex(heads.optimistic.blockHash), beacon.signed()?.attested.blockHash);
    // Period 1's update is signed by period 1's committee and names period 2's: the keys rotate.
    const [u1] = beacon.updates(1n, 1);
    assert.ok(u1 !== undefined);
    assert.deepEqual(u1.next_sync_committee.pubkeys[0], beacon.chain.committee(2n).pubkeys[0]);
    assert.notDeepEqual(beacon.chain.committee(1n).pubkeys[0], beacon.chain.committee(0n).pubkeys[0]);
    assert.equal(anchor.faults().size, 0);
  });
});
