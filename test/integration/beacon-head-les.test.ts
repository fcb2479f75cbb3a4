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
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { BeaconOverAnvil, testBeaconConfig } from '../helpers/beacon-anvil.js';
import { type BeaconApiServer, bytesHex, hexBytes } from '../helpers/beacon-vectors.js';
import { genesisOf, serversIdle, startServers, until } from '../helpers/devnet-stack.js';

const config = testBeaconConfig();

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
    const api = await beacon.serve();
    apis.push(api);
    const chain = await HeaderChain.open({ config: network, retriever: scheduler, genesisHash: genesis });
    const anchor = new BeaconAnchor({ config, checkpoint: beacon.chain.root(1n), source: new RestBeaconSource(api.url, config), currentSlot: () => beacon.slot + 2n });
    const tracker = new BeaconHeadTracker(chain, anchor, { finalizedOnly });
    return { chain, anchor, tracker };
  }

  it('adopts the block the sync committee signed, fetched over LES from a server nobody trusts, and follows it', async () => {
    const beacon = new BeaconOverAnvil(anvil, config);
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
    const beacon = new BeaconOverAnvil(anvil, config);
    await beacon.extendTo(20);
    const { chain, anchor, tracker } = await setup(beacon, true);
    await anchor.sync();
    await tracker.adoptTarget();
    assert.equal(chain.head().header.number, 12);
  });

  it('does not adopt a block the beacon chain vouches for that LES cannot serve by its hash', async () => {
    const beacon = new BeaconOverAnvil(anvil, config);
    await beacon.extendTo(20, 20);
    const { chain, anchor, tracker } = await setup(beacon);
    const heads = await anchor.sync();
    assert.equal(bytesHex(heads.optimistic.blockHash), `0x${'ee'.repeat(32)}`, 'the beacon data itself verifies');
    // The server has no such header: the request is left unanswered, not adopted.
    await assert.rejects(tracker.adoptTarget(), { code: 'NO_SERVER' });
    assert.equal(chain.head().header.number, 0);
  });
});
