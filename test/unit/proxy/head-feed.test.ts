import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { HeadJson } from '../../../src/proxy/backend.js';
import { HeadFeed } from '../../../src/proxy/head-feed.js';
import { type LogJson, parseLogFilter } from '../../../src/proxy/log-filter.js';
import { StubBackend, head } from './stub-backend.js';

const A = `0x${'aa'.repeat(20)}`;
const B = `0x${'bb'.repeat(20)}`;
const log = pino({ level: 'silent' });

/** A backend knowing the blocks given; each block has two logs: one from A, one from B. */
function chainBackend(blocks: HeadJson[]) {
  const byHash = new Map(blocks.map((b) => [b.hash, b]));
  const logsOf = (hash: string): LogJson[] =>
    [A, B].map((address, i) => ({ address, topics: [`0x${'00'.repeat(31)}0${i}`], blockHash: hash, logIndex: `0x${i}`, removed: false }));
  return new StubBackend({
    eth_getBlockByHash: (params) => byHash.get((params as string[])[0] as string) ?? null,
    eth_getLogs: (params) => logsOf(((params as Array<{ blockHash: string }>)[0] as { blockHash: string }).blockHash),
  });
}

function collect(feed: HeadFeed, filter: unknown, after = 0) {
  const got: Array<[string, boolean]> = [];
  feed.addLogSink({ filter: parseLogFilter(filter), after, deliver: (l) => got.push([String(l.blockHash), l.removed === true]) });
  return got;
}

describe('proxy head feed (subscriptions source)', () => {
  it('passes heads on in order and asks the backend nothing while no logs subscription exists', async () => {
    const backend = chainBackend([]);
    const feed = new HeadFeed(backend, log);
    const seen: string[] = [];
    feed.addHeadSink((h) => seen.push(h.hash));
    for (let n = 1; n <= 5; n++) backend.emitHead(head(n));
    await feed.settled();
    assert.deepEqual(seen, [1, 2, 3, 4, 5].map((n) => head(n).hash));
    assert.equal(backend.calls.length, 0);
    assert.equal(feed.latestNumber(), 5);
    feed.close();
  });

  it('ignores head events without a valid hash, parentHash and number', async () => {
    const backend = chainBackend([]);
    const feed = new HeadFeed(backend, log);
    const seen: unknown[] = [];
    feed.addHeadSink((h) => seen.push(h));
    backend.emit('newHead', { hash: '0x12', parentHash: head(1).parentHash, number: '0x1' });
    backend.emit('newHead', { ...head(2), number: 2 });
    backend.emit('newHead', null);
    backend.emitHead(head(3));
    assert.deepEqual(seen, [head(3)]);
    feed.close();
  });

  it('delivers the matching logs of each new block after the subscription, in order', async () => {
    const blocks = [1, 2, 3].map((n) => head(n));
    const backend = chainBackend(blocks);
    const feed = new HeadFeed(backend, log);
    const onlyA = collect(feed, { address: A }, 1);
    const all = collect(feed, {}, 1);
    for (const b of blocks) backend.emitHead(b);
    await feed.settled();
    assert.deepEqual(onlyA, [[blocks[1]?.hash, false], [blocks[2]?.hash, false]]);
    assert.equal(all.length, 4);
    // One eth_getLogs per block, shared by both subscriptions; block 1 (at/below `after`) is fetched but not delivered.
    assert.equal(backend.calls.filter((c) => c.method === 'eth_getLogs').length, 3);
    feed.close();
  });

  it('fills in blocks skipped between two heads', async () => {
    const blocks = [1, 2, 3, 4, 5].map((n) => head(n));
    const backend = chainBackend(blocks);
    const feed = new HeadFeed(backend, log);
    const got = collect(feed, { address: A });
    backend.emitHead(blocks[0] as HeadJson);
    await feed.settled();
    backend.emitHead(blocks[4] as HeadJson);
    await feed.settled();
    assert.deepEqual(got.map(([h]) => h), blocks.map((b) => b.hash));
    feed.close();
  });

  it('on a reorg delivers the dropped blocks\' logs again with removed: true (newest first), then the new chain\'s', async () => {
    const old = [1, 2, 3, 4].map((n) => head(n));
    // Fork 1 leaves the chain after block 2: 3' (parent 2), 4', 5'.
    const fork = [head(3, 1, 0), head(4, 1), head(5, 1)];
    const backend = chainBackend([...old, ...fork]);
    const feed = new HeadFeed(backend, log);
    const got = collect(feed, { address: A });
    for (const b of old) backend.emitHead(b);
    await feed.settled();
    backend.emitHead(fork[2] as HeadJson);
    await feed.settled();
    assert.deepEqual(got, [
      ...old.map((b) => [b.hash, false]),
      [old[3]?.hash, true],
      [old[2]?.hash, true],
      ...fork.map((b) => [b.hash, false]),
    ]);
    feed.close();
  });

  it('a reorg to a shorter chain removes the dropped block\'s logs', async () => {
    const old = [1, 2, 3].map((n) => head(n));
    const replacement = head(3, 2, 0);
    const backend = chainBackend([...old, replacement]);
    const feed = new HeadFeed(backend, log);
    const got = collect(feed, { address: B });
    for (const b of old) backend.emitHead(b);
    await feed.settled();
    backend.emitHead(replacement);
    await feed.settled();
    assert.deepEqual(got.slice(3), [[old[2]?.hash, true], [replacement.hash, false]]);
    feed.close();
  });

  it('a jump beyond the gap limit delivers the new head only, without guessing removals', async () => {
    const backend = chainBackend([head(1), head(100)]);
    const feed = new HeadFeed(backend, log, { maxGap: 16 });
    const got = collect(feed, { address: A });
    backend.emitHead(head(1));
    await feed.settled();
    backend.emitHead(head(100));
    await feed.settled();
    assert.deepEqual(got, [[head(1).hash, false], [head(100).hash, false]]);
    assert.equal(backend.calls.filter((c) => c.method === 'eth_getBlockByHash').length, 0);
    feed.close();
  });

  it('a failing eth_getLogs skips that block and the feed keeps going', async () => {
    const blocks = [1, 2, 3].map((n) => head(n));
    const backend = chainBackend(blocks);
    const inner = backend.methods.get('eth_getLogs');
    backend.methods.set('eth_getLogs', (params, signal) => {
      if ((params as Array<{ blockHash: string }>)[0]?.blockHash === blocks[1]?.hash) throw new Error('no server');
      return inner?.(params, signal);
    });
    const feed = new HeadFeed(backend, log);
    const got = collect(feed, { address: A });
    for (const b of blocks) backend.emitHead(b);
    await feed.settled();
    assert.deepEqual(got.map(([h]) => h), [blocks[0]?.hash, blocks[2]?.hash]);
    feed.close();
  });

  it('a head that is a block already seen (rollback) removes the logs of the blocks after it, and nothing else', async () => {
    const old = [1, 2, 3, 4].map((n) => head(n));
    const backend = chainBackend(old);
    const feed = new HeadFeed(backend, log);
    const got = collect(feed, { address: A });
    for (const b of old) backend.emitHead(b);
    await feed.settled();
    backend.emitHead(old[1] as HeadJson);
    await feed.settled();
    assert.deepEqual(got.slice(4), [[old[3]?.hash, true], [old[2]?.hash, true]]);
    // The chain goes on from block 2.
    const next = head(3, 3, 0);
    backend.methods.set('eth_getBlockByHash', () => null);
    backend.emitHead(next);
    await feed.settled();
    assert.deepEqual(got.slice(6), [[next.hash, false]]);
    feed.close();
  });
});
