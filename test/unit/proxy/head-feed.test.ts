// The proxy's HeadFeed is a frame over the client's subscription engine: it parses the filter
// param (-32602 naming the field), passes what the engine delivers on, and turns the engine ending
// a subscription into one JSON-RPC error object (-32000, data.code) — the ordering, reorg and gap
// rules themselves are the engine's (test/unit/client/subscriptions-engine.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { InvalidParamsError, type RpcErrorObject } from '../../../src/client/methods/errors.js';
import type { HeadJson } from '../../../src/proxy/backend.js';
import { HeadFeed } from '../../../src/proxy/head-feed.js';
import { StubBackend, head } from './stub-backend.js';

const A = `0x${'aa'.repeat(20)}`;
const log = pino({ level: 'silent' });

function chainBackend(blocks: HeadJson[], failLogs = new Set<string>()) {
  const byHash = new Map(blocks.map((b) => [b.hash, b]));
  return new StubBackend({
    eth_getBlockByHash: (params) => byHash.get((params as string[])[0] as string) ?? null,
    eth_getLogs: (params) => {
      const { blockHash } = (params as Array<{ blockHash: string }>)[0] as { blockHash: string };
      if (failLogs.has(blockHash)) throw new Error('no server');
      return [{ address: A, topics: [], blockHash, logIndex: '0x0', removed: false }];
    },
  });
}

function sink() {
  const results: unknown[] = [];
  const errors: RpcErrorObject[] = [];
  return { results, errors, notify: (r: unknown) => results.push(r), fail: (e: RpcErrorObject) => errors.push(e) };
}

describe('proxy head feed (frame over the subscription engine)', () => {
  it('newHeads and logs notifications come from the engine; unsubscribe stops them', async () => {
    const blocks = [1, 2, 3].map((n) => head(n));
    const backend = chainBackend(blocks);
    backend.statusValue = { synced: true, head: undefined, servers: 1 };
    const feed = new HeadFeed(backend, log, { retryDelayMs: 1 });
    const heads = sink();
    const logs = sink();
    feed.subscribe('newHeads', undefined, heads);
    const end = feed.subscribe('logs', { address: A }, logs);
    backend.emitHead(blocks[0] as HeadJson);
    await feed.settled();
    end();
    backend.emitHead(blocks[2] as HeadJson);
    await feed.settled();
    assert.deepEqual(heads.results, blocks);
    assert.deepEqual(logs.results, [{ address: A, topics: [], blockHash: blocks[0]?.hash, logIndex: '0x0', removed: false }]);
    feed.close();
  });

  it('a logs subscription the engine ends becomes one error object (-32000, data.code), nothing after it', async () => {
    const blocks = [1, 2, 3].map((n) => head(n));
    const backend = chainBackend(blocks, new Set([blocks[1]?.hash as string]));
    backend.statusValue = { synced: true, head: undefined, servers: 1 };
    const feed = new HeadFeed(backend, log, { retryDelayMs: 1 });
    const logs = sink();
    feed.subscribe('logs', {}, logs);
    for (const b of blocks) backend.emitHead(b);
    await feed.settled();
    assert.equal(logs.results.length, 1);
    assert.equal(logs.errors.length, 1);
    assert.equal(logs.errors[0]?.code, -32000);
    assert.deepEqual(logs.errors[0]?.data, { code: 'LOGS_UNAVAILABLE' });
    assert.match(String(logs.errors[0]?.message), /logs of block 2/);
    feed.close();
  });

  it('a malformed filter is -32602 naming the field', () => {
    const feed = new HeadFeed(chainBackend([]), log);
    assert.throws(() => feed.subscribe('logs', { address: '0x12' }, sink()), (e: unknown) => e instanceof InvalidParamsError && e.field === 'filter.address');
    feed.close();
  });
});
