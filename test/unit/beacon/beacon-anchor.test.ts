/**
 * BeaconAnchor over the REST source against a local beacon-API server that serves the consensus
 * spec's vector data as JSON: the heads it verifies are the ones the spec's steps expect; data
 * the server tampers with is refused with a typed error and never becomes a head; several
 * sources are cross-checked. (The REST source's own bounds: beacon-rest.test.ts.)
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BeaconAnchor, type BeaconHeads } from '../../../src/client/chain/beacon-anchor.js';
import { RestBeaconSource } from '../../../src/client/chain/beacon-rest.js';
import { BeaconSourceError } from '../../../src/client/chain/beacon-source.js';
import { type BeaconConfig, BeaconError, type LightClientUpdate } from '../../../src/verify/beacon/index.js';
import { type BeaconApiServer, bytesHex, startBeaconApi } from '../../helpers/beacon-vectors.js';
import { type Chain, type Served, assertHead, chain, flip, node } from './vector-node.js';

const servers: BeaconApiServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function anchorFor(ch: Chain, served: Served, opts: { config?: BeaconConfig; checkpoint?: Uint8Array; slot?: { v: bigint } } = {}) {
  const server = await startBeaconApi(node(ch, served));
  servers.push(server);
  const config = opts.config ?? ch.c.config;
  const slot = opts.slot ?? { v: ch.steps[served.upTo - 1]?.currentSlot ?? 0n };
  const anchor = new BeaconAnchor({
    config,
    checkpoint: opts.checkpoint ?? ch.c.trustedBlockRoot,
    source: new RestBeaconSource(server.url, config, { timeoutMs: 2000 }),
    currentSlot: () => slot.v,
  });
  return { anchor, server, slot };
}

async function refused(p: Promise<unknown>, code: string, field: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof BeaconError, `not a BeaconError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.field, field, e.message);
    return true;
  });
}

for (const name of ['deneb/light_client_sync', 'electra/light_client_sync']) {
  describe(`BeaconAnchor over REST (${name})`, () => {
    const ch = chain(name);

    it('bootstraps from the checkpoint, catches up by period and follows to the heads the spec expects', async () => {
      const served: Served = { upTo: 2 };
      const { anchor, server, slot } = await anchorFor(ch, served);
      const seen: BeaconHeads[] = [];
      anchor.onHeads((h) => seen.push(h));
      const heads = await anchor.sync();
      assertHead(heads.finalized, ch.steps[1]!.finalized, 'finalized');
      assertHead(heads.optimistic, ch.steps[1]!.optimistic, 'optimistic');
      assert.equal(bytesHex(heads.optimistic.blockHash), bytesHex(ch.updates[1]!.attested_header.execution.block_hash));
      assert.equal(BigInt(heads.finalized.blockNumber), ch.updates[1]!.finalized_header.execution.block_number);
      assert.equal(seen.length, 1);
      assert.ok(server.requests.includes('/eth/v1/beacon/light_client/updates?start_period=0&count=2'), server.requests.join(' '));

      // Nothing new: no heads event.
      await anchor.sync();
      assert.equal(seen.length, 1);

      // The node sees the next update (signed in the next period); the clock moves on.
      served.upTo = 3;
      slot.v = ch.steps[2]!.currentSlot;
      const h3 = await anchor.sync();
      assertHead(h3.finalized, ch.steps[2]!.finalized, 'finalized after the next update');
      assertHead(h3.optimistic, ch.steps[2]!.optimistic, 'optimistic after the next update');
      assert.equal(seen.length, 2);
    });

    it('applies the best update as finalized after a period without finality only when asked to (force update)', async () => {
      const force = ch.c.steps.find((s) => s.kind === 'force_update');
      assert.ok(force !== undefined && ch.updates.length >= 5);
      const upTo = ch.updates.length;
      const off = await anchorFor(ch, { upTo }, { slot: { v: force.currentSlot } });
      const h = await off.anchor.sync();
      assert.ok(BigInt(h.finalized.slot) < force.checks.finalized.slot, `finalized ${h.finalized.slot} stays a finalized header`);
      const on = new BeaconAnchor({ config: ch.c.config, checkpoint: ch.c.trustedBlockRoot, source: new RestBeaconSource(off.server.url, ch.c.config), currentSlot: () => force.currentSlot, forceUpdate: true });
      const forced = await on.sync();
      assertHead(forced.finalized, force.checks.finalized, 'finalized after the force update');
    });

    it('refuses a checkpoint the source answers with another block, and reports one it does not know', async () => {
      const other = flip(ch.c.trustedBlockRoot);
      const lying = await anchorFor(ch, { upTo: 2, anyRoot: true }, { checkpoint: other });
      await refused(lying.anchor.sync(), 'ROOT_MISMATCH', 'header.beacon');
      assert.equal(lying.anchor.heads, undefined);
      const honest = await anchorFor(ch, { upTo: 2 }, { checkpoint: other });
      await assert.rejects(honest.anchor.sync(), (e: unknown) => e instanceof BeaconSourceError && e.code === 'NOT_FOUND');
      assert.equal(honest.anchor.heads, undefined);
    });

    it('refuses a checkpoint older than beacon nodes keep light-client data for, and warns about one older than the warning age', async () => {
      // The checkpoint is at slot 16; nodes keep 16 epochs (128 slots).
      const slot = { v: ch.steps[1]!.currentSlot };
      const keep = { ...ch.c.config, minEpochsForBlockRequests: 16 };
      const old = await anchorFor(ch, { upTo: 2 }, { config: keep, slot: { v: 16n + 129n } });
      await refused(old.anchor.sync(), 'CHECKPOINT_TOO_OLD', 'checkpoint');
      assert.equal(old.anchor.heads, undefined);
      assert.equal(old.anchor.faults().size, 0, 'not a fault of the source');

      const server = await startBeaconApi(node(ch, { upTo: 2 }));
      servers.push(server);
      const warnings: string[] = [];
      const a = new BeaconAnchor({
        config: keep,
        checkpoint: ch.c.trustedBlockRoot,
        source: new RestBeaconSource(server.url, keep),
        currentSlot: () => slot.v,
        checkpointWarnSlots: 32n,
        onWarning: (m) => warnings.push(m),
      });
      await a.sync();
      assert.equal(warnings.length, 1, 'a checkpoint 73 slots old: more than 32, less than 128');
      assert.match(warnings[0] ?? '', /weak subjectivity/);
    });

    it('refuses updates with too few signers (below 2/3 of the committee)', async () => {
      const size = ch.c.config.preset.SYNC_COMMITTEE_SIZE;
      const keep = Math.ceil((2 * size) / 3) - 1;
      const thin = (u: LightClientUpdate[]) =>
        u.map((x) => {
          let n = 0;
          x.sync_aggregate.sync_committee_bits = x.sync_aggregate.sync_committee_bits.map((b) => b && n++ < keep);
          return x;
        });
      const { anchor } = await anchorFor(ch, { upTo: 2, updates: thin });
      await refused(anchor.sync(), 'TOO_FEW_SIGNERS', 'sync_aggregate.sync_committee_bits');
      assert.equal(bytesHex(anchor.heads!.optimistic.beaconRoot), bytesHex(ch.c.trustedBlockRoot), 'nothing beyond the checkpoint');
      assert.equal(bytesHex(anchor.heads!.finalized.beaconRoot), bytesHex(ch.c.trustedBlockRoot), 'nothing beyond the checkpoint');
    });

    it('refuses a signature under another fork version', async () => {
      const config: BeaconConfig = { ...ch.c.config, forks: ch.c.config.forks.map((f, i, all) => (i === all.length - 1 ? { ...f, version: flip(f.version, 3) } : f)) };
      const { anchor } = await anchorFor(ch, { upTo: 2 }, { config });
      await refused(anchor.sync(), 'BAD_SIGNATURE', 'sync_aggregate.sync_committee_signature');
    });

    it('refuses a tampered block hash in the optimistic update and a tampered execution branch in the finality update; the heads stay verified', async () => {
      const fake = flip(ch.updates[1]!.attested_header.execution.block_hash, 31);
      const a = await anchorFor(ch, { upTo: 2, optimistic: (o) => ((o.attested_header.execution.block_hash = fake), o) });
      await refused(a.anchor.sync(), 'BAD_BRANCH', 'attested_header.execution_branch');
      assert.notEqual(bytesHex(a.anchor.heads!.optimistic.blockHash), bytesHex(fake));
      assertHead(a.anchor.heads!.optimistic, ch.steps[1]!.optimistic, 'optimistic (from the verified updates)');

      const b = await anchorFor(ch, {
        upTo: 2,
        finality: (f) => ((f.finalized_header.execution_branch[0] = flip(f.finalized_header.execution_branch[0] as Uint8Array)), f),
      });
      await refused(b.anchor.sync(), 'BAD_BRANCH', 'finalized_header.execution_branch');
      assertHead(b.anchor.heads!.finalized, ch.steps[1]!.finalized, 'finalized (from the verified updates)');
    });
  });
}

describe('BeaconAnchor with several sources (deneb/light_client_sync)', () => {
  const ch = chain('deneb/light_client_sync');
  const fake = (b: Uint8Array) => flip(b, 31);
  const lies: Served = {
    upTo: 2,
    updates: (us) => us.map((u) => ((u.attested_header.execution.block_hash = fake(u.attested_header.execution.block_hash)), u)),
    finality: (f) => ((f.finalized_header.execution.block_number += 1n), f),
    optimistic: (o) => ((o.attested_header.execution.block_hash = fake(o.attested_header.execution.block_hash)), o),
  };

  async function anchorOver(served: Served[]) {
    const nodes = await Promise.all(served.map((s) => startBeaconApi(node(ch, s))));
    servers.push(...nodes);
    const anchor = new BeaconAnchor({
      config: ch.c.config,
      checkpoint: ch.c.trustedBlockRoot,
      source: nodes.map((n) => new RestBeaconSource(n.url, ch.c.config, { timeoutMs: 2000 })),
      currentSlot: () => ch.steps[1]!.currentSlot,
    });
    return { anchor, names: nodes.map((n) => n.url.replace(/\/$/, '')) };
  }

  it('catches a lying source among honest ones: its answers are refused and counted, the heads come from the honest one', async () => {
    const { anchor, names } = await anchorOver([lies, { upTo: 2 }]);
    const faults: string[] = [];
    anchor.onFault((f) => faults.push(`${f.source} ${f.error.code} ${f.error.field}`));
    const heads = await anchor.sync();
    assertHead(heads.finalized, ch.steps[1]!.finalized, 'finalized');
    assertHead(heads.optimistic, ch.steps[1]!.optimistic, 'optimistic');
    assert.deepEqual(faults, [
      `${names[0]} BAD_BRANCH attested_header.execution_branch`,
      `${names[0]} BAD_BRANCH finalized_header.execution_branch`,
      `${names[0]} BAD_BRANCH attested_header.execution_branch`,
    ]);
    assert.deepEqual([...anchor.faults().entries()], [[names[0], 3]]);
  });

  it('follows: a newer update at the source becomes a heads event, a failed round is reported and retried', async () => {
    const served: Served = { upTo: 2 };
    const slot = { v: ch.steps[1]!.currentSlot };
    const n = await startBeaconApi(node(ch, served));
    servers.push(n);
    const anchor = new BeaconAnchor({
      config: ch.c.config,
      checkpoint: ch.c.trustedBlockRoot,
      source: new RestBeaconSource(n.url, ch.c.config, { timeoutMs: 2000 }),
      currentSlot: () => slot.v,
    });
    const stop = new AbortController();
    const seen: bigint[] = [];
    const errors: string[] = [];
    const third = new Promise<void>((resolve) =>
      anchor.onHeads((h) => {
        seen.push(BigInt(h.optimistic.slot));
        if (seen.length === 2) resolve();
      }),
    );
    const loop = anchor.follow({ signal: stop.signal, intervalMs: 30, onError: (e) => errors.push((e as Error).message) });
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    served.optimistic = (o) => ((o.attested_header.execution.block_hash = flip(o.attested_header.execution.block_hash, 31)), o);
    while (errors.length === 0) await new Promise((r) => setTimeout(r, 10));
    served.optimistic = undefined;
    served.upTo = 3;
    slot.v = ch.steps[2]!.currentSlot;
    await third;
    stop.abort();
    await loop;
    assert.deepEqual(seen, [ch.steps[1]!.optimistic.slot, ch.steps[2]!.optimistic.slot]);
    assert.match(errors[0] ?? '', /attested_header\.execution_branch/);
  });

  it('reports the checkpoint as the first heads when the source has nothing newer', async () => {
    const { anchor } = await anchorOver([{ upTo: 0 }]);
    const seen: string[] = [];
    anchor.onHeads((h) => seen.push(bytesHex(h.optimistic.beaconRoot)));
    await anchor.sync();
    assert.deepEqual(seen, [bytesHex(ch.c.trustedBlockRoot)]);
    assert.equal(bytesHex(anchor.heads!.finalized.beaconRoot), bytesHex(ch.c.trustedBlockRoot));
  });

  it('is not held back by a source that withholds newer updates', async () => {
    const { anchor } = await anchorOver([{ upTo: 1 }, { upTo: 2 }]);
    const heads = await anchor.sync();
    assertHead(heads.finalized, ch.steps[1]!.finalized, 'finalized');
    assertHead(heads.optimistic, ch.steps[1]!.optimistic, 'optimistic');
    assert.equal(anchor.faults().size, 0, 'old data is not a lie');
  });

  it('fails with the refusal when every source lies', async () => {
    const { anchor } = await anchorOver([lies, lies]);
    await refused(anchor.sync(), 'BAD_BRANCH', 'attested_header.execution_branch');
  });
});
