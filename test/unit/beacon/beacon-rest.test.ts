/**
 * The REST source's bounds against a local server: timeout, body size, HTTP status, shape, the
 * version of the data, and one retry when a connection drops without an answer.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RestBeaconSource } from '../../../src/client/chain/beacon-rest.js';
import { BeaconSourceError } from '../../../src/client/chain/beacon-source.js';
import { BeaconError, toBeaconJson } from '../../../src/verify/beacon/index.js';
import { type BeaconApiReply, type BeaconApiServer, startBeaconApi } from '../../helpers/beacon-vectors.js';
import { chain, optimisticOf } from './vector-node.js';

const servers: BeaconApiServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
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
