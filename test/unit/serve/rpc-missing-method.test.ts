/**
 * "No such method" as execution clients and providers word it, told apart from a refusal of the
 * parameters (which means the method is there) and from transport failures.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NodeRpcError, isMissingMethod } from '../../../src/serve/rpc/errors.js';

const rpcError = (rpcCode: number, message: string) => new NodeRpcError('NODE_RPC_ERROR', 'eth_getBlockReceipts', message, { rpcCode });

describe('isMissingMethod', () => {
  it('recognises the spec code and the wordings of geth, Erigon, Nethermind, Hardhat and hosted providers', () => {
    for (const [code, msg] of [
      [-32601, 'Method not found'],
      [-32601, 'the method eth_getBlockReceipts does not exist/is not available'],
      [-32000, 'the method eth_getBlockReceipts does not exist/is not available'],
      [-32004, 'Method eth_getBlockReceipts is not supported'],
      [-32600, "The method 'eth_getBlockReceipts' is not supported."],
      [-32600, 'Unsupported method: eth_getBlockReceipts. See available methods at https://docs.example'],
    ] as const) {
      assert.equal(isMissingMethod(rpcError(code, msg)), true, msg);
    }
  });

  it('a refusal of the parameters, a pruned state, a timeout or a bad answer is not "missing"', () => {
    assert.equal(isMissingMethod(rpcError(-32602, 'invalid argument 0: hex string without 0x prefix')), false);
    assert.equal(isMissingMethod(rpcError(-32000, 'missing trie node 4a7c… (path ) state 0x4a7c… is not available, not found')), false);
    assert.equal(isMissingMethod(rpcError(-32000, 'header not found')), false);
    assert.equal(isMissingMethod(new NodeRpcError('NODE_TIMEOUT', 'eth_getBlockReceipts', 'no answer within 30000 ms')), false);
    assert.equal(isMissingMethod(new NodeRpcError('NODE_BAD_RESPONSE', 'eth_getBlockReceipts', 'Method not found')), false);
    assert.equal(isMissingMethod(new Error('Method not found')), false);
  });
});
