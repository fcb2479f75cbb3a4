/**
 * The beacon API's JSON form of light-client data: every bootstrap and update of the spec vectors
 * goes to JSON text and back to the same SSZ bytes, and malformed JSON is refused with the path
 * of the field at fault.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { BeaconError, decodeLightClient, encodeLightClient, fromBeaconJson, toBeaconJson } from '../../../src/verify/beacon/index.js';
import { bytesHex, forkOfDigest, listCases, loadCase, readSsz } from '../../helpers/beacon-vectors.js';

describe('beacon API JSON of light-client data', () => {
  it('round-trips every bootstrap and update of the vectors to the same SSZ bytes', () => {
    let n = 0;
    for (const name of listCases()) {
      const c = loadCase(name);
      const fork = forkOfDigest(c, c.storeForkDigest);
      const files = readdirSync(c.dir).filter((f) => f.endsWith('.ssz_snappy')).map((f) => f.replace('.ssz_snappy', ''));
      for (const file of files) {
        const kind = file === 'bootstrap' ? 'LightClientBootstrap' : 'LightClientUpdate';
        const ssz = readSsz(c, file);
        const text = JSON.stringify({ version: fork, data: toBeaconJson(c.config, fork, kind, decodeLightClient(c.config, fork, kind, ssz)) });
        const back = fromBeaconJson(c.config, fork, kind, (JSON.parse(text) as { data: unknown }).data);
        assert.equal(bytesHex(encodeLightClient(c.config, fork, kind, back)), bytesHex(ssz), `${name}/${file}`);
        n++;
      }
    }
    assert.ok(n >= 30, `only ${n} files`);
  });

  it('refuses malformed JSON, naming the field', () => {
    const c = loadCase('deneb/light_client_sync');
    const s0 = c.steps[0];
    assert.ok(s0?.kind === 'process_update');
    const good = toBeaconJson(c.config, 'deneb', 'LightClientUpdate', decodeLightClient(c.config, 'deneb', 'LightClientUpdate', readSsz(c, s0.update))) as Record<
      string,
      Record<string, Record<string, unknown>>
    >;
    const refuse = (mutate: (d: typeof good) => void, field: string) => {
      const d = structuredClone(good);
      mutate(d);
      assert.throws(
        () => fromBeaconJson(c.config, 'deneb', 'LightClientUpdate', d),
        (e: unknown) => e instanceof BeaconError && e.code === 'BAD_ENCODING' && e.field === field,
        field,
      );
    };
    refuse((d) => delete d.attested_header?.beacon?.slot, 'data.attested_header.beacon.slot');
    refuse((d) => ((d.attested_header as Record<string, Record<string, unknown>>).beacon!.slot = '18446744073709551616'), 'data.attested_header.beacon.slot');
    refuse((d) => ((d.attested_header as Record<string, Record<string, unknown>>).beacon!.slot = '0x10'), 'data.attested_header.beacon.slot');
    refuse((d) => ((d.attested_header as Record<string, Record<string, unknown>>).beacon!.slot = 16), 'data.attested_header.beacon.slot');
    refuse((d) => ((d.attested_header as Record<string, Record<string, unknown>>).execution!.block_hash = '0x1234'), 'data.attested_header.execution.block_hash');
    refuse((d) => ((d.attested_header as Record<string, Record<string, unknown>>).execution!.block_hash = `0x${'zz'.repeat(32)}`), 'data.attested_header.execution.block_hash');
    refuse((d) => ((d.attested_header as Record<string, Record<string, unknown>>).execution!.extra_data = `0x${'00'.repeat(33)}`), 'data.attested_header.execution.extra_data');
    refuse((d) => ((d as Record<string, unknown>).finality_branch = [...((d as Record<string, unknown>).finality_branch as string[]), `0x${'00'.repeat(32)}`]), 'data.finality_branch');
    refuse((d) => ((d.sync_aggregate as Record<string, unknown>).sync_committee_bits = '0xffff'), 'data.sync_aggregate.sync_committee_bits');
    refuse((d) => ((d as Record<string, unknown>).next_sync_committee = null), 'data.next_sync_committee');
    refuse((d) => ((d as Record<string, unknown>).signature_slot = '1'.repeat(100)), 'data.signature_slot');
  });

  it('refuses data of a fork without an execution header', () => {
    const c = loadCase('deneb/light_client_sync');
    assert.throws(() => fromBeaconJson(c.config, 'altair', 'LightClientOptimisticUpdate', {}), { code: 'UNSUPPORTED_FORK' });
  });
});
