/**
 * LesProvider in beacon trust mode with real parts: anvil, two LES servers neither of which is
 * trusted (one of them lies), and a small beacon chain (minimal preset) signing anvil's real block
 * hashes, served by two beacon APIs, one honest and one whose updates name a block the committee
 * did not sign. The provider follows anvil's head, answers the `finalized` tag with the beacon
 * chain's finalized block, names the lying beacon source, adopts no head a lying LES server
 * announces, refuses a checkpoint too old at start, and starts again from the root it saved.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { LesProvider } from '../../src/client/provider.js';
import { LesClient, type LesClientOptions } from '../../src/client/engine/index.js';
import type { LesServer } from '../../src/serve/index.js';
import type { BeaconConfig } from '../../src/verify/beacon/index.js';
import { signAnnounce } from '../../src/verify/announce-signature.js';
import { encodeHeader, headerHash } from '../../src/verify/header.js';
import { headerFromRpc } from '../../src/verify/header-rpc.js';
import { Code, encodeAnnounce } from '../../src/wire/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { BeaconOverAnvil, testBeaconConfig } from '../helpers/beacon-anvil.js';
import { type BeaconApiServer, bytesHex, startBeaconApi } from '../helpers/beacon-vectors.js';
import { genesisOf, serversIdle, startServers, until } from '../helpers/devnet-stack.js';
import { Tamperer } from '../helpers/lying-server.js';

type Json = Record<string, unknown>;
const hex = (n: number) => `0x${n.toString(16)}`;

describe('LesProvider in beacon trust mode (no trusted LES server)', () => {
  let anvil: Anvil;
  let servers: LesServer[];
  let liar: LesServer;
  let lying: Tamperer;
  let beacon: BeaconOverAnvil;
  let honestApi: BeaconApiServer;
  let lyingApi: BeaconApiServer;
  let genesis: string;
  const liarKey = secp256k1.utils.randomPrivateKey();
  const datadir = mkdtempSync(join(tmpdir(), 'lesp-beacon-'));

  const blockAt = async (n: number) => anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false]);

  function options(trust: Partial<Extract<LesClientOptions['trust'], { mode: 'beacon' }>> = {}, config: BeaconConfig = beacon.config): LesClientOptions {
    return {
      network: 'devnet',
      genesisHash: genesis,
      servers: servers.map((s) => s.enode),
      timeouts: { startMs: 20_000 },
      trust: { mode: 'beacon', beaconApi: [lyingApi.url, honestApi.url], checkpoint: beacon.root(1), config, pollMs: 200, ...trust },
    };
  }

  before(async () => {
    anvil = await startAnvil();
    await anvil.rpc('anvil_mine', ['0x14']);
    servers = await startServers(anvil, 2, (i) => (i === 1 ? { nodeKey: liarKey } : {}));
    liar = servers[1] as LesServer;
    lying = new Tamperer(liar);
    await serversIdle(anvil, servers);
    genesis = await genesisOf(anvil);
    beacon = new BeaconOverAnvil(anvil);
    await beacon.extendTo(20);
    honestApi = await beacon.serve();
    lyingApi = await beacon.serve('execution-hash');
  });

  after(async () => {
    lying?.uninstall();
    await Promise.all((servers ?? []).map((s) => s.stop()));
    await honestApi?.close();
    await lyingApi?.close();
    await anvil?.stop();
    rmSync(datadir, { recursive: true, force: true });
  });

  it('follows the head the sync committee signed, answers `finalized` with its finalized block, and names the lying beacon source', async () => {
    const provider = new LesProvider({ ...options(), datadir });
    try {
      await provider.start();
      const client = provider.engine as LesClient;
      assert.equal(await provider.getBlockNumber(), 20);
      assert.equal((await provider.getBlock('latest'))?.hash, (await blockAt(20)).hash);

      // The beacon chain's finalized block (8 slots back), not head − finalityDepth.
      const finalized = (await provider.send('eth_getBlockByNumber', ['finalized', false])) as Json;
      assert.equal(finalized.hash, (await blockAt(12)).hash);
      assert.equal(((await provider.send('eth_getBlockByNumber', ['safe', false])) as Json).hash, finalized.hash);
      assert.equal(await provider.send('eth_syncing', []), false);

      const status = client.status();
      assert.equal(status.synced, true, status.reason);
      assert.equal(status.beacon?.optimistic?.blockNumber, 20);
      assert.equal(status.beacon?.finalized?.blockHash, finalized.hash);
      assert.equal(status.trust.configured, 0, 'no LES server trusted');
      // The lying source's updates fail verification; the honest one's heads were taken.
      const liarName = new URL(lyingApi.url).origin;
      assert.ok((status.beacon?.faults[liarName] ?? 0) >= 1, `faults: ${JSON.stringify(status.beacon?.faults)}`);
      assert.equal(status.beacon?.faults[new URL(honestApi.url).origin], undefined);

      // Both chains grow: the provider follows.
      await anvil.rpc('anvil_mine', ['0x5']);
      await serversIdle(anvil, servers);
      await beacon.extendTo(25);
      await until('the provider at 25', async () => ((await provider.getBlockNumber()) === 25 ? true : undefined), 20_000);
      assert.equal((await provider.getBlock(25))?.hash, (await blockAt(25)).hash);
      assert.equal(((await provider.send('eth_getBlockByNumber', ['finalized', false])) as Json).hash, (await blockAt(17)).hash);
    } finally {
      await provider.close();
    }
    const saved = JSON.parse(readFileSync(join(datadir, 'beacon-checkpoint.json'), 'utf8')) as { root: string; slot: number };
    assert.deepEqual(saved, { root: beacon.root(17), slot: 17 });
  });

  it('adopts no head a lying LES server announces: not one beside the beacon chain’s block, not one above it', async () => {
    const client = new LesClient(options());
    try {
      await client.start();
      assert.equal(client.head()?.header.number, 25);
      const real25 = await blockAt(25);
      // A block 25 beside the real one, and a 26 on the real 25, of the liar's making: served by
      // hash, announced with its own key (each with more difficulty, so the pool passes them on).
      const beside = encodeHeader({ ...headerFromRpc(real25), stateRoot: keccak256(Buffer.from('another 25')) });
      const forged = encodeHeader({ ...headerFromRpc(real25), number: 26, parentHash: Buffer.from((real25.hash as string).slice(2), 'hex'), timestamp: Number(real25.timestamp) + 1 });
      for (const h of [beside, forged]) lying.forgedHeaders.set(Buffer.from(headerHash(h)).toString('hex'), h);
      lying.lie = 'forged-block';
      const td = BigInt(liar.stats().head.td);
      const announces = [
        { headHash: headerHash(beside), headNumber: 25, headTd: td + 1n },
        { headHash: headerHash(forged), headNumber: 26, headTd: td + 2n },
      ];
      for (const a of announces) {
        for (const session of liar.service.sessions) session.send(Code.Announce, encodeAnnounce({ ...a, reorgDepth: 0, updates: [], signature: signAnnounce(liarKey, a) }));
      }
      const forgedHex = bytesHex(headerHash(forged));
      await until('the liar’s announces arrived', () => (client.parts?.scheduler.servers().some((s) => bytesHex(s.head.hash) === forgedHex) ? true : undefined));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(bytesHex(client.head()?.hash ?? new Uint8Array()), real25.hash, 'the head stays the beacon chain’s 25');
      assert.equal(client.status().synced, true, client.status().reason);

      // anvil and the beacon chain go on to the real 26: that one is adopted, not the forged one.
      await anvil.rpc('anvil_mine', ['0x1']);
      await serversIdle(anvil, servers);
      await beacon.extendTo(26);
      await until('the client at 26', () => (client.head()?.header.number === 26 ? true : undefined), 20_000);
      assert.equal(bytesHex(client.head()?.hash ?? new Uint8Array()), (await blockAt(26)).hash);
      assert.notEqual(bytesHex(client.head()?.hash ?? new Uint8Array()), forgedHex);
    } finally {
      lying.lie = undefined;
      await client.stop();
    }
  });

  it('starts from the finalized root saved in the datadir when no checkpoint is given', async () => {
    const provider = new LesProvider({ ...options({ checkpoint: undefined }), datadir });
    try {
      await provider.start();
      const client = provider.engine as LesClient;
      assert.equal(client.status().beacon?.checkpoint, beacon.root(17));
      assert.equal(await provider.getBlockNumber(), 26);
    } finally {
      await provider.close();
    }
  });

  it('finalized-only: the head is the beacon chain’s finalized block', async () => {
    const client = new LesClient(options({ finalizedOnly: true }));
    try {
      await client.start();
      assert.equal(bytesHex(client.head()?.hash ?? new Uint8Array()), (await blockAt(18)).hash);
      assert.equal(((await client.request('eth_getBlockByNumber', ['finalized', false])) as Json).hash, (await blockAt(18)).hash);
      assert.equal(client.status().synced, true, client.status().reason);
    } finally {
      await client.stop();
    }
  });

  it('says so in status(), eth_syncing and its reason when no beacon source answers, and recovers', async () => {
    let down = false;
    const honest = beacon.handler();
    const flaky = await startBeaconApi((path) => (down ? { status: 503, json: { code: 503, message: 'syncing' } } : honest(path)));
    const client = new LesClient(options({ beaconApi: [flaky.url] }));
    try {
      await client.start();
      assert.equal(client.status().synced, true, client.status().reason);
      down = true;
      const reason = await until('the anchor’s failed round reported', () => client.status().reason);
      assert.match(reason, /^beacon heads not updated: http:\/\/127\.0\.0\.1:\d+: .*503/);
      assert.equal(client.status().synced, false);
      assert.match(String(client.status().beacon?.error), /503/);
      const syncing = (await client.request('eth_syncing', [])) as Json;
      assert.equal(syncing.highestBlock, hex(client.head()?.header.number ?? -1));
      assert.match(String(syncing.stalled), /503/);
      down = false;
      await until('synced again', () => (client.status().synced ? true : undefined), 10_000);
      assert.equal(await client.request('eth_syncing', []), false);
    } finally {
      await client.stop();
      await flaky.close();
    }
  });

  it('refuses a checkpoint too old to sync from, at start, with one line', async () => {
    const client = new LesClient(options({}, testBeaconConfig({ nowSlot: 40, minEpochsForBlockRequests: 1 })));
    const started = Date.now();
    await assert.rejects(client.start(), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'CHECKPOINT_TOO_OLD');
      assert.match(e.message, /^checkpoint: slot 1 is \d+ slots old; beacon nodes keep light-client data for 1 epochs$/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, 'at once, not at the start timeout');
    await client.stop();
  });

  it('option mistakes are ConfigErrors naming the option', () => {
    const base = options();
    const field = (o: LesClientOptions) => {
      try {
        new LesClient(o);
      } catch (e) {
        return (e as { field?: string }).field;
      }
      return undefined;
    };
    // No URL and no source: the LES servers' relay is the source unless turned off.
    assert.equal(field({ ...base, trust: { mode: 'beacon', checkpoint: beacon.root(1), config: beacon.config } }), undefined);
    assert.equal(field({ ...base, trust: { mode: 'beacon', les: false, checkpoint: beacon.root(1), config: beacon.config } }), 'trust.beaconApi');
    assert.equal(field({ ...base, trust: { mode: 'beacon', les: 'yes' as never, beaconApi: [honestApi.url], checkpoint: beacon.root(1), config: beacon.config } }), 'trust.les');
    assert.equal(field({ ...base, trust: { mode: 'beacon', beaconApi: [honestApi.url], config: beacon.config } }), 'trust.checkpoint');
    assert.equal(field({ ...base, trust: { mode: 'beacon', beaconApi: [honestApi.url], checkpoint: '0x12', config: beacon.config } }), 'trust.checkpoint');
    assert.equal(field({ ...base, trust: { mode: 'beacon', beaconApi: ['ftp://x'], checkpoint: beacon.root(1), config: beacon.config } }), 'trust.beaconApi[0]');
    assert.equal(field({ ...base, trust: { mode: 'beacon', beaconApi: [honestApi.url], checkpoint: beacon.root(1) } }), 'trust.config');
    assert.equal(field({ ...base, trust: { mode: 'other' } as never }), 'trust.mode');
    // Server agreement stays the default: without the beacon, a trusted server is required.
    assert.equal(field({ ...base, trust: undefined }), 'trustedServers');
    assert.equal(field({ ...base, trust: { mode: 'servers' } }), 'trustedServers');
  });
});
