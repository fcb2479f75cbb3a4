/**
 * Hostile light-client data: mutated SSZ bytes and mutated beacon-API JSON of real vector updates.
 * Each is either refused with a one-line BeaconError or decodes to something the store then
 * accepts or refuses with a BeaconError — never another exception, never a hang. Seeded, so a
 * failure replays.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BeaconError, LightClientStore, decodeLightClient, fromBeaconJson, toBeaconJson } from '../../../src/verify/beacon/index.js';
import { forkOfDigest, loadCase, readSsz } from '../../helpers/beacon-vectors.js';
import { prng } from '../../helpers/prng.js';

const c = loadCase('electra/light_client_sync');
const fork = forkOfDigest(c, c.storeForkDigest);
const step = c.steps[0];
assert.ok(step?.kind === 'process_update');
const updateBytes = readSsz(c, step.update);
const bootstrap = decodeLightClient(c.config, fork, 'LightClientBootstrap', readSsz(c, 'bootstrap'));

function onlyBeaconErrors(run: () => void, what: string): 'ok' | 'refused' {
  try {
    run();
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof BeaconError, `${what}: ${String(e)}`);
    assert.ok(!e.message.includes('\n') && e.message.length < 400, `${what}: not one short line: ${e.message}`);
    return 'refused';
  }
}

describe('hostile light-client data', () => {
  it('mutated SSZ updates: a BeaconError or a value the store judges', () => {
    const rnd = prng(0xbeac0);
    const outcomes = { refused: 0, ok: 0 };
    const t = performance.now();
    for (let i = 0; i < 400; i++) {
      const b = updateBytes.slice();
      const kind = rnd();
      if (kind < 0.5) {
        for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      } else if (kind < 0.75) {
        b[Math.floor(rnd() * 8)] = Math.floor(rnd() * 256); // offsets live at the front
      }
      const bytes = kind >= 0.75 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
      const r = onlyBeaconErrors(() => {
        const u = decodeLightClient(c.config, fork, 'LightClientUpdate', bytes);
        LightClientStore.initialize(c.config, c.trustedBlockRoot, bootstrap).processUpdate(u, step.currentSlot);
      }, `mutation ${i}`);
      outcomes[r]++;
    }
    assert.ok(outcomes.refused > 300, `only ${outcomes.refused} refused`);
    assert.ok(performance.now() - t < 60_000);
  });

  it('mutated JSON: a BeaconError naming a field, or a value', () => {
    const rnd = prng(0x15011);
    const good = toBeaconJson(c.config, fork, 'LightClientUpdate', decodeLightClient(c.config, fork, 'LightClientUpdate', updateBytes));
    const junk = [null, 1, -1, 1.5, '', '0x', '0x0', 'zz', [], {}, true, '9'.repeat(80), `0x${'ab'.repeat(5000)}`, Array(600).fill('0x00')];
    let refused = 0;
    for (let i = 0; i < 400; i++) {
      const d = structuredClone(good) as Record<string, unknown>;
      // Walk to a random node and replace it.
      let node: Record<string, unknown> | unknown[] = d;
      for (;;) {
        const keys = Object.keys(node);
        const k = keys[Math.floor(rnd() * keys.length)] as string;
        const child = (node as Record<string, unknown>)[k];
        if (typeof child === 'object' && child !== null && rnd() < 0.7) {
          node = child as Record<string, unknown>;
          continue;
        }
        if (rnd() < 0.1) delete (node as Record<string, unknown>)[k];
        else (node as Record<string, unknown>)[k] = junk[Math.floor(rnd() * junk.length)];
        break;
      }
      if (onlyBeaconErrors(() => fromBeaconJson(c.config, fork, 'LightClientUpdate', d), `json mutation ${i}`) === 'refused') refused++;
    }
    assert.ok(refused > 300, `only ${refused} refused`);
  });
});
