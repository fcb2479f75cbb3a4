/**
 * BeaconAnchor over the REST source against a local beacon-API server that serves the consensus
 * spec's vector data as JSON: the heads it verifies are the ones the spec's steps expect; data
 * the server tampers with is refused with a typed error and never becomes a head; and the REST
 * source's bounds (timeout, size, status, shape) hold.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BeaconAnchor, type BeaconHeads } from '../../../src/client/chain/beacon-anchor.js';
import { RestBeaconSource } from '../../../src/client/chain/beacon-rest.js';
import { BeaconSourceError } from '../../../src/client/chain/beacon-source.js';
import {
  type BeaconConfig,
  BeaconError,
  type ForkName,
  type LightClientFinalityUpdate,
  type LightClientOptimisticUpdate,
  type LightClientUpdate,
  decodeLightClient,
  isBetterUpdate,
  periodAtSlot,
  toBeaconJson,
} from '../../../src/verify/beacon/index.js';
import {
  type BeaconApiReply,
  type BeaconApiServer,
  type HeaderCheck,
  type VectorCase,
  bytesHex,
  forkOfDigest,
  loadCase,
  readSsz,
  startBeaconApi,
} from '../../helpers/beacon-vectors.js';

interface Chain {
  c: VectorCase;
  fork: ForkName;
  updates: LightClientUpdate[];
  /** current slot and expected heads after each update step before the first force update */
  steps: Array<{ currentSlot: bigint; finalized: HeaderCheck; optimistic: HeaderCheck }>;
}

function chain(name: string): Chain {
  const c = loadCase(name);
  const fork = forkOfDigest(c, c.storeForkDigest);
  const first = c.steps.findIndex((s) => s.kind !== 'process_update');
  const steps = c.steps.slice(0, first === -1 ? undefined : first).map((s) => s as Extract<typeof s, { kind: 'process_update' }>);
  assert.ok(steps.length >= 3, 'the case starts with three updates');
  return {
    c,
    fork,
    updates: steps.map((s) => decodeLightClient(c.config, forkOfDigest(c, s.updateForkDigest), 'LightClientUpdate', readSsz(c, s.update))),
    steps: steps.map((s) => ({ currentSlot: s.currentSlot, ...s.checks })),
  };
}

const finalityOf = (u: LightClientUpdate): LightClientFinalityUpdate => ({
  attested_header: u.attested_header,
  finalized_header: u.finalized_header,
  finality_branch: u.finality_branch,
  sync_aggregate: u.sync_aggregate,
  signature_slot: u.signature_slot,
});
const optimisticOf = (u: LightClientUpdate): LightClientOptimisticUpdate => ({
  attested_header: u.attested_header,
  sync_aggregate: u.sync_aggregate,
  signature_slot: u.signature_slot,
});

interface Served {
  /** How many of the chain's updates the node has seen (the latest is its finality/optimistic update). */
  upTo: number;
  /** Answer every bootstrap request with the case's bootstrap, whatever root was asked. */
  anyRoot?: boolean;
  updates?: (u: LightClientUpdate[]) => LightClientUpdate[];
  finality?: (u: LightClientFinalityUpdate) => LightClientFinalityUpdate;
  optimistic?: (u: LightClientOptimisticUpdate) => LightClientOptimisticUpdate;
}

/** A beacon node that knows the chain's bootstrap and its first `upTo` updates. */
function node(ch: Chain, served: Served): (path: string, q: URLSearchParams) => BeaconApiReply {
  const { c, fork } = ch;
  const bootstrap = decodeLightClient(c.config, fork, 'LightClientBootstrap', readSsz(c, 'bootstrap'));
  const root = bytesHex(c.trustedBlockRoot);
  return (path, q) => {
    const known = ch.updates.slice(0, served.upTo);
    const latest = known.at(-1) as LightClientUpdate;
    const wrap = <T>(kind: Parameters<typeof toBeaconJson>[2], v: T) => ({ version: fork, data: toBeaconJson(c.config, fork, kind, v as never) });
    if (path === `/eth/v1/beacon/light_client/bootstrap/${root}` || (served.anyRoot === true && path.includes('/bootstrap/'))) return { json: wrap('LightClientBootstrap', bootstrap) };
    if (path.startsWith('/eth/v1/beacon/light_client/bootstrap/')) return { status: 404, json: { code: 404, message: 'unknown block' } };
    if (path === '/eth/v1/beacon/light_client/updates') {
      const start = BigInt(q.get('start_period') ?? '0');
      const count = BigInt(q.get('count') ?? '1');
      // The best update of each period (by its attested slot), as a beacon node keeps it.
      const byPeriod = new Map<bigint, LightClientUpdate>();
      for (const u of served.updates?.(structuredClone(known)) ?? known) {
        const p = periodAtSlot(c.config, u.attested_header.beacon.slot);
        const best = byPeriod.get(p);
        if (best === undefined || isBetterUpdate(c.config, u, best)) byPeriod.set(p, u);
      }
      const out = [...byPeriod.entries()].filter(([p]) => p >= start && p < start + count).map(([, u]) => wrap('LightClientUpdate', u));
      return { json: out };
    }
    if (path === '/eth/v1/beacon/light_client/finality_update') {
      const f = finalityOf(structuredClone(latest));
      return { json: wrap('LightClientFinalityUpdate', served.finality?.(f) ?? f) };
    }
    if (path === '/eth/v1/beacon/light_client/optimistic_update') {
      const o = optimisticOf(structuredClone(latest));
      return { json: wrap('LightClientOptimisticUpdate', served.optimistic?.(o) ?? o) };
    }
    return { status: 404, json: { code: 404 } };
  };
}

function assertHead(got: BeaconHeads['finalized'], want: HeaderCheck, what: string): void {
  assert.equal(BigInt(got.slot), want.slot, `${what} slot`);
  assert.equal(bytesHex(got.beaconRoot), want.beaconRoot, `${what} beacon root`);
  assert.equal(bytesHex(got.executionRoot), want.executionRoot, `${what} execution root`);
}

const flip = (b: Uint8Array, i = 0): Uint8Array => {
  const out = b.slice();
  out[i] = (out[i] as number) ^ 1;
  return out;
};

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

describe('RestBeaconSource bounds', () => {
  const ch = chain('deneb/light_client_sync');

  async function source(reply: BeaconApiReply, opts: { timeoutMs?: number; maxResponseBytes?: number } = {}) {
    const server = await startBeaconApi(() => reply);
    servers.push(server);
    return new RestBeaconSource(server.url, ch.c.config, opts);
  }
  const code = (c: string) => (e: unknown) => e instanceof BeaconSourceError && e.code === c && !e.message.includes('\n');

  it('gives up on a node that does not answer within the timeout', async () => {
    const s = await source({ hang: true }, { timeoutMs: 300 });
    const t = performance.now();
    await assert.rejects(s.optimisticUpdate(), code('SOURCE_FAILED'));
    assert.ok(performance.now() - t < 3000, 'took too long');
  });

  it('refuses a body over maxResponseBytes, an HTTP error, non-JSON and the wrong shape', async () => {
    await assert.rejects((await source({ raw: 'x'.repeat(2_000_000) }, { maxResponseBytes: 1_000_000 })).optimisticUpdate(), code('TOO_LARGE'));
    await assert.rejects((await source({ status: 500, json: { code: 500 } })).optimisticUpdate(), code('SOURCE_FAILED'));
    await assert.rejects((await source({ raw: '{not json' })).optimisticUpdate(), code('BAD_RESPONSE'));
    await assert.rejects((await source({ json: [1, 2] })).optimisticUpdate(), code('BAD_RESPONSE'));
    await assert.rejects((await source({ json: { version: 'deneb', data: {} } })).optimisticUpdate(), (e: unknown) => e instanceof BeaconError && e.code === 'BAD_ENCODING');
    await assert.rejects((await source({ json: { version: 'gloas', data: {} } })).optimisticUpdate(), (e: unknown) => e instanceof BeaconError && e.code === 'UNSUPPORTED_FORK');
  });

  it('sends a request again once when the connection drops without an answer, not more', async () => {
    const o = { json: { version: 'deneb', data: toBeaconJson(ch.c.config, 'deneb', 'LightClientOptimisticUpdate', optimisticOf(ch.updates[0]!)) } };
    let asked = 0;
    const once = await startBeaconApi(() => (++asked === 1 ? { drop: true } : o));
    servers.push(once);
    const u = await new RestBeaconSource(once.url, ch.c.config).optimisticUpdate();
    assert.equal(u.signature_slot, ch.updates[0]!.signature_slot);
    assert.equal(asked, 2);
    await assert.rejects((await source({ drop: true })).optimisticUpdate(), code('SOURCE_FAILED'));
  });

  it('refuses data whose version is not the fork of its slot', async () => {
    // Deneb-slot data sent as capella (a form that decodes, of a fork that is not the one of its slot).
    const o = optimisticOf(ch.updates[0]!);
    const json = { version: 'capella', data: toBeaconJson(ch.c.config, 'capella', 'LightClientOptimisticUpdate', { ...o, attested_header: { ...o.attested_header, execution: { ...o.attested_header.execution, blob_gas_used: 0n, excess_blob_gas: 0n } } }) };
    await assert.rejects((await source({ json })).optimisticUpdate(), code('BAD_RESPONSE'));
  });
});
