// The EIP-1193 object over a stand-in engine (no network): request shapes, error codes through the
// method layer's table, connect/disconnect events, eth_subscribe newHeads and logs messages.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { LesEip1193Provider, ProviderRpcError } from '../../../src/client/eip1193.js';
import { ExecutionRevertedError, MethodNotFoundError } from '../../../src/client/methods/errors.js';
import { NoServerError, VerificationFailedError } from '../../../src/client/scheduler/errors.js';

class StubEngine extends EventEmitter {
  readonly network = { chainId: 31337n };
  readonly calls: Array<[string, unknown]> = [];
  started = 0;
  stopped = 0;
  answer: (method: string, params: unknown) => unknown = () => '0x1';

  async start(): Promise<void> {
    this.started++;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  async request(method: string, params?: unknown): Promise<unknown> {
    this.calls.push([method, params]);
    return this.answer(method, params);
  }
  head(n: number): void {
    this.emit('newHead', headJson(n), {});
  }
}

const hashOf = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const headJson = (n: number) => ({ number: `0x${n.toString(16)}`, hash: hashOf(n), parentHash: hashOf(n - 1) });
const ADDR = `0x${'ab'.repeat(20)}`;

/** Blocks 1..: linked headers; each block has one log from ADDR and one from another address. */
const chainAnswer = (failLogsOf?: string) => (m: string, p: unknown) => {
  const [first] = p as [unknown];
  if (m === 'eth_getBlockByHash') return { ...headJson(Number(BigInt(first as string))), transactions: [] };
  if (m === 'eth_getLogs') {
    const { blockHash } = first as { blockHash: string };
    if (blockHash === failLogsOf) throw new Error('no server');
    return [ADDR, `0x${'cd'.repeat(20)}`].map((address, i) => ({ address, topics: [], blockHash, logIndex: `0x${i}`, removed: false }));
  }
  return '0x1';
};

const make = () => {
  const engine = new StubEngine();
  return { engine, eip: new LesEip1193Provider({ engine, subscriptions: { retryDelayMs: 1 } }) };
};

const rejectsWith = (p: Promise<unknown>, code: number, data?: unknown) =>
  assert.rejects(p, (e: unknown) => e instanceof ProviderRpcError && e.code === code && (data === undefined || e.data === data));

describe('EIP-1193 object', () => {
  it('request goes to the engine (started once) and returns its answer', async () => {
    const { engine, eip } = make();
    assert.equal(await eip.request({ method: 'eth_blockNumber' }), '0x1');
    assert.equal(await eip.request({ method: 'eth_getBalance', params: ['0x00', 'latest'] }), '0x1');
    assert.equal(engine.started, 1);
    assert.deepEqual(engine.calls, [['eth_blockNumber', []], ['eth_getBalance', ['0x00', 'latest']]]);
  });

  it('errors: 4200 unknown method, 3 revert with data, 4900 no server, -32040 verification failed, -32600 bad request', async () => {
    const { engine, eip } = make();
    const errors: Record<string, Error> = {
      eth_nope: new MethodNotFoundError('eth_nope'),
      eth_call: new ExecutionRevertedError('0xdeadbeef', 'nope'),
      eth_getCode: new NoServerError('code', 'none'),
      eth_getStorageAt: new VerificationFailedError('stateProof', ['a']),
    };
    engine.answer = (m) => {
      throw errors[m] as Error;
    };
    await rejectsWith(eip.request({ method: 'eth_nope' }), 4200);
    await rejectsWith(eip.request({ method: 'eth_call' }), 3, '0xdeadbeef');
    await assert.rejects(eip.request({ method: 'eth_call' }), { message: 'execution reverted: nope' });
    await rejectsWith(eip.request({ method: 'eth_getCode' }), 4900);
    await rejectsWith(eip.request({ method: 'eth_getStorageAt' }), -32040);
    await rejectsWith(eip.request(null as never), -32600);
    await rejectsWith(eip.request({ method: 42 } as never), -32600);
  });

  it('connect carries the chain id; disconnect is a 4900 ProviderRpcError; closed means 4900', async () => {
    const { engine, eip } = make();
    const seen: unknown[] = [];
    eip.on('connect', (info) => seen.push(['connect', info]));
    eip.on('disconnect', (err: ProviderRpcError) => seen.push(['disconnect', err.code]));
    engine.emit('connect');
    engine.emit('disconnect');
    assert.deepEqual(seen, [['connect', { chainId: '0x7a69' }], ['disconnect', 4900]]);
    await eip.close();
    assert.equal(engine.stopped, 1);
    await rejectsWith(eip.request({ method: 'eth_blockNumber' }), 4900);
  });

  it('eth_subscribe newHeads: one message per head, skipped ones filled in, until eth_unsubscribe', async () => {
    const { engine, eip } = make();
    engine.answer = chainAnswer();
    const id = (await eip.request({ method: 'eth_subscribe', params: ['newHeads'] })) as string;
    const got: unknown[] = [];
    eip.on('message', (m: { type: string; data: { subscription: string; result: { number: string } } }) => {
      assert.equal(m.type, 'eth_subscription');
      assert.equal(m.data.subscription, id);
      got.push(m.data.result.number);
    });
    engine.head(5);
    engine.head(6);
    await eip.settled();
    engine.head(8);
    await eip.settled();
    assert.equal(await eip.request({ method: 'eth_unsubscribe', params: [id] }), true);
    engine.head(9);
    await eip.settled();
    assert.deepEqual(got, ['0x5', '0x6', '0x7', '0x8']);
    assert.equal(await eip.request({ method: 'eth_unsubscribe', params: [id] }), false);
  });

  it('eth_subscribe logs: the matching logs of every new block (gaps filled), each once', async () => {
    const { engine, eip } = make();
    engine.answer = chainAnswer();
    const id = (await eip.request({ method: 'eth_subscribe', params: ['logs', { address: ADDR, topics: [] }] })) as string;
    const got: Array<{ subscription: string; result: { blockHash: string; address: string; removed: boolean } }> = [];
    eip.on('message', (m: { data: (typeof got)[0] }) => got.push(m.data));
    engine.head(5);
    await eip.settled();
    engine.head(8);
    await eip.settled();
    assert.deepEqual(got.map((d) => [d.subscription, d.result.blockHash, d.result.address, d.result.removed]), [5, 6, 7, 8].map((n) => [id, hashOf(n), ADDR, false]));
  });

  it('eth_subscribe logs: logs that cannot be read end the subscription with an error message (-32000), never a hole', async () => {
    const { engine, eip } = make();
    engine.answer = chainAnswer(hashOf(6));
    const id = (await eip.request({ method: 'eth_subscribe', params: ['logs'] })) as string;
    const got: Array<{ subscription: string; result?: { blockHash: string }; error?: ProviderRpcError }> = [];
    eip.on('message', (m: { data: (typeof got)[0] }) => got.push(m.data));
    for (const n of [5, 6, 7]) engine.head(n);
    await eip.settled();
    assert.deepEqual(got.slice(0, 2).map((d) => d.result?.blockHash), [hashOf(5), hashOf(5)]);
    assert.equal(got.length, 3);
    const end = got[2]?.error;
    assert.ok(end instanceof ProviderRpcError);
    assert.equal(end.code, -32000);
    assert.deepEqual(end.data, { code: 'LOGS_UNAVAILABLE' });
    assert.equal(got[2]?.subscription, id);
    assert.equal(await eip.request({ method: 'eth_unsubscribe', params: [id] }), false);
  });

  it('eth_subscribe of an unknown kind is 4200; malformed params -32602', async () => {
    const { eip } = make();
    await rejectsWith(eip.request({ method: 'eth_subscribe', params: ['newPendingTransactions'] }), 4200);
    await rejectsWith(eip.request({ method: 'eth_subscribe', params: [] }), -32602);
    await rejectsWith(eip.request({ method: 'eth_subscribe', params: ['logs', 'x'] }), -32602);
  });
});
