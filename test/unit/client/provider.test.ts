// LesProvider over a stand-in engine (no network): the static network (no eth_chainId asked),
// requests and errors through ethers (a revert becomes a CallExceptionError with its data),
// `block` events pushed from new heads (gaps filled, lower heads ignored), destroy stops the engine.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { isCallException } from 'ethers';
import { LesProvider } from '../../../src/client/provider.js';
import { ExecutionRevertedError } from '../../../src/client/methods/errors.js';

class StubEngine extends EventEmitter {
  readonly network = { chainId: 31337n };
  readonly calls: string[] = [];
  number = 10;
  stopped = 0;
  answer: (method: string, params: unknown) => unknown = (m) => (m === 'eth_blockNumber' ? `0x${this.number.toString(16)}` : '0x2a');

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.stopped++;
  }
  async request(method: string, params?: unknown): Promise<unknown> {
    this.calls.push(method);
    return this.answer(method, params);
  }
  head(): { header: { number: number } } {
    return { header: { number: this.number } };
  }
  newHead(n: number): void {
    this.number = n;
    this.emit('newHead', { number: `0x${n.toString(16)}`, hash: '0x', parentHash: '0x' }, { header: { number: n } });
  }
}

const settle = () => new Promise((r) => setTimeout(r, 10));

describe('LesProvider', () => {
  it('has the configured chain id without asking eth_chainId', async () => {
    const engine = new StubEngine();
    const provider = new LesProvider({ engine });
    assert.equal((await provider.getNetwork()).chainId, 31337n);
    assert.equal(await provider.getBalance('0x000000000000000000000000000000000000dEaD'), 42n);
    assert.ok(!engine.calls.includes('eth_chainId'), engine.calls.join(','));
    await provider.close();
    assert.equal(engine.stopped, 1);
  });

  it('a request reaches the engine at once, not behind ethers\' batch timer (unless batchStallTime asks for batching)', async () => {
    // A timer set before the call fires before any timer the call sets (same delay, set first):
    // ethers' batch drain is a setTimeout (≥ 1 ms in Node even at stall time 0).
    const reached = async (provider: LesProvider, engine: StubEngine) => {
      const early = new Promise<boolean>((r) => setTimeout(() => r(engine.calls.includes('eth_getBalance')), 0));
      const answer = provider.send('eth_getBalance', ['0x000000000000000000000000000000000000dEaD', 'latest']);
      const seen = await early;
      assert.equal(await answer, '0x2a');
      await provider.close();
      return seen;
    };
    const direct = new StubEngine();
    assert.equal(await reached(new LesProvider({ engine: direct }), direct), true);
    const batched = new StubEngine();
    assert.equal(await reached(new LesProvider({ engine: batched, batchStallTime: 5 }), batched), false);
  });

  it('send after destroy is refused; an engine error keeps its JSON-RPC code through send', async () => {
    const engine = new StubEngine();
    engine.answer = () => {
      throw new ExecutionRevertedError('0x', 'no');
    };
    const provider = new LesProvider({ engine });
    await assert.rejects(provider.send('eth_call', [{ to: '0x000000000000000000000000000000000000dEaD' }, 'latest']), (e: unknown) => isCallException(e));
    provider.destroy();
    await assert.rejects(provider.send('eth_blockNumber', []), /destroyed/);
  });

  it('a revert reaches ethers as a CallExceptionError with the revert data and reason', async () => {
    const engine = new StubEngine();
    const data = '0x08c379a0000000000000000000000000000000000000000000000000000000000000002000000000000000000000000000000000000000000000000000000000000000026e6f000000000000000000000000000000000000000000000000000000000000';
    engine.answer = (m) => {
      if (m === 'eth_call') throw new ExecutionRevertedError(data, 'no');
      return '0x1';
    };
    const provider = new LesProvider({ engine });
    await assert.rejects(provider.call({ to: '0x000000000000000000000000000000000000dEaD', data: '0x' }), (e: unknown) => isCallException(e) && e.data === data && e.reason === 'no');
    await provider.close();
  });

  it('block events come from new heads: every number of a gap once, nothing for a lower head, none after off', async () => {
    const engine = new StubEngine();
    const provider = new LesProvider({ engine });
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    await provider.on('block', listener);
    engine.newHead(11);
    engine.newHead(14);
    engine.newHead(12);
    await settle();
    assert.deepEqual(seen, [11, 12, 13, 14]);
    await provider.off('block', listener);
    engine.newHead(15);
    await settle();
    assert.deepEqual(seen, [11, 12, 13, 14]);
    assert.ok(!engine.calls.includes('eth_blockNumber'), 'no polling for block numbers');
    provider.destroy();
    await settle();
    assert.equal(engine.stopped, 1);
  });
});
