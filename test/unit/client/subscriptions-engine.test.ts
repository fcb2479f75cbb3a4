// The subscription engine over a fake chain source: heads and logs delivered exactly once in chain
// order, gaps filled, reorgs followed by hash (removed: true newest first, then the new branch),
// and every case it cannot follow ends the subscription with a typed error instead of skipping.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { parseSubscriptionFilter } from '../../../src/client/methods/log-filter.js';
import { type HeadJson, type LogJson, type Subscription, SubscriptionEngine, SubscriptionError, type SubscriptionEngineOptions } from '../../../src/client/subscriptions/index.js';

const A = `0x${'aa'.repeat(20)}`;
const B = `0x${'bb'.repeat(20)}`;
const T0 = `0x${'00'.repeat(32)}`;

/** Block `n` on fork `fork` (its parent on `parentFork`): recognisable hashes. */
function block(n: number, fork = 0, parentFork = fork): HeadJson {
  const h = (k: number, f: number) => `0x${f.toString(16).padStart(2, '0')}${k.toString(16).padStart(62, '0')}`;
  return { number: `0x${n.toString(16)}`, hash: h(n, fork), parentHash: n === 0 ? T0 : h(n - 1, parentFork), miner: `0x${'00'.repeat(20)}` };
}

/** A chain source knowing the given blocks; each block has two logs (from A, then from B). */
class FakeChain extends EventEmitter {
  readonly byHash = new Map<string, HeadJson>();
  readonly calls: Array<[string, unknown]> = [];
  failLogs = new Set<string>();
  failHeaders = new Set<string>();
  head: { number: number; hash: string } | undefined;

  constructor(blocks: HeadJson[]) {
    super();
    for (const b of blocks) this.add(b);
  }

  add(...blocks: HeadJson[]): void {
    for (const b of blocks) this.byHash.set(b.hash, b);
  }

  static logsOf(hash: string): LogJson[] {
    return [A, B].map((address, i) => ({ address, topics: [`0x${'00'.repeat(31)}0${i}`], blockHash: hash, logIndex: `0x${i}`, removed: false }));
  }

  async request(method: string, params?: unknown): Promise<unknown> {
    this.calls.push([method, params]);
    const [p] = params as [unknown];
    if (method === 'eth_getBlockByHash') {
      if (this.failHeaders.has(p as string)) throw new Error('no server');
      const b = this.byHash.get(p as string);
      return b === undefined ? null : { ...b, transactions: [], size: '0x1' };
    }
    if (method === 'eth_getLogs') {
      const hash = (p as { blockHash: string }).blockHash;
      if (this.failLogs.has(hash)) throw new Error('no server');
      return FakeChain.logsOf(hash);
    }
    throw new Error(`unexpected ${method}`);
  }

  status() {
    return { head: this.head };
  }

  emitHead(b: HeadJson): void {
    this.emit('newHead', b);
  }
}

const engineOf = (chain: FakeChain, o: SubscriptionEngineOptions = {}) => new SubscriptionEngine(chain, { retryDelayMs: 1, ...o });

/** Every log delivered to `sub` as [blockHash, address, removed], and its end. */
function logsOf(sub: Subscription) {
  const got: Array<[string, string, boolean]> = [];
  const end: { error?: SubscriptionError; ended: boolean } = { ended: false };
  sub.listen({
    item: (l) => got.push([String(l.blockHash), String(l.address), (l as LogJson).removed === true]),
    end: (e) => Object.assign(end, { ended: true, error: e }),
  });
  return { got, end };
}

const both = (b: HeadJson, removed = false): Array<[string, string, boolean]> => (removed ? [[b.hash, B, true], [b.hash, A, true]] : [[b.hash, A, false], [b.hash, B, false]]);

describe('subscription engine', () => {
  it('newHeads: every head in order, blocks skipped between two heads filled in (header fields only)', async () => {
    const blocks = [1, 2, 3, 4, 5, 6].map((n) => block(n));
    const chain = new FakeChain(blocks);
    const engine = engineOf(chain);
    const sub = engine.subscribeHeads();
    chain.emitHead(blocks[0] as HeadJson);
    await engine.settled();
    chain.emitHead(blocks[4] as HeadJson);
    await engine.settled();
    chain.emitHead(blocks[5] as HeadJson);
    await engine.settled();
    const got = sub.take() as HeadJson[];
    assert.deepEqual(got.map((h) => h.hash), blocks.map((b) => b.hash));
    assert.deepEqual(got[2], blocks[2], 'a filled-in header has no block-only fields');
    engine.close();
  });

  it('asks nothing while no one is subscribed; the first subscription starts after the newest head known', async () => {
    const blocks = [1, 2, 3].map((n) => block(n));
    const chain = new FakeChain(blocks);
    const engine = engineOf(chain);
    chain.emitHead(blocks[0] as HeadJson);
    chain.emitHead(blocks[1] as HeadJson);
    assert.equal(chain.calls.length, 0);
    const { got } = logsOf(engine.subscribeLogs(parseSubscriptionFilter({}, 'filter')));
    chain.emitHead(blocks[2] as HeadJson);
    await engine.settled();
    assert.deepEqual(got, both(blocks[2] as HeadJson));
    engine.close();
  });

  it('starts after the source\'s status head when no head event came yet, and fills in from there', async () => {
    const blocks = [1, 2, 3, 4].map((n) => block(n));
    const chain = new FakeChain(blocks);
    chain.head = { number: 1, hash: blocks[0]?.hash as string };
    const engine = engineOf(chain);
    const { got } = logsOf(engine.subscribeLogs(parseSubscriptionFilter({ address: A }, 'filter')));
    chain.emitHead(blocks[3] as HeadJson);
    await engine.settled();
    assert.deepEqual(got.map(([h]) => h), [2, 3, 4].map((n) => block(n).hash));
    engine.close();
  });

  it('a jump of 40 blocks delivers the logs of all 40, in order, each once', async () => {
    const blocks = Array.from({ length: 41 }, (_, i) => block(i + 1));
    const chain = new FakeChain(blocks);
    const engine = engineOf(chain);
    const { got } = logsOf(engine.subscribeLogs(parseSubscriptionFilter({}, 'filter')));
    chain.emitHead(blocks[0] as HeadJson);
    await engine.settled();
    chain.emitHead(blocks[40] as HeadJson);
    await engine.settled();
    assert.deepEqual(got, blocks.flatMap((b) => both(b)));
    engine.close();
  });

  it('a reorg: the dropped blocks\' logs with removed: true (newest block first, logs reversed), then the new branch\'s', async () => {
    const old = [1, 2, 3, 4].map((n) => block(n));
    const fork = [block(3, 1, 0), block(4, 1), block(5, 1)];
    const chain = new FakeChain([...old, ...fork]);
    const engine = engineOf(chain);
    const { got } = logsOf(engine.subscribeLogs(parseSubscriptionFilter({}, 'filter')));
    const heads = engine.subscribeHeads();
    for (const b of old) chain.emitHead(b);
    await engine.settled();
    chain.emitHead(fork[2] as HeadJson);
    await engine.settled();
    assert.deepEqual(got, [...old.flatMap((b) => both(b)), ...both(old[3] as HeadJson, true), ...both(old[2] as HeadJson, true), ...fork.flatMap((b) => both(b))]);
    assert.deepEqual((heads.take() as HeadJson[]).map((h) => h.hash), [...old, ...fork].map((b) => b.hash), 'the new branch\'s headers re-delivered from the fork on');
    engine.close();
  });

  it('a reorg to a shorter branch, and a rollback to a delivered block (delivered again as the head)', async () => {
    const old = [1, 2, 3, 4].map((n) => block(n));
    const shorter = block(4, 2, 0);
    const chain = new FakeChain([...old, shorter]);
    const engine = engineOf(chain);
    const { got } = logsOf(engine.subscribeLogs(parseSubscriptionFilter({ address: B }, 'filter')));
    const heads = engine.subscribeHeads();
    for (const b of old) chain.emitHead(b);
    await engine.settled();
    chain.emitHead(old[1] as HeadJson); // rollback to 2
    await engine.settled();
    chain.emitHead(shorter); // 4'' on top of... 3 is gone: its parent is 3 of fork 0 — not delivered any more
    await engine.settled();
    const bOnly = (b: HeadJson, removed: boolean): [string, string, boolean] => [b.hash, B, removed];
    assert.deepEqual(got, [
      ...old.map((b) => bOnly(b, false)),
      bOnly(old[3] as HeadJson, true),
      bOnly(old[2] as HeadJson, true),
      bOnly(old[2] as HeadJson, false), // 3 is canonical again under 4''
      bOnly(shorter, false),
    ]);
    assert.deepEqual((heads.take() as HeadJson[]).map((h) => h.hash), [...old, old[1], old[2], shorter].map((b) => b?.hash));
    engine.close();
  });

  it('a subscription made after a block was delivered is not sent its removal', async () => {
    const old = [1, 2, 3].map((n) => block(n));
    const fork = [block(3, 1, 0), block(4, 1)];
    const chain = new FakeChain([...old, ...fork]);
    const engine = engineOf(chain);
    const first = logsOf(engine.subscribeLogs(parseSubscriptionFilter({ address: A }, 'filter')));
    for (const b of old) chain.emitHead(b);
    await engine.settled();
    const late = logsOf(engine.subscribeLogs(parseSubscriptionFilter({ address: A }, 'filter')));
    chain.emitHead(fork[1] as HeadJson);
    await engine.settled();
    assert.deepEqual(late.got, fork.map((b) => [b.hash, A, false]));
    assert.deepEqual(first.got.slice(3), [[old[2]?.hash, A, true], ...fork.map((b) => [b.hash, A, false])]);
    engine.close();
  });

  it('a failing eth_getLogs is retried, then ends the logs subscriptions with LOGS_UNAVAILABLE; newHeads goes on', async () => {
    const blocks = [1, 2, 3].map((n) => block(n));
    const chain = new FakeChain(blocks);
    chain.failLogs.add(blocks[1]?.hash as string);
    const engine = engineOf(chain, { attempts: 3 });
    const logs = logsOf(engine.subscribeLogs(parseSubscriptionFilter({}, 'filter')));
    const heads = engine.subscribeHeads();
    chain.emitHead(blocks[0] as HeadJson);
    await engine.settled();
    chain.emitHead(blocks[2] as HeadJson);
    await engine.settled();
    assert.deepEqual(logs.got, both(blocks[0] as HeadJson), 'nothing after the block that could not be read');
    assert.equal(logs.end.ended, true);
    assert.ok(logs.end.error instanceof SubscriptionError);
    assert.equal(logs.end.error.code, 'LOGS_UNAVAILABLE');
    assert.equal(chain.calls.filter(([m, p]) => m === 'eth_getLogs' && (p as [{ blockHash: string }])[0].blockHash === blocks[1]?.hash).length, 3);
    assert.deepEqual((heads.take() as HeadJson[]).map((h) => h.hash), blocks.map((b) => b.hash));
    assert.equal(engine.subscriptions, 1);
    engine.close();
  });

  it('a header that cannot be fetched ends every subscription with HEADER_UNAVAILABLE', async () => {
    const blocks = [1, 2, 3].map((n) => block(n));
    const chain = new FakeChain(blocks);
    chain.failHeaders.add(blocks[1]?.hash as string);
    const engine = engineOf(chain);
    const logs = logsOf(engine.subscribeLogs(parseSubscriptionFilter({}, 'filter')));
    const heads = engine.subscribeHeads();
    chain.emitHead(blocks[0] as HeadJson);
    await engine.settled();
    chain.emitHead(blocks[2] as HeadJson);
    await engine.settled();
    assert.equal(logs.end.error?.code, 'HEADER_UNAVAILABLE');
    assert.equal(heads.error?.code, 'HEADER_UNAVAILABLE');
    assert.deepEqual(heads.take().length, 1, 'block 1 only: 2 and 3 are not delivered out of order');
    engine.close();
  });

  it('a failure while a newer head waits follows that head instead (no error, nothing skipped)', async () => {
    const old = [1, 2].map((n) => block(n));
    const fork = [block(2, 1, 0), block(3, 1)];
    const chain = new FakeChain([...old, ...fork]);
    const engine = engineOf(chain);
    const { got, end } = logsOf(engine.subscribeLogs(parseSubscriptionFilter({ address: A }, 'filter')));
    chain.emitHead(old[0] as HeadJson);
    await engine.settled();
    // Block 2 leaves the chain before its logs are read: the source no longer answers for it.
    chain.failLogs.add(old[1]?.hash as string);
    chain.emitHead(old[1] as HeadJson);
    chain.emitHead(fork[1] as HeadJson);
    await engine.settled();
    assert.equal(end.ended, false);
    assert.deepEqual(got, [[old[0]?.hash, A, false], ...fork.map((b) => [b.hash, A, false])]);
    engine.close();
  });

  it('a gap beyond maxGap ends every subscription with GAP_TOO_LARGE (before fetching the gap)', async () => {
    const chain = new FakeChain([block(1), block(100)]);
    const engine = engineOf(chain, { maxGap: 16 });
    const logs = logsOf(engine.subscribeLogs(parseSubscriptionFilter({}, 'filter')));
    chain.emitHead(block(1));
    await engine.settled();
    chain.emitHead(block(100));
    await engine.settled();
    assert.deepEqual(logs.got, both(block(1)));
    assert.equal(logs.end.error?.code, 'GAP_TOO_LARGE');
    assert.equal(chain.calls.filter(([m]) => m === 'eth_getBlockByHash').length, 0);
    engine.close();
  });

  it('a reorg below the remembered window ends the subscriptions with REORG_TOO_DEEP', async () => {
    const old = Array.from({ length: 10 }, (_, i) => block(i + 1));
    const fork = Array.from({ length: 9 }, (_, i) => block(i + 3, 1, i === 0 ? 0 : 1)); // forks after block 2
    const chain = new FakeChain([...old, ...fork]);
    const engine = engineOf(chain, { window: 4 });
    const logs = logsOf(engine.subscribeLogs(parseSubscriptionFilter({}, 'filter')));
    for (const b of old) chain.emitHead(b);
    await engine.settled();
    chain.emitHead(fork.at(-1) as HeadJson);
    await engine.settled();
    assert.equal(logs.end.error?.code, 'REORG_TOO_DEEP');
    assert.equal(logs.got.length, 20);
    engine.close();
  });

  it('poll mode: a bounded queue per subscriber; an unread queue past maxQueue ends with QUEUE_OVERFLOW', async () => {
    const blocks = [1, 2, 3, 4].map((n) => block(n));
    const chain = new FakeChain(blocks);
    const engine = engineOf(chain, { maxQueue: 3 });
    const polled = engine.subscribeLogs(parseSubscriptionFilter({}, 'filter'));
    const other = engine.subscribeLogs(parseSubscriptionFilter({ address: A }, 'filter'));
    chain.emitHead(blocks[0] as HeadJson);
    await engine.settled();
    assert.deepEqual(polled.take(1), [{ ...FakeChain.logsOf(blocks[0]?.hash as string)[0], removed: false }]);
    assert.equal(polled.take().length, 1);
    for (const b of blocks.slice(1, 3)) chain.emitHead(b);
    await engine.settled();
    assert.equal(polled.error?.code, 'QUEUE_OVERFLOW');
    assert.equal(other.error, undefined);
    assert.deepEqual(other.take().map((l) => l.blockHash), blocks.slice(0, 3).map((b) => b.hash));
    engine.close();
  });
});
