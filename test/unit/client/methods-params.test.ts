// Hostile params for every method of the table: each malformed call is refused with -32602 naming
// the param, before anything is asked of the Odr or the chain beyond the head; an unknown method
// is -32601 (4200 on EIP-1193) with the words of DESIGN §7.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HeaderChainView, VerifiedHeader } from '../../../src/client/contracts.js';
import { InvalidParamsError, MethodNotFoundError, type MethodsOdr, createMethods, toRpcError } from '../../../src/client/methods/index.js';

const ADDR = '0x' + '11'.repeat(20);
const HASH = '0x' + '22'.repeat(32);
const HEAD = { header: { number: 100 }, hash: new Uint8Array(32), rlp: new Uint8Array(0) } as unknown as VerifiedHeader;

/** Anything but head() throws: validation must not reach the data sources. */
const untouchable = <T extends object>(name: string, allowed: Partial<T> = {}) =>
  new Proxy(allowed as T, {
    get: (target, prop) => {
      if (prop in target) return (target as Record<string | symbol, unknown>)[prop];
      if (prop === 'then') return undefined;
      return () => {
        throw new Error(`${name}.${String(prop)} called during validation`);
      };
    },
  });

const methods = createMethods({
  odr: untouchable<MethodsOdr>('odr', { proof: async () => assert.fail('proof') }),
  chain: untouchable<HeaderChainView>('chain', { head: () => HEAD, sectionSize: 64 }),
  config: { chainId: 31337n, networkId: 31337n, maxLogBlockRange: 1000 },
  call: async () => assert.fail('call handler reached'),
});

/** [method, params, the param the error must name] */
const CASES: Array<[string, unknown, string]> = [
  ['eth_chainId', [1], 'params'],
  ['net_version', ['x'], 'params'],
  ['eth_blockNumber', [{}], 'params'],
  ['eth_syncing', [true], 'params'],
  ['web3_clientVersion', [null], 'params'],
  ['net_listening', [1, 2], 'params'],
  ['eth_accounts', ['latest'], 'params'],
  ['eth_gasPrice', ['latest'], 'params'],
  ['eth_maxPriorityFeePerGas', [1], 'params'],
  ['eth_getBalance', { address: ADDR }, 'params'],
  ['eth_getBalance', ['0x12', 'latest'], 'address'],
  ['eth_getBalance', [ADDR.toUpperCase(), 'latest'], 'address'],
  ['eth_getBalance', [123, 'latest'], 'address'],
  ['eth_getBalance', [ADDR], 'block'],
  ['eth_getBalance', [ADDR, 'foo'], 'block'],
  ['eth_getBalance', [ADDR, 'Latest'], 'block'],
  ['eth_getBalance', [ADDR, '0x01'], 'block'],
  ['eth_getBalance', [ADDR, '0x'], 'block'],
  ['eth_getBalance', [ADDR, '0x20000000000000'], 'block'],
  ['eth_getBalance', [ADDR, 12], 'block'],
  ['eth_getBalance', [ADDR, HASH.slice(0, 64)], 'block'],
  ['eth_getBalance', [ADDR, { blockHash: '0x12' }], 'block.blockHash'],
  ['eth_getBalance', [ADDR, { blockHash: HASH, blockNumber: '0x1' }], 'block'],
  ['eth_getBalance', [ADDR, { blockHash: HASH, requireCanonical: 'yes' }], 'block.requireCanonical'],
  ['eth_getBalance', [ADDR, { blockNumber: 'safe', requireCanonical: true }], 'block.requireCanonical'],
  ['eth_getBalance', [ADDR, { blockNumber: '0xg' }], 'block.blockNumber'],
  ['eth_getBalance', [ADDR, { number: '0x1' }], 'block.number'],
  ['eth_getBalance', [ADDR, {}], 'block'],
  ['eth_getBalance', [ADDR, 'latest', 1], 'params'],
  ['eth_getTransactionCount', [ADDR + '00', 'latest'], 'address'],
  ['eth_getTransactionCount', [ADDR, null], 'block'],
  ['eth_getCode', [null, 'latest'], 'address'],
  ['eth_getCode', [ADDR, ['latest']], 'block'],
  ['eth_getStorageAt', [ADDR, '0x' + '1'.repeat(65), 'latest'], 'slot'],
  ['eth_getStorageAt', [ADDR, 'zz', 'latest'], 'slot'],
  ['eth_getStorageAt', [ADDR, 5, 'latest'], 'slot'],
  ['eth_getStorageAt', [ADDR, '0x0'], 'block'],
  ['eth_getProof', [ADDR, 'notarray', 'latest'], 'storageKeys'],
  ['eth_getProof', [ADDR, ['0xzz'], 'latest'], 'storageKeys[0]'],
  ['eth_getProof', [ADDR, Array.from({ length: 1025 }, () => HASH), 'latest'], 'storageKeys'],
  ['eth_getProof', [ADDR, [], 'pending', 0], 'params'],
  ['eth_getBlockByNumber', ['0x1'], 'fullTransactions'],
  ['eth_getBlockByNumber', ['0x1', 'true'], 'fullTransactions'],
  ['eth_getBlockByNumber', [HASH, false], 'block'],
  ['eth_getBlockByNumber', [{ blockNumber: '0x1' }, false], 'block'],
  ['eth_getBlockByNumber', ['newest', false], 'block'],
  ['eth_getBlockByHash', ['0x1234', false], 'blockHash'],
  ['eth_getBlockByHash', [HASH, 0], 'fullTransactions'],
  ['eth_getBlockTransactionCountByNumber', [{}], 'block'],
  ['eth_getBlockTransactionCountByHash', [HASH.slice(0, 64)], 'blockHash'],
  ['eth_getTransactionByHash', ['0x' + '1'.repeat(63)], 'transactionHash'],
  ['eth_getTransactionByHash', [HASH, 1], 'params'],
  ['eth_getTransactionByBlockHashAndIndex', [HASH, 1], 'index'],
  ['eth_getTransactionByBlockHashAndIndex', [HASH, '0x'], 'index'],
  ['eth_getTransactionByBlockHashAndIndex', ['latest', '0x0'], 'blockHash'],
  ['eth_getTransactionByBlockNumberAndIndex', ['latest', '-0x1'], 'index'],
  ['eth_getTransactionByBlockNumberAndIndex', ['latest', '0x' + 'f'.repeat(17)], 'index'],
  ['eth_getTransactionReceipt', [null], 'transactionHash'],
  ['eth_getTransactionReceipt', [], 'transactionHash'],
  ['eth_getBlockReceipts', ['finalised'], 'block'],
  ['eth_getHeaderByNumber', [HASH], 'block'],
  ['eth_getHeaderByHash', ['latest'], 'blockHash'],
  ['eth_getUncleCountByBlockNumber', [{}], 'block'],
  ['eth_getUncleCountByBlockHash', ['0x12'], 'blockHash'],
  ['eth_getUncleByBlockNumberAndIndex', ['latest', 1], 'index'],
  ['eth_getUncleByBlockNumberAndIndex', ['latest'], 'index'],
  ['eth_getUncleByBlockHashAndIndex', ['0x1', '0x0'], 'blockHash'],
  ['eth_blobBaseFee', ['latest'], 'params'],
  ['net_peerCount', [1], 'params'],
  ['web3_sha3', ['0x1'], 'data'],
  ['web3_sha3', [], 'data'],
  ['eth_getLogs', [], 'filter'],
  ['eth_getLogs', ['x'], 'filter'],
  ['eth_getLogs', [[]], 'filter'],
  ['eth_getLogs', [{ fromBlock: 'x' }], 'filter.fromBlock'],
  ['eth_getLogs', [{ toBlock: HASH }], 'filter.toBlock'],
  ['eth_getLogs', [{ address: '0x12' }], 'filter.address'],
  ['eth_getLogs', [{ address: [ADDR, 'bad'] }], 'filter.address[1]'],
  ['eth_getLogs', [{ address: Array.from({ length: 1001 }, () => ADDR) }], 'filter.address'],
  ['eth_getLogs', [{ topics: HASH }], 'filter.topics'],
  ['eth_getLogs', [{ topics: [['0x12']] }], 'filter.topics[0][0]'],
  ['eth_getLogs', [{ topics: [null, 7] }], 'filter.topics[1]'],
  ['eth_getLogs', [{ topics: [null, null, null, null, null] }], 'filter.topics'],
  ['eth_getLogs', [{ blockHash: HASH, fromBlock: '0x1' }], 'filter.blockHash'],
  ['eth_getLogs', [{ blockHash: '0x00' }], 'filter.blockHash'],
  ['eth_getLogs', [{ foo: 1 }], 'filter.foo'],
  ['eth_getLogs', [{ fromBlock: '0x5', toBlock: '0x1' }], 'filter.fromBlock'],
  ['eth_getLogs', [{ fromBlock: '0x0', toBlock: '0xffffff' }], 'filter'],
  ['eth_getLogs', [{}, {}], 'params'],
  ['eth_feeHistory', ['0x0x', 'latest', []], 'blockCount'],
  ['eth_feeHistory', [-1, 'latest', []], 'blockCount'],
  ['eth_feeHistory', [1.5, 'latest'], 'blockCount'],
  ['eth_feeHistory', ['0x401', 'latest', []], 'blockCount'],
  ['eth_feeHistory', ['0x5', 'bogus', []], 'newestBlock'],
  ['eth_feeHistory', ['0x5'], 'newestBlock'],
  ['eth_feeHistory', ['0x5', 'latest', 'x'], 'rewardPercentiles'],
  ['eth_feeHistory', ['0x5', 'latest', [50, 10]], 'rewardPercentiles[1]'],
  ['eth_feeHistory', ['0x5', 'latest', [101]], 'rewardPercentiles[0]'],
  ['eth_feeHistory', ['0x5', 'latest', ['50']], 'rewardPercentiles[0]'],
  ['eth_feeHistory', ['0x5', 'latest', Array.from({ length: 101 }, () => 1)], 'rewardPercentiles'],
  ['eth_sendRawTransaction', ['0x123'], 'transaction'],
  ['eth_sendRawTransaction', [42], 'transaction'],
  ['eth_sendRawTransaction', ['0xc0'], 'transaction'],
  ['eth_sendRawTransaction', ['0x02' + 'c0'], 'transaction'],
  ['eth_sendRawTransaction', ['0x' + '00'.repeat(2 * 1024 * 1024 + 1)], 'transaction'],
  // A well-formed EIP-1559 transaction whose signature r (0x11…11) is no point's x: nothing to recover.
  ['eth_sendRawTransaction', ['0x02f86c827a69808459682f008459682f0e8252089411111111111111111111111111111111111111118080c001a0' + '11'.repeat(32) + 'a0' + '22'.repeat(32)], 'transaction'],
  ['eth_call', ['notobject', 'latest'], 'transaction'],
  ['eth_call', [{}, 'bogus'], 'block'],
  ['eth_call', [{}, 'latest', {}, {}, 1], 'params'],
  ['eth_call', [{}, 'latest', 'x'], 'stateOverrides'],
  ['eth_estimateGas', [{}, 'latest', {}, {}], 'params'],
  ['eth_createAccessList', [[], 'latest'], 'transaction'],
  ['eth_createAccessList', [{}, 'latest', {}], 'params'],
];

describe('method params', () => {
  it('covers every method in the table', () => {
    const covered = new Set(CASES.map(([m]) => m));
    assert.deepEqual(methods.list().filter((m) => !covered.has(m)), []);
  });

  for (const [method, params, field] of CASES) {
    it(`${method} ${JSON.stringify(params).slice(0, 60)} → -32602 naming ${field}`, async () => {
      await assert.rejects(
        methods.request(method, params),
        (e: unknown) => {
          assert.ok(e instanceof InvalidParamsError, `expected InvalidParamsError, got ${String(e)}`);
          assert.equal(e.field, field, e.message);
          const rpc = toRpcError(e);
          assert.equal(rpc.code, -32602);
          assert.deepEqual(rpc.data, { code: 'INVALID_PARAMS', field });
          assert.equal(toRpcError(e, 'eip1193').code, -32602);
          return true;
        },
      );
    });
  }

  it('deep, cyclic, huge and non-JSON values are -32602 with a short message, never a stack overflow', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const huge = Array.from({ length: 1_000_000 }, (_, i) => i);
    for (const [what, v] of [['deep', deep], ['cyclic', cyclic], ['huge', huge], ['bigint', 5n], ['function', () => 1], ['deep object', { a: { b: { c: { d: { e: 1 } } } } }]] as const) {
      await assert.rejects(methods.request('eth_getBalance', [v, 'latest']), (e: unknown) => {
        assert.ok(e instanceof InvalidParamsError, `${what}: expected InvalidParamsError, got ${String(e)}`);
        assert.equal(e.field, 'address', what);
        assert.ok(e.message.length < 160, `${what}: ${e.message}`);
        return true;
      });
    }
  });

  it('absent params read as [] and trailing optional nulls are allowed', async () => {
    assert.equal(await methods.request('eth_chainId'), '0x7a69');
    assert.equal(await methods.request('eth_chainId', null), '0x7a69');
    assert.equal(await methods.request('net_version', []), '31337');
    assert.equal(await methods.request('eth_blockNumber', []), '0x64');
  });

  for (const name of ['eth_foo', 'eth_sign', 'debug_traceTransaction', '__proto__', 'constructor', 'toString', '']) {
    it(`unknown method ${JSON.stringify(name)} → -32601 / 4200`, async () => {
      await assert.rejects(methods.request(name, []), (e: unknown) => {
        assert.ok(e instanceof MethodNotFoundError);
        assert.deepEqual(toRpcError(e), { code: -32601, message: `the method ${name} does not exist/is not available`, data: { code: 'METHOD_NOT_FOUND', field: 'method' } });
        assert.equal(toRpcError(e, 'eip1193').code, 4200);
        return true;
      });
    });
  }

  it('eth_getProof and eth_call exist only with an Odr.proof and a CallHandler', () => {
    const bare = createMethods({ odr: untouchable<MethodsOdr>('odr', { proof: undefined }), chain: untouchable<HeaderChainView>('chain'), config: { chainId: 1n, networkId: 1n } });
    for (const m of ['eth_getProof', 'eth_call', 'eth_estimateGas', 'eth_createAccessList']) {
      assert.equal(bare.has(m), false, m);
      assert.equal(methods.has(m), true, m);
    }
    assert.equal(bare.list().length + 4, methods.list().length);
  });
});
