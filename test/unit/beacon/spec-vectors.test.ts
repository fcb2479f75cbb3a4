/**
 * The consensus spec's own light-client sync tests (minimal preset, Deneb and Electra): every
 * case, every step, the finalized and optimistic headers' slot, beacon root and execution root as
 * the spec's reference code computed them. A case whose step kind or fork is not supported fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type LightClientHeader,
  LightClientStore,
  beaconRoot,
  decodeLightClient,
  executionRoot,
} from '../../../src/verify/beacon/index.js';
import { type HeaderCheck, type VectorCase, bytesHex, forkOfDigest, listCases, loadCase, readSsz } from '../../helpers/beacon-vectors.js';

function checkHeader(c: VectorCase, header: LightClientHeader, want: HeaderCheck, what: string): void {
  assert.equal(header.beacon.slot, want.slot, `${what} slot`);
  assert.equal(bytesHex(beaconRoot(header)), want.beaconRoot, `${what} beacon root`);
  assert.equal(bytesHex(executionRoot(c.config, header)), want.executionRoot, `${what} execution root`);
}

const cases = listCases();

describe('consensus-spec light-client sync vectors (minimal)', () => {
  it('has the Deneb and Electra cases', () => {
    assert.ok(cases.some((n) => n.startsWith('deneb/')), 'no deneb case');
    assert.ok(cases.some((n) => n.startsWith('electra/')), 'no electra case');
  });

  for (const name of cases) {
    it(name, () => {
      const c = loadCase(name);
      assert.equal(c.config.preset.name, 'minimal');
      assert.ok(c.steps.length > 0, 'a case with no steps checks nothing');
      const bootstrapFork = forkOfDigest(c, c.bootstrapForkDigest);
      assert.equal(forkOfDigest(c, c.storeForkDigest), bootstrapFork, 'store and bootstrap forks differ: an upgrade case, not supported');
      const bootstrap = decodeLightClient(c.config, bootstrapFork, 'LightClientBootstrap', readSsz(c, 'bootstrap'));
      const store = LightClientStore.initialize(c.config, c.trustedBlockRoot, bootstrap);
      let checked = 0;
      c.steps.forEach((step, i) => {
        const at = `step ${i} (${step.kind}${step.kind === 'process_update' ? ` ${step.update}` : ''})`;
        if (step.kind === 'process_update') {
          const fork = forkOfDigest(c, step.updateForkDigest);
          const update = decodeLightClient(c.config, fork, 'LightClientUpdate', readSsz(c, step.update));
          store.processUpdate(update, step.currentSlot);
        } else {
          store.forceUpdate(step.currentSlot);
        }
        checkHeader(c, store.finalizedHeader, step.checks.finalized, `${at}: finalized`);
        checkHeader(c, store.optimisticHeader, step.checks.optimistic, `${at}: optimistic`);
        checked++;
      });
      assert.equal(checked, c.steps.length);
    });
  }
});
