/**
 * The server side of the beacon extension against a beacon node that misbehaves: a body over the
 * answer bound (declared or streamed), an HTTP error and a node that never answers all end as the
 * handler's empty answer (counted as refused), never a hang or a crash; a 404 is the empty answer;
 * a server without a relay does not serve the type.
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BeaconRelay } from '../../src/serve/server/beacon-relay.js';
import { getBeaconLightClient } from '../../src/serve/server/handlers/beacon.js';
import type { ServeContext } from '../../src/serve/server/handlers/types.js';
import { MAX_BEACON_ANSWER_BYTES, decodeBeaconLightClient } from '../../src/wire/index.js';

describe('the beacon relay against a misbehaving beacon node', () => {
  let server: Server;
  let url = '';

  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '';
      if (path.endsWith('/finality_update')) {
        // Declares its size: refused unread.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_BEACON_ANSWER_BYTES + 1) });
        res.end();
      } else if (path.endsWith('/optimistic_update')) {
        // Streams past the bound without declaring it.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(256 * 1024, 0x20);
        for (let i = 0; i * chunk.length <= MAX_BEACON_ANSWER_BYTES; i++) res.write(chunk);
        res.end();
      } else if (path.includes('/updates')) {
        res.writeHead(500).end('{}');
      } else if (path.includes('/bootstrap/0x11')) {
        // Never answers.
      } else {
        res.writeHead(404).end('{"code":404}');
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const ctx = (beacon?: BeaconRelay): ServeContext => ({ backend: undefined as never, policy: { recentState: 0, recentTxLookup: 0, txRelay: false }, log: { debug() {}, info() {}, warn() {}, error() {} }, beacon });

  it('every failure is an empty answer, counted as refused, within the relay’s time limit', async () => {
    const relay = new BeaconRelay({ url, timeoutMs: 1000 });
    const queries = [
      { kind: 'finality_update' as const },
      { kind: 'optimistic_update' as const },
      { kind: 'updates' as const, startPeriod: 0, count: 2 },
      { kind: 'bootstrap' as const, blockRoot: new Uint8Array(32).fill(0x11) },
    ];
    const started = Date.now();
    const served = await getBeaconLightClient.serve(ctx(relay), { reqID: 1n, queries });
    assert.ok(Date.now() - started < 5000, 'bounded by the time limit');
    assert.equal(served.refused, 4);
    const reply = decodeBeaconLightClient(served.encode(1n, 100));
    assert.deepEqual(reply.answers.map((a) => a.length), [0, 0, 0, 0]);
    await assert.rejects(relay.answer({ kind: 'optimistic_update' }), /over 2097152 bytes/);
  });

  it('an unknown root (404) is the empty answer; a server without a relay does not serve the type', async () => {
    const relay = new BeaconRelay({ url });
    assert.equal((await relay.answer({ kind: 'bootstrap', blockRoot: new Uint8Array(32).fill(0x22) })).length, 0);
    assert.equal(getBeaconLightClient.served(ctx(undefined)), false);
    assert.equal(getBeaconLightClient.served(ctx(relay)), true);
    assert.equal(getBeaconLightClient.items({ reqID: 1n, queries: [{ kind: 'updates', startPeriod: 0, count: 16 }, { kind: 'finality_update' }] }), 17);
  });
});
