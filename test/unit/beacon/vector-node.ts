/**
 * A beacon node for tests, serving the consensus spec's vector data in the beacon API's JSON
 * form, with hooks that tamper with or withhold what it serves.
 */
import assert from 'node:assert/strict';
import type { BeaconHeads } from '../../../src/client/chain/beacon-anchor.js';
import {
  type ForkName,
  type LightClientFinalityUpdate,
  type LightClientOptimisticUpdate,
  type LightClientUpdate,
  decodeLightClient,
  isBetterUpdate,
  periodAtSlot,
  toBeaconJson,
} from '../../../src/verify/beacon/index.js';
import { type BeaconApiReply, type HeaderCheck, type VectorCase, bytesHex, forkOfDigest, loadCase, readSsz } from '../../helpers/beacon-vectors.js';

export interface Chain {
  c: VectorCase;
  fork: ForkName;
  updates: LightClientUpdate[];
  /** current slot and expected heads after each update step before the first force update */
  steps: Array<{ currentSlot: bigint; finalized: HeaderCheck; optimistic: HeaderCheck }>;
}

export function chain(name: string): Chain {
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

export const finalityOf = (u: LightClientUpdate): LightClientFinalityUpdate => ({
  attested_header: u.attested_header,
  finalized_header: u.finalized_header,
  finality_branch: u.finality_branch,
  sync_aggregate: u.sync_aggregate,
  signature_slot: u.signature_slot,
});
export const optimisticOf = (u: LightClientUpdate): LightClientOptimisticUpdate => ({
  attested_header: u.attested_header,
  sync_aggregate: u.sync_aggregate,
  signature_slot: u.signature_slot,
});

export interface Served {
  /** How many of the chain's updates the node has seen (the latest is its finality/optimistic update). */
  upTo: number;
  /** Answer every bootstrap request with the case's bootstrap, whatever root was asked. */
  anyRoot?: boolean;
  updates?: (u: LightClientUpdate[]) => LightClientUpdate[];
  finality?: (u: LightClientFinalityUpdate) => LightClientFinalityUpdate;
  optimistic?: (u: LightClientOptimisticUpdate) => LightClientOptimisticUpdate;
}

/** A beacon node that knows the chain's bootstrap and its first `upTo` updates. */
export function node(ch: Chain, served: Served): (path: string, q: URLSearchParams) => BeaconApiReply {
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
    if (known.length === 0 && !path.includes('/bootstrap/') && !path.endsWith('/updates')) return { status: 404, json: { code: 404 } };
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

export function assertHead(got: BeaconHeads['finalized'], want: HeaderCheck, what: string): void {
  assert.equal(BigInt(got.slot), want.slot, `${what} slot`);
  assert.equal(bytesHex(got.beaconRoot), want.beaconRoot, `${what} beacon root`);
  assert.equal(bytesHex(got.executionRoot), want.executionRoot, `${what} execution root`);
}

export const flip = (b: Uint8Array, i = 0): Uint8Array => {
  const out = b.slice();
  out[i] = (out[i] as number) ^ 1;
  return out;
};
