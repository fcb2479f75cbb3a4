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
    this.emit('newHead', { number: `0x${n.toString(16)}`, hash: `0x${n.toString(16).padStart(64, '0')}`, parentHash: '0x' }, {});
  }
}

const make = () => {
  const engine = new StubEngine();
  return { engine, eip: new LesEip1193Provider({ engine }) };
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

  it('eth_subscribe newHeads: one message per head until eth_unsubscribe', async () => {
    const { engine, eip } = make();
    const id = (await eip.request({ method: 'eth_subscribe', params: ['newHeads'] })) as string;
    const got: unknown[] = [];
    eip.on('message', (m: { type: string; data: { subscription: string; result: { number: string } } }) => {
      assert.equal(m.type, 'eth_subscription');
      assert.equal(m.data.subscription, id);
      got.push(m.data.result.number);
    });
    engine.head(5);
    engine.head(6);
    assert.equal(await eip.request({ method: 'eth_unsubscribe', params: [id] }), true);
    engine.head(7);
    assert.deepEqual(got, ['0x5', '0x6']);
    assert.equal(await eip.request({ method: 'eth_unsubscribe', params: [id] }), false);
  });

  it('eth_subscribe logs: each head asks eth_getLogs for the blocks since the last with the filter, and emits each log', async () => {
    const { engine, eip } = make();
    engine.answer = (m, p) => (m === 'eth_getLogs' ? [{ logIndex: '0x0', range: p }] : '0x1');
    const id = (await eip.request({ method: 'eth_subscribe', params: ['logs', { address: '0xab', topics: [null] }] })) as string;
    const got: unknown[] = [];
    eip.on('message', (m: { data: { subscription: string; result: unknown } }) => got.push(m.data));
    engine.head(5);
    engine.head(8);
    await new Promise((r) => setImmediate(r));
    const asked = engine.calls.filter(([m]) => m === 'eth_getLogs').map(([, p]) => p);
    assert.deepEqual(asked, [
      [{ address: '0xab', topics: [null], fromBlock: '0x5', toBlock: '0x5' }],
      [{ address: '0xab', topics: [null], fromBlock: '0x6', toBlock: '0x8' }],
    ]);
    assert.equal(got.length, 2);
    assert.ok(got.every((d) => (d as { subscription: string }).subscription === id));
  });

  it('eth_subscribe of an unknown kind is 4200; malformed params -32602', async () => {
    const { eip } = make();
    await rejectsWith(eip.request({ method: 'eth_subscribe', params: ['newPendingTransactions'] }), 4200);
    await rejectsWith(eip.request({ method: 'eth_subscribe', params: [] }), -32602);
    await rejectsWith(eip.request({ method: 'eth_subscribe', params: ['logs', 'x'] }), -32602);
  });
});
