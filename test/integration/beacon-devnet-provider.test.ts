/**
 * `startDevnet({ beacon })` end to end: the devnet's beacon chain signs anvil's heads and serves
 * them on its beacon API; a LesProvider in beacon mode, trusting none of the devnet's LES servers,
 * follows anvil's head from it, and `eth_getBlockByNumber('finalized')` answers the block the
 * anchor finalized (checked against anvil's own block of that number). The devnet's LES servers
 * relay the beacon chain too (they announce "lesp/beacon").
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LesClient } from '../../src/client/engine/index.js';
import { LesProvider } from '../../src/client/provider.js';
import { type Devnet, startDevnet } from '../../src/devnet/index.js';
import { until } from '../helpers/devnet-stack.js';

type Json = Record<string, string>;

describe('startDevnet({ beacon }) and a LesProvider in beacon mode', () => {
  let devnet: Devnet;
  const node = async <T>(method: string, params: unknown[] = []): Promise<T> => {
    const res = await fetch(devnet.node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
    return ((await res.json()) as { result: T }).result;
  };

  before(async () => {
    devnet = await startDevnet({ servers: 1, beacon: { preset: 'minimal', finalityDelaySlots: 3 } });
  });

  after(async () => {
    await devnet?.stop();
  });

  it('exposes the beacon API, the checkpoint and the config', () => {
    assert.match(devnet.beaconApiUrl ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(devnet.checkpoint ?? '', /^0x[0-9a-f]{64}$/);
    assert.equal(devnet.beaconConfig?.preset.SYNC_COMMITTEE_SIZE, 32);
  });

  it('follows anvil’s head with no trusted LES server; `finalized` is the anchor’s finalized block', async () => {
    const provider = new LesProvider({
      network: devnet.network,
      genesisHash: devnet.genesisHash,
      servers: devnet.servers.map((s) => s.enode),
      timeouts: { startMs: 30_000 },
      trust: { mode: 'beacon', beaconApi: [devnet.beaconApiUrl as string], checkpoint: devnet.checkpoint, config: devnet.beaconConfig, pollMs: 200 },
    });
    try {
      await provider.start();
      const client = provider.engine as LesClient;
      assert.equal(client.status().trust.configured, 0, 'no LES server trusted');
      assert.ok(client.parts?.scheduler.servers().every((s) => s.caps.beacon === true), 'the devnet servers relay the beacon chain (lesp/beacon)');
      // A block a slot: the beacon chain signs each, finality follows three slots behind.
      for (let i = 0; i < 6; i++) {
        await node('evm_mine');
        await new Promise((r) => setTimeout(r, 1000));
      }
      const head = Number(await node<string>('eth_blockNumber'));
      await until('the provider at anvil’s head', async () => ((await provider.getBlockNumber()) === head ? true : undefined), 20_000);
      assert.equal((await provider.getBlock('latest'))?.hash, (await node<Json>('eth_getBlockByNumber', ['latest', false])).hash);

      await until('the anchor finalized a block past the checkpoint', () => ((client.status().beacon?.finalized?.blockNumber ?? 0) > devnet.readyHead ? true : undefined), 20_000);
      const anchored = client.status().beacon?.finalized;
      const finalized = (await provider.send('eth_getBlockByNumber', ['finalized', false])) as Json;
      assert.ok(anchored !== undefined);
      // The anchor may have moved on between the two reads: the answer is the anchor's finalized block then or now.
      const now = client.status().beacon?.finalized;
      assert.ok([anchored.blockHash, now?.blockHash].includes(finalized.hash), `finalized ${finalized.hash}`);
      assert.equal(finalized.hash, (await node<Json>('eth_getBlockByNumber', [finalized.number, false])).hash);
      assert.ok(Number(finalized.number) < head);
    } finally {
      await provider.destroy();
    }
  });

  it('LES servers alone carry beacon trust: no beacon API URL, the anchor fed by their relay (lesp/beacon)', async () => {
    const provider = new LesProvider({
      network: devnet.network,
      genesisHash: devnet.genesisHash,
      servers: devnet.servers.map((s) => s.enode),
      timeouts: { startMs: 30_000 },
      trust: { mode: 'beacon', checkpoint: devnet.checkpoint, config: devnet.beaconConfig, pollMs: 200 },
    });
    try {
      await provider.start();
      const client = provider.engine as LesClient;
      assert.equal(client.status().trust.configured, 0, 'no LES server trusted');
      for (let i = 0; i < 3; i++) {
        await node('evm_mine');
        await new Promise((r) => setTimeout(r, 1000));
      }
      const head = Number(await node<string>('eth_blockNumber'));
      await until('the provider at anvil’s head', async () => ((await provider.getBlockNumber()) === head ? true : undefined), 20_000);
      assert.equal((await provider.getBlock('latest'))?.hash, (await node<Json>('eth_getBlockByNumber', ['latest', false])).hash);
      const status = client.status().beacon;
      assert.ok(status?.optimistic !== undefined && status.optimistic.blockNumber >= head - 1, `the anchor's head ${status?.optimistic?.blockNumber} follows anvil's ${head}`);
      assert.deepEqual(Object.values(status.faults).filter((n) => n > 0), [], 'no source sent data that failed verification');
    } finally {
      await provider.destroy();
    }
  });
});
