// lesTransport over a stand-in engine: our errors surface as viem's typed errors (the same classes
// http() gives for the same JSON-RPC error), each after exactly one request (no retries); a
// custom-error revert decodes as ContractFunctionRevertedError; the engine starts once, on first use.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  BaseError} from 'viem';
import {
  ContractFunctionRevertedError,
  InvalidInputRpcError,
  InvalidParamsRpcError,
  MethodNotFoundRpcError,
  ResourceUnavailableRpcError,
  RpcRequestError,
  createPublicClient,
  encodeErrorResult,
} from 'viem';
import { ExecutionRevertedError, InvalidParamsError, MethodNotFoundError } from '../../../src/client/methods/errors.js';
import { NoServerError, NotServedError, VerificationFailedError } from '../../../src/client/scheduler/errors.js';
import { type ViemEngine, lesTransport } from '../../../src/viem.js';
import { PING_ABI } from '../../helpers/ping-contract.js';

const ADDRESS = `0x${'12'.repeat(20)}` as const;

/** Answers eth_chainId and eth_blockNumber; every other method throws `fail`. Counts requests and starts. */
function standIn(fail: () => unknown) {
  const calls: string[] = [];
  let starts = 0;
  const engine: ViemEngine = {
    start: async () => {
      starts++;
    },
    stop: async () => undefined,
    request: async (method) => {
      calls.push(method);
      if (method === 'eth_chainId') return '0x7a69';
      if (method === 'eth_blockNumber') return '0x10';
      throw fail();
    },
  };
  return { engine, calls, starts: () => starts };
}

/** The error a request ends with (viem's), and how many times it reached the engine. */
async function failure(fail: () => unknown, method = 'eth_getBalance') {
  const s = standIn(fail);
  const client = createPublicClient({ transport: lesTransport(s.engine) });
  const err = await client.request({ method: method as 'eth_getBalance', params: [ADDRESS, 'latest'] }).then(
    () => assert.fail('answered'),
    (e: unknown) => e as BaseError,
  );
  return { err, attempts: s.calls.filter((m) => m === method).length };
}

describe('lesTransport', () => {
  it('a custom-error revert decodes as ContractFunctionRevertedError, after one eth_call', async () => {
    const data = encodeErrorResult({ abi: PING_ABI, errorName: 'Nope', args: [7n] });
    const s = standIn(() => new ExecutionRevertedError(data));
    const client = createPublicClient({ transport: lesTransport(s.engine) });
    const err = await client.readContract({ address: ADDRESS, abi: PING_ABI, functionName: 'fail' }).then(
      () => assert.fail('answered'),
      (e: unknown) => e as BaseError,
    );
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    assert.ok(reverted !== null, `a ContractFunctionRevertedError, got ${err.name}`);
    assert.equal(reverted.data?.errorName, 'Nope');
    assert.deepEqual(reverted.data?.args, [7n]);
    assert.deepEqual(s.calls.filter((m) => m === 'eth_call'), ['eth_call'], 'no retry');
  });

  it('verification failed everywhere: RpcRequestError -32040 with data.code, no retry', async () => {
    const { err, attempts } = await failure(() => new VerificationFailedError('proofs', ['a', 'b']));
    const rpc = err.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
    assert.ok(rpc !== null, err.name);
    assert.equal(rpc.code, -32040);
    assert.deepEqual(rpc.data, { code: 'VERIFICATION_FAILED', field: 'kind' });
    assert.equal(attempts, 1);
  });

  it('not served: InvalidInputRpcError (-32000) carrying data.code NOT_SERVED, no retry', async () => {
    const { err, attempts } = await failure(() => new NotServedError('proofs', 2));
    assert.ok(err instanceof InvalidInputRpcError, err.name);
    const rpc = err.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null;
    assert.deepEqual((rpc?.data as { code?: string } | undefined)?.code, 'NOT_SERVED');
    assert.equal(attempts, 1);
  });

  it('no server: ResourceUnavailableRpcError; bad params: InvalidParamsRpcError; unknown method: MethodNotFoundRpcError — one request each', async () => {
    const cases: Array<[() => unknown, new (...a: never[]) => BaseError]> = [
      [() => new NoServerError('proofs', 'none connected'), ResourceUnavailableRpcError],
      [() => new InvalidParamsError('address', 'bad'), InvalidParamsRpcError],
      [() => new MethodNotFoundError('eth_getBalance'), MethodNotFoundRpcError],
    ];
    for (const [fail, cls] of cases) {
      const { err, attempts } = await failure(fail);
      assert.ok(err instanceof cls, `${cls.name}, got ${err.name}`);
      assert.equal(attempts, 1, cls.name);
    }
  });

  it('an internal error (-32603, which viem would retry) is not retried either', async () => {
    const { err, attempts } = await failure(() => new Error('boom'));
    assert.equal((err.walk((e) => e instanceof RpcRequestError) as RpcRequestError | null)?.code, -32603);
    assert.equal(attempts, 1);
  });

  it('the engine of a surface is used, started once on first use; close() leaves an engine passed in running', async () => {
    const s = standIn(() => new Error('unused'));
    let stopped = 0;
    s.engine.stop = async () => {
      stopped++;
    };
    const transport = lesTransport({ engine: s.engine });
    const client = createPublicClient({ transport });
    assert.equal(s.starts(), 0);
    assert.equal(await client.getBlockNumber({ cacheTime: 0 }), 16n);
    assert.equal(await client.getChainId(), 31337);
    assert.equal(s.starts(), 1);
    await client.transport.close();
    assert.equal(stopped, 0);
    assert.equal(client.transport.engine, s.engine);
  });

  it('options that are no LesClient options are refused at once (ConfigError naming the option)', () => {
    assert.throws(() => lesTransport({ network: 'devnet', servers: [] }), (e: unknown) => (e as { field?: string }).field === 'genesisHash');
  });
});
