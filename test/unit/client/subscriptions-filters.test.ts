// Polled filters over the subscription engine and a fake chain: changes since the last poll, numeric
// block bounds, expiry of unpolled filters (injected clock), the live-filter limit, geth's id format,
// "filter not found", and the sent-transaction log of pending-transaction filters.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { parseLogFilter } from '../../../src/client/methods/log-filter.js';
import { PendingPool } from '../../../src/client/methods/pending.js';
import type { ParsedTx } from '../../../src/client/methods/tx-format.js';
import { FilterError, FilterRegistry } from '../../../src/client/subscriptions/filters.js';
import { type HeadJson, SubscriptionEngine, type SubscriptionError } from '../../../src/client/subscriptions/index.js';

const A = `0x${'aa'.repeat(20)}`;
const hashOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const block = (n: number): HeadJson => ({ number: `0x${n.toString(16)}`, hash: hashOf(n + 1000), parentHash: hashOf(n + 999) });

/** A linear chain; each block has one log from A. */
class FakeChain extends EventEmitter {
  readonly blocks = new Map<string, HeadJson>();
  head = block(10);

  async request(method: string, params?: unknown): Promise<unknown> {
    const [p] = params as [unknown];
    if (method === 'eth_getBlockByHash') return this.blocks.get(p as string) ?? null;
    const hash = (p as { blockHash: string }).blockHash;
    const b = [...this.blocks.values()].find((x) => x.hash === hash) as HeadJson;
    return [{ address: A, topics: [], blockHash: hash, blockNumber: b.number, removed: false }];
  }

  status() {
    return { head: { number: Number(this.head.number), hash: this.head.hash } };
  }

  mine(): HeadJson {
    const b = block(Number(this.head.number) + 1);
    this.blocks.set(b.hash, b);
    this.head = b;
    this.emit('newHead', b);
    return b;
  }
}

const tx = (i: number) => ({ hash: new Uint8Array(32).fill(i) }) as unknown as ParsedTx;
const asHash = (t: ParsedTx) => `0x${Buffer.from(t.hash).toString('hex')}`;

function setup(o: { timeoutMs?: number; maxFilters?: number } = {}) {
  const chain = new FakeChain();
  chain.blocks.set(chain.head.hash, chain.head);
  const engine = new SubscriptionEngine(chain, { retryDelayMs: 1 });
  const pool = new PendingPool(4);
  const clock = { t: 0 };
  const filters = new FilterRegistry<ParsedTx>(engine, pool, { ...o, now: () => clock.t });
  const changes = (id: string) => filters.changes(id, (t) => asHash(t));
  return { chain, engine, pool, clock, filters, changes };
}

describe('FilterRegistry', () => {
  it('ids as geth formats them; log and block filters report what arrived since the last poll, nothing from before', async () => {
    const { chain, engine, filters, changes } = setup();
    const logs = await filters.newLogFilter(parseLogFilter({ address: A }, 'filter'), {});
    const heads = await filters.newBlockFilter();
    for (const id of [logs, heads]) assert.match(id, /^0x([1-9a-f][0-9a-f]{0,31}|0)$/);
    assert.notEqual(logs, heads);
    assert.deepEqual(changes(logs), []);
    const b11 = chain.mine();
    const b12 = chain.mine();
    await engine.settled();
    assert.deepEqual(changes(heads), [b11.hash, b12.hash]);
    assert.deepEqual(changes(logs).map((l) => (l as { blockHash: string }).blockHash), [b11.hash, b12.hash]);
    assert.deepEqual(changes(logs), []);
    assert.deepEqual(changes(heads.toUpperCase().replace('0X', '0x')), [], 'ids are matched without regard to case');
  });

  it('numeric fromBlock/toBlock bound the blocks a log filter reports', async () => {
    const { chain, engine, filters, changes } = setup();
    const id = await filters.newLogFilter(parseLogFilter({ fromBlock: '0xc', toBlock: '0xd' }, 'filter'), { from: 12, to: 13 });
    for (let i = 0; i < 4; i++) chain.mine();
    await engine.settled();
    assert.deepEqual(changes(id).map((l) => (l as { blockNumber: string }).blockNumber), ['0xc', '0xd']);
  });

  it('a filter not polled within the timeout is gone ("filter not found"); polling keeps it', async () => {
    const { clock, filters, changes, engine } = setup({ timeoutMs: 1000 });
    const kept = await filters.newBlockFilter();
    const left = await filters.newBlockFilter();
    assert.equal(engine.subscriptions, 2);
    clock.t = 900;
    changes(kept);
    clock.t = 1500;
    assert.deepEqual(changes(kept), []);
    assert.throws(() => changes(left), (e: unknown) => e instanceof FilterError && e.code === 'FILTER_NOT_FOUND' && e.message === 'filter not found');
    assert.equal(engine.subscriptions, 1, 'the expired filter no longer holds an engine subscription');
    assert.equal(filters.uninstall(left), false);
    assert.equal(filters.uninstall(kept), true);
    assert.equal(filters.uninstall(kept), false);
    assert.equal(engine.subscriptions, 0);
  });

  it('at most maxFilters live filters (FILTER_LIMIT); uninstalling makes room', async () => {
    const { filters } = setup({ maxFilters: 2 });
    const a = await filters.newBlockFilter();
    await filters.newPendingTransactionFilter(false);
    await assert.rejects(filters.newBlockFilter(), (e: unknown) => e instanceof FilterError && e.code === 'FILTER_LIMIT');
    filters.uninstall(a);
    await filters.newBlockFilter();
  });

  it('eth_getFilterLogs is for log filters only: a block filter is "not found" there', async () => {
    const { filters } = setup();
    const heads = await filters.newBlockFilter();
    assert.throws(() => filters.logFilter(heads), (e: unknown) => e instanceof FilterError && e.code === 'FILTER_NOT_FOUND');
    assert.throws(() => filters.logFilter('0x1234'), (e: unknown) => e instanceof FilterError && e.code === 'FILTER_NOT_FOUND');
  });

  it('pending-transaction filters: each transaction sent after the filter, once; the sent log is bounded', async () => {
    const { pool, filters, changes } = setup();
    pool.noteSent(tx(1));
    const id = await filters.newPendingTransactionFilter(false);
    pool.noteSent(tx(2));
    pool.noteSent(tx(2));
    pool.noteSent(tx(3));
    assert.deepEqual(changes(id), [asHash(tx(2)), asHash(tx(3))]);
    assert.deepEqual(changes(id), []);
    for (let i = 4; i < 10; i++) pool.noteSent(tx(i));
    assert.deepEqual(changes(id), [6, 7, 8, 9].map((i) => asHash(tx(i))), 'the 4 newest of 6 (pendingLimit 4)');
  });

  it('a stream the engine ended: its items, then the error, then "not found"', async () => {
    const { chain, engine, filters, changes } = setup();
    const id = await filters.newBlockFilter();
    const b = chain.mine();
    await engine.settled();
    // A head 2000 blocks ahead: beyond maxGap, the engine ends every subscription.
    chain.emit('newHead', { ...block(3000), parentHash: hashOf(1) });
    await engine.settled();
    assert.deepEqual(changes(id), [b.hash]);
    assert.throws(() => changes(id), (e: unknown) => (e as SubscriptionError).code === 'GAP_TOO_LARGE');
    assert.throws(() => changes(id), (e: unknown) => e instanceof FilterError && e.code === 'FILTER_NOT_FOUND');
  });
});
