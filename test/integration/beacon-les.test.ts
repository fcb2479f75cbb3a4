/**
 * Beacon light-client data over LES (the "lesp/beacon" extension): anvil, the devnet beacon chain
 * over it with its beacon API, and real LES servers over RLPx on 127.0.0.1 — one relaying that API
 * (`beaconApi`), one without the extension, one relaying an API that serves a negative case. A
 * BeaconAnchor whose only source is LesBeaconSource (no beacon URL on the client side) follows the
 * beacon chain's heads through the relaying server; the server without the extension is never
 * asked; data relayed from the spoiled API is refused by the client's verifier.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { BeaconAnchor, LesBeaconSource } from '../../src/client/chain/index.js';
import { Scheduler } from '../../src/client/scheduler/scheduler.js';
import { ServerPool } from '../../src/client/servers/index.js';
import { DEVNET, type NetworkConfig } from '../../src/config/network.js';
import { type BeaconRestServer, DevnetBeacon, NEGATIVE_CASE_CODE, startBeaconRest } from '../../src/devnet/beacon/index.js';
import type { LesServer } from '../../src/serve/index.js';
import { Code, MAX_BEACON_UPDATES, ProtocolError, decodeGetBeaconLightClient, encodeRlp, encodeUint } from '../../src/wire/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { bytesHex, hexBytes } from '../helpers/beacon-vectors.js';
import { genesisOf, serversIdle, startServers, until } from '../helpers/devnet-stack.js';

describe('beacon light-client data over LES', () => {
  let anvil: Anvil;
  let beacon: DevnetBeacon;
  let rest: BeaconRestServer;
  let spoiled: BeaconRestServer;
  let servers: LesServer[];
  let network: NetworkConfig;
  let genesis: Uint8Array;
  const pools: Array<{ pool: ServerPool; scheduler: Scheduler }> = [];

  async function connect(to: LesServer[]) {
    const pool = new ServerPool({ network, genesisHash: genesis, servers: to.map((s) => ({ enode: s.enode, trusted: false })) });
    const scheduler = new Scheduler({ source: pool });
    pools.push({ pool, scheduler });
    const connected = once(pool, 'connected');
    pool.start();
    await connected;
    await until('every server connected', () => (scheduler.servers().length === to.length ? true : undefined), 10_000);
    return scheduler;
  }
  const asked = (s: LesServer) => s.stats().requests.byCode.GetBeaconLightClient?.served ?? 0;

  before(async () => {
    anvil = await startAnvil();
    await anvil.rpc('anvil_mine', ['0x14']);
    beacon = await DevnetBeacon.create({ call: (m, p) => anvil.rpc(m, p) }, { preset: 'minimal', finalityDelaySlots: 2 });
    beacon.start();
    rest = await startBeaconRest(beacon);
    spoiled = await startBeaconRest(beacon, { negative: 'tampered-block-hash' });
    servers = await startServers(anvil, 3, (i) => (i === 0 ? { beaconApi: rest.url } : i === 2 ? { beaconApi: spoiled.url } : {}));
    await serversIdle(anvil, servers);
    genesis = hexBytes(await genesisOf(anvil));
    network = { ...DEVNET, genesisHash: genesis };
  });

  after(async () => {
    for (const { pool, scheduler } of pools) {
      scheduler.close();
      await pool.close();
    }
    await Promise.all((servers ?? []).map((s) => s.stop()));
    await beacon?.stop();
    await rest?.close();
    await spoiled?.close();
    await anvil?.stop();
  });

  it('a BeaconAnchor with only LES as its source follows the beacon chain; the server without the extension is not asked', async () => {
    const scheduler = await connect([servers[0] as LesServer, servers[1] as LesServer]);
    const caps = new Map(scheduler.servers().map((s) => [s.id, s.caps.beacon === true]));
    assert.deepEqual([...caps.values()].sort(), [false, true], 'one server announced lesp/beacon');
    const source = new LesBeaconSource(scheduler, beacon.config);
    assert.equal(source.available(), true);
    const anchor = new BeaconAnchor({ config: beacon.config, checkpoint: hexBytes(beacon.checkpoint), source });

    await anvil.rpc('anvil_mine', ['0x2']);
    await until('the beacon chain signed block 22', () => (beacon.signed()?.attested.blockNumber === 22 ? true : undefined), 10_000);
    const heads = await anchor.sync();
    const signed = beacon.signed();
    assert.ok(signed !== undefined);
    assert.equal(heads.optimistic.blockNumber, 22);
    assert.equal(bytesHex(heads.optimistic.blockHash), (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x16', false])).hash);
    assert.equal(bytesHex(heads.finalized.blockHash), signed.finalized.blockHash);

    for (let i = 0; i < 3; i++) {
      await anvil.rpc('evm_mine');
      await new Promise((r) => setTimeout(r, 1100));
    }
    await until('the beacon chain signed block 25', () => (beacon.signed()?.attested.blockNumber === 25 ? true : undefined), 10_000);
    const later = await anchor.sync();
    assert.equal(later.optimistic.blockNumber, 25);
    assert.ok(later.finalized.blockNumber > heads.finalized.blockNumber, 'finality moved on');
    assert.equal(anchor.faults().size, 0);
    assert.ok(asked(servers[0] as LesServer) >= 4, `relaying server served ${asked(servers[0] as LesServer)}`);
    assert.equal(asked(servers[1] as LesServer), 0, 'the server without the extension was never asked');
    assert.equal((servers[1] as LesServer).stats().requests.byCode.GetBeaconLightClient, undefined);
  });

  it('data relayed from a beacon node serving a tampered block hash is refused by the client', async () => {
    const scheduler = await connect([servers[2] as LesServer]);
    const source = new LesBeaconSource(scheduler, beacon.config);
    const anchor = new BeaconAnchor({ config: beacon.config, checkpoint: hexBytes(beacon.checkpoint), source });
    const codes: string[] = [];
    anchor.onFault((f) => codes.push(f.error.code));
    await assert.rejects(anchor.sync(), { code: NEGATIVE_CASE_CODE['tampered-block-hash'] });
    assert.ok(codes.length > 0 && codes.every((c) => c === 'BAD_BRANCH'), codes.join());
    assert.equal(bytesHex(anchor.heads?.optimistic.beaconRoot ?? new Uint8Array()), beacon.checkpoint, 'the heads stay at the checkpoint');
    assert.ok(asked(servers[2] as LesServer) >= 1);
  });

  it('a query over the limit is refused by the codec (LIMIT), an unknown kind is malformed', () => {
    const req = (q: unknown) => encodeRlp([encodeUint(1), [q as never]]);
    assert.throws(() => decodeGetBeaconLightClient(req([encodeUint(1), encodeUint(0), encodeUint(MAX_BEACON_UPDATES + 1)])), (e: unknown) => e instanceof ProtocolError && e.code === 'LIMIT');
    assert.throws(() => decodeGetBeaconLightClient(req([encodeUint(7)])), (e: unknown) => e instanceof ProtocolError && e.code === 'MALFORMED');
    assert.equal(Code.GetBeaconLightClient, 0x08);
  });
});
