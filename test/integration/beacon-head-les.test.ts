/**
 * Beacon trust with real parts: anvil, an LES server following it (les/4 over RLPx on 127.0.0.1),
 * and a header chain whose only LES server is NOT trusted. A small beacon chain (minimal preset,
 * 32 deterministic keys) commits to anvil's real block hashes and numbers and is served over the
 * beacon API by a local REST server; the anchor verifies it and the head tracker fetches the
 * anchored block over LES by its hash. A block the beacon chain vouches for that LES cannot serve
 * is not adopted.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { BeaconAnchor, BeaconHeadTracker, HeaderChain, RestBeaconSource } from '../../src/client/chain/index.js';
import { Scheduler } from '../../src/client/scheduler/scheduler.js';
import { ServerPool } from '../../src/client/servers/index.js';
import { DEVNET, type NetworkConfig } from '../../src/config/network.js';
import type { LesServer } from '../../src/serve/index.js';
import { type BeaconConfig, type LightClientUpdate, MINIMAL_PRESET, beaconConfig, toBeaconJson } from '../../src/verify/beacon/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { type BeaconApiServer, bytesHex, hexBytes, startBeaconApi } from '../helpers/beacon-vectors.js';
import { genesisOf, serversIdle, startServers, until } from '../helpers/devnet-stack.js';
import { SyntheticBeaconChain } from '../unit/beacon/synthetic-chain.js';

const v = (x: number) => Uint8Array.of(x, 0, 0, 0x07);
const config: BeaconConfig = beaconConfig({
  preset: MINIMAL_PRESET,
  genesisValidatorsRoot: new Uint8Array(32).fill(0x11),
  forks: [
    { name: 'phase0', version: v(0), epoch: 0n },
    { name: 'capella', version: v(3), epoch: 0n },
    { name: 'deneb', version: v(4), epoch: 0n },
    { name: 'electra', version: v(5), epoch: 0n },
  ],
});

/** Beacon slot s carries anvil block s; its state finalizes the block 8 slots back. */
class BeaconOverAnvil {
  readonly chain = new SyntheticBeaconChain(config);
  latest: LightClientUpdate | undefined;
  slot = 0n;
  constructor(readonly anvil: Anvil) {}

  async extendTo(n: number, fakeHashAt?: number): Promise<void> {
    for (let s = Number(this.slot) + 1; s <= n; s++) {
      const block = await this.anvil.rpc<{ hash: string; number: string }>('eth_getBlockByNumber', [`0x${s.toString(16)}`, false]);
      const hash = s === fakeHashAt ? new Uint8Array(32).fill(0xee) : hexBytes(block.hash);
      this.chain.addBlock(BigInt(s), s === 1 ? undefined : BigInt(Math.max(1, s - 8)), { block_hash: hash, block_number: BigInt(s) });
    }
    this.slot = BigInt(n);
    this.latest = this.chain.update(this.slot, this.slot + 1n);
  }

  handler = (path: string) => {
    const wrap = (kind: Parameters<typeof toBeaconJson>[2], value: unknown) => ({ version: 'electra', data: toBeaconJson(config, 'electra', kind, value as never) });
    const u = this.latest as LightClientUpdate;
    if (path === `/eth/v1/beacon/light_client/bootstrap/${bytesHex(this.chain.root(1n))}`) return { json: wrap('LightClientBootstrap', this.chain.bootstrap(1n)) };
    if (path === '/eth/v1/beacon/light_client/updates') return { json: [wrap('LightClientUpdate', u)] };
    if (path === '/eth/v1/beacon/light_client/finality_update') return { json: wrap('LightClientFinalityUpdate', this.chain.finalityUpdate(this.slot, this.slot + 1n)) };
    if (path === '/eth/v1/beacon/light_client/optimistic_update') return { json: wrap('LightClientOptimisticUpdate', this.chain.optimisticUpdate(this.slot, this.slot + 1n)) };
    return { status: 404, json: {} };
  };
}

describe('beacon trust over real LES (anvil, an untrusted LES server)', () => {
  let anvil: Anvil;
  let servers: LesServer[];
  let pool: ServerPool;
  let scheduler: Scheduler;
  let network: NetworkConfig;
  let genesis: Uint8Array;
  const apis: BeaconApiServer[] = [];

  before(async () => {
    anvil = await startAnvil();
    for (let i = 0; i < 20; i++) await anvil.rpc('evm_mine');
    servers = await startServers(anvil, 1);
    await serversIdle(anvil, servers);
    genesis = hexBytes(await genesisOf(anvil));
    network = { ...DEVNET, genesisHash: genesis };
    pool = new ServerPool({ network, genesisHash: genesis, servers: [{ enode: (servers[0] as LesServer).enode, trusted: false }] });
    scheduler = new Scheduler({ source: pool });
    const connected = once(pool, 'connected');
    pool.start();
    await connected;
  });

  after(async () => {
    scheduler?.close();
    await pool?.close();
    await Promise.all((servers ?? []).map((s) => s.stop()));
    await Promise.all(apis.map((a) => a.close()));
    await anvil?.stop();
  });

  async function setup(beacon: BeaconOverAnvil, finalizedOnly = false) {
    const api = await startBeaconApi(beacon.handler);
    apis.push(api);
    const chain = await HeaderChain.open({ config: network, retriever: scheduler, genesisHash: genesis });
    const anchor = new BeaconAnchor({ config, checkpoint: beacon.chain.root(1n), source: new RestBeaconSource(api.url, config), currentSlot: () => beacon.slot + 2n });
    const tracker = new BeaconHeadTracker(chain, anchor, { finalizedOnly });
    return { chain, anchor, tracker };
  }

  it('adopts the block the sync committee signed, fetched over LES from a server nobody trusts, and follows it', async () => {
    const beacon = new BeaconOverAnvil(anvil);
    await beacon.extendTo(20);
    const { chain, anchor, tracker } = await setup(beacon);
    assert.equal(chain.head().header.number, 0);
    tracker.start();
    const heads = await anchor.sync();
    assert.equal(heads.optimistic.blockNumber, 20);
    await until('the anchored head', () => (chain.head().header.number === 20 ? true : undefined), 20_000);
    const anvil20 = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x14', false]);
    assert.equal(bytesHex(chain.head().hash), anvil20.hash);
    assert.equal(tracker.finalized()?.blockNumber, 12);
    for (const n of [1, 12, 19]) {
      const b = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
      assert.equal(bytesHex((await chain.headerByNumber(n)).hash), b.hash, `block ${n} linked by parent hashes`);
    }

    // The chain grows; the beacon chain signs the new head; the tracker follows.
    for (let i = 0; i < 5; i++) await anvil.rpc('evm_mine');
    await serversIdle(anvil, servers);
    await beacon.extendTo(25);
    await anchor.sync();
    await until('the next anchored head', () => (chain.head().header.number === 25 ? true : undefined), 20_000);
    tracker.stop();
  });

  it('finalized-only mode adopts the finalized block', async () => {
    const beacon = new BeaconOverAnvil(anvil);
    await beacon.extendTo(20);
    const { chain, anchor, tracker } = await setup(beacon, true);
    await anchor.sync();
    await tracker.adoptTarget();
    assert.equal(chain.head().header.number, 12);
  });

  it('does not adopt a block the beacon chain vouches for that LES cannot serve by its hash', async () => {
    const beacon = new BeaconOverAnvil(anvil);
    await beacon.extendTo(20, 20);
    const { chain, anchor, tracker } = await setup(beacon);
    const heads = await anchor.sync();
    assert.equal(bytesHex(heads.optimistic.blockHash), `0x${'ee'.repeat(32)}`, 'the beacon data itself verifies');
    // The server has no such header: the request is left unanswered, not adopted.
    await assert.rejects(tracker.adoptTarget(), { code: 'NO_SERVER' });
    assert.equal(chain.head().header.number, 0);
  });
});
