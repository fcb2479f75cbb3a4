/**
 * Refusals of the light-client store, each built by changing one thing in a real update of the
 * consensus spec's vectors (deneb and electra light_client_sync): the unchanged update is accepted
 * first, so each refusal is caused by the change alone. The store must be left as it was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BeaconError,
  type BeaconConfig,
  type LightClientBootstrap,
  LightClientStore,
  type LightClientUpdate,
  decodeLightClient,
} from '../../../src/verify/beacon/index.js';
import { type VectorCase, bytesHex, forkOfDigest, loadCase, readSsz } from '../../helpers/beacon-vectors.js';

interface Fixture {
  c: VectorCase;
  bootstrap: LightClientBootstrap;
  /** The case's first update (a sync-committee and finality update) and its current slot. */
  update: LightClientUpdate;
  currentSlot: bigint;
  /** The second update, signed in the next period. */
  later: LightClientUpdate;
}

function fixture(name: string): Fixture {
  const c = loadCase(name);
  const [s0, s1] = c.steps;
  assert.ok(s0?.kind === 'process_update' && s1?.kind === 'process_update', 'the case starts with two updates');
  const fork = forkOfDigest(c, s0.updateForkDigest);
  return {
    c,
    bootstrap: decodeLightClient(c.config, forkOfDigest(c, c.bootstrapForkDigest), 'LightClientBootstrap', readSsz(c, 'bootstrap')),
    update: decodeLightClient(c.config, fork, 'LightClientUpdate', readSsz(c, s0.update)),
    currentSlot: s0.currentSlot,
    later: decodeLightClient(c.config, forkOfDigest(c, s1.updateForkDigest), 'LightClientUpdate', readSsz(c, s1.update)),
  };
}

const store = (f: Fixture, config: BeaconConfig = f.c.config, minParticipants?: number) =>
  LightClientStore.initialize(config, f.c.trustedBlockRoot, f.bootstrap, minParticipants === undefined ? {} : { minParticipants });

function refuses(s: LightClientStore, update: LightClientUpdate, currentSlot: bigint, code: string, field: string): void {
  const before = [bytesHex(s.finalized.beaconRoot), bytesHex(s.optimistic.beaconRoot), s.nextSyncCommittee?.root];
  assert.throws(
    () => s.processUpdate(update, currentSlot),
    (e: unknown) => {
      assert.ok(e instanceof BeaconError, `not a BeaconError: ${String(e)}`);
      assert.equal(e.code, code, e.message);
      assert.equal(e.field, field, e.message);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    },
  );
  assert.deepEqual([bytesHex(s.finalized.beaconRoot), bytesHex(s.optimistic.beaconRoot), s.nextSyncCommittee?.root], before, 'store changed by a refused update');
}

const flip = (b: Uint8Array, i = 0): Uint8Array => {
  const out = b.slice();
  out[i] = (out[i] as number) ^ 1;
  return out;
};

for (const name of ['deneb/light_client_sync', 'electra/light_client_sync']) {
  describe(`light-client store refusals (${name})`, () => {
    const f = fixture(name);

    it('accepts the unchanged update and advances both heads to it', () => {
      const s = store(f);
      s.processUpdate(structuredClone(f.update), f.currentSlot);
      assert.equal(BigInt(s.optimistic.slot), f.update.attested_header.beacon.slot);
      assert.equal(BigInt(s.finalized.slot), f.update.finalized_header.beacon.slot);
      assert.equal(bytesHex(s.optimistic.blockHash), bytesHex(f.update.attested_header.execution.block_hash));
      assert.equal(BigInt(s.finalized.blockNumber), f.update.finalized_header.execution.block_number);
      assert.ok(s.nextSyncCommittee !== undefined, 'the update supplied the next committee');
    });

    it('refuses a bootstrap that is not the trusted block, or whose committee is not in its state', () => {
      assert.throws(() => LightClientStore.initialize(f.c.config, flip(f.c.trustedBlockRoot), f.bootstrap), { code: 'ROOT_MISMATCH', field: 'header.beacon' });
      const b = structuredClone(f.bootstrap);
      b.current_sync_committee.pubkeys[3] = flip(b.current_sync_committee.pubkeys[3] as Uint8Array, 5);
      assert.throws(() => LightClientStore.initialize(f.c.config, f.c.trustedBlockRoot, b), { code: 'BAD_BRANCH', field: 'current_sync_committee_branch' });
    });

    it('refuses an update no member signed, and one below the participation the client asks for', () => {
      const u = structuredClone(f.update);
      u.sync_aggregate.sync_committee_bits = u.sync_aggregate.sync_committee_bits.map(() => false);
      refuses(store(f), u, f.currentSlot, 'TOO_FEW_SIGNERS', 'sync_aggregate.sync_committee_bits');

      // Two thirds of 32 is 21.3: 21 signers are too few for a client that wants the supermajority.
      const size = f.c.config.preset.SYNC_COMMITTEE_SIZE;
      const needed = Math.ceil((2 * size) / 3);
      const fewer = structuredClone(f.update);
      let kept = 0;
      fewer.sync_aggregate.sync_committee_bits = fewer.sync_aggregate.sync_committee_bits.map((b) => b && ++kept < needed);
      assert.equal(fewer.sync_aggregate.sync_committee_bits.filter(Boolean).length, needed - 1);
      refuses(store(f, f.c.config, needed), fewer, f.currentSlot, 'TOO_FEW_SIGNERS', 'sync_aggregate.sync_committee_bits');
      // Without that option the same update gets as far as the signature, which is of all members, not of these.
      refuses(store(f), fewer, f.currentSlot, 'BAD_SIGNATURE', 'sync_aggregate.sync_committee_signature');
    });

    it('refuses the signature under another fork version or another chain (signing domain)', () => {
      const sigFork = f.c.config.forks.at(-1);
      assert.ok(sigFork);
      const otherVersion: BeaconConfig = { ...f.c.config, forks: f.c.config.forks.map((x) => (x === sigFork ? { ...x, version: flip(x.version, 3) } : x)) };
      refuses(store(f, otherVersion), structuredClone(f.update), f.currentSlot, 'BAD_SIGNATURE', 'sync_aggregate.sync_committee_signature');
      const otherChain: BeaconConfig = { ...f.c.config, genesisValidatorsRoot: flip(f.c.config.genesisValidatorsRoot) };
      refuses(store(f, otherChain), structuredClone(f.update), f.currentSlot, 'BAD_SIGNATURE', 'sync_aggregate.sync_committee_signature');
    });

    it('refuses a tampered execution branch', () => {
      const u = structuredClone(f.update);
      u.attested_header.execution_branch[1] = flip(u.attested_header.execution_branch[1] as Uint8Array);
      refuses(store(f), u, f.currentSlot, 'BAD_BRANCH', 'attested_header.execution_branch');
    });

    it('refuses a tampered block hash or block number (attested and finalized)', () => {
      const u = structuredClone(f.update);
      u.attested_header.execution.block_hash = flip(u.attested_header.execution.block_hash, 31);
      refuses(store(f), u, f.currentSlot, 'BAD_BRANCH', 'attested_header.execution_branch');
      const n = structuredClone(f.update);
      n.attested_header.execution.block_number += 1n;
      refuses(store(f), n, f.currentSlot, 'BAD_BRANCH', 'attested_header.execution_branch');
      const fin = structuredClone(f.update);
      fin.finalized_header.execution.block_hash = flip(fin.finalized_header.execution.block_hash, 31);
      refuses(store(f), fin, f.currentSlot, 'BAD_BRANCH', 'finalized_header.execution_branch');
    });

    it('refuses a finalized header or next committee that is not in the attested state', () => {
      const u = structuredClone(f.update);
      u.finality_branch[2] = flip(u.finality_branch[2] as Uint8Array);
      refuses(store(f), u, f.currentSlot, 'BAD_BRANCH', 'finality_branch');
      const c = structuredClone(f.update);
      c.next_sync_committee.pubkeys[0] = structuredClone(f.bootstrap.current_sync_committee.pubkeys[1] as Uint8Array);
      refuses(store(f), c, f.currentSlot, 'BAD_BRANCH', 'next_sync_committee_branch');
    });

    it('refuses a changed attested header (its signature no longer matches)', () => {
      const u = structuredClone(f.update);
      u.attested_header.beacon.proposer_index += 1n;
      refuses(store(f), u, f.currentSlot, 'BAD_SIGNATURE', 'sync_aggregate.sync_committee_signature');
    });

    it('refuses an update signed after the current slot, or in a period the store cannot verify yet', () => {
      refuses(store(f), structuredClone(f.update), f.update.signature_slot - 1n, 'BAD_SLOT', 'signature_slot');
      // The second update is signed a period later: without the next committee the store cannot check it.
      refuses(store(f), structuredClone(f.later), f.c.steps[1]?.kind === 'process_update' ? f.c.steps[1].currentSlot : 0n, 'WRONG_PERIOD', 'signature_slot');
    });
  });
}
