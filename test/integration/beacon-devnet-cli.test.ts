/**
 * `lesp devnet --beacon`: the summary names the beacon API and the checkpoint root; the API serves
 * that checkpoint's bootstrap, which verifies (512-key mainnet-preset committee) under the config
 * rebuilt from what the devnet printed (its genesis hash) and what the API says (genesis time),
 * and a finality update that the store accepts; Ctrl-C stops it all.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { devnetBeaconConfig } from '../../src/devnet/beacon/index.js';
import { LightClientStore, fromBeaconJson } from '../../src/verify/beacon/index.js';
import { hexBytes } from '../helpers/beacon-vectors.js';
import { type LespRun, spawnLesp } from '../helpers/lesp-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lesp devnet --beacon', () => {
  let run: LespRun | undefined;
  after(() => {
    if (run !== undefined && run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });

  it('prints the beacon API and the checkpoint; both serve a chain that verifies', async () => {
    run = spawnLesp(['devnet', '--beacon', '--http-port', '0', '--les-port', '0', '--servers', '1', '--sections', '0']);
    for (let i = 0; i < 1200 && !run.stdout().includes('Ctrl-C stops everything.') && run.child.exitCode === null; i++) await sleep(50);
    const out = run.stdout();
    assert.ok(out.includes('Ctrl-C stops everything.'), `no summary; stderr:\n${run.stderr()}`);
    const api = /^Beacon API\s+(http:\/\/127\.0\.0\.1:\d+)\s/m.exec(out)?.[1];
    const checkpoint = /^Checkpoint\s+(0x[0-9a-f]{64})\s/m.exec(out)?.[1];
    const genesis = /^Genesis\s+(0x[0-9a-f]{64})/m.exec(out)?.[1];
    assert.ok(api !== undefined && checkpoint !== undefined && genesis !== undefined, out);

    const get = async (path: string) => {
      const res = await fetch(`${api}${path}`);
      assert.equal(res.status, 200, path);
      return (await res.json()) as { version: string; data: Record<string, string> };
    };
    const g = (await get('/eth/v1/beacon/genesis')).data;
    const config = devnetBeaconConfig({ hash: genesis, timestamp: Number(g.genesis_time) }, 'mainnet');
    assert.equal(g.genesis_validators_root, `0x${Buffer.from(config.genesisValidatorsRoot).toString('hex')}`);
    const boot = await get(`/eth/v1/beacon/light_client/bootstrap/${checkpoint}`);
    const store = LightClientStore.initialize(config, hexBytes(checkpoint), fromBeaconJson(config, 'electra', 'LightClientBootstrap', boot.data));
    assert.equal((boot.data.current_sync_committee as unknown as { pubkeys: string[] }).pubkeys.length, 512);
    const checkpointSlot = store.finalizedHeader.beacon.slot;

    // anvil mines on demand: one transaction-less block, signed at the next slot.
    const node = /^Node RPC\s+(http:\/\/\S+)/m.exec(out)?.[1] as string;
    await fetch(node, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'evm_mine', params: [] }) });
    let finality: { version: string; data: unknown } | undefined;
    for (let i = 0; i < 100 && finality === undefined; i++) {
      const res = await fetch(`${api}/eth/v1/beacon/light_client/finality_update`);
      if (res.status === 200) finality = (await res.json()) as { version: string; data: unknown };
      else await sleep(100);
    }
    assert.ok(finality !== undefined, 'a finality update within 10 s');
    const slot = BigInt(Math.floor(Date.now() / 1000 - Number(g.genesis_time)));
    store.processFinalityUpdate(fromBeaconJson(config, 'electra', 'LightClientFinalityUpdate', finality.data), slot);
    assert.ok(store.optimisticHeader.beacon.slot > checkpointSlot, 'the signed update moved the store past the checkpoint');

    run.child.kill('SIGINT');
    const { code } = await run.exit;
    assert.equal(code, 0, run.stderr());
  });
});
