// The one error table (DESIGN §7) the proxy and the EIP-1193 object share: each kind of failure of
// the layers below maps to its documented JSON-RPC code on each surface.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChainError } from '../../../src/client/chain/errors.js';
import { OdrError } from '../../../src/client/odr/errors.js';
import { NoServerError, RetrieveTimeoutError, SchedulerClosedError, VerificationFailedError } from '../../../src/client/scheduler/errors.js';
import { ExecutionRevertedError, MethodError, VERIFICATION_FAILED_RPC_CODE, toRpcError } from '../../../src/client/methods/index.js';
import { VerificationError } from '../../../src/verify/errors.js';
import { ProtocolError } from '../../../src/wire/errors.js';

describe('toRpcError', () => {
  const codes = (e: unknown) => [toRpcError(e, 'proxy').code, toRpcError(e, 'eip1193').code];

  it('no server: -32002 on the proxy, 4900 on EIP-1193', () => {
    assert.deepEqual(codes(new NoServerError('receipts', 'none connected')), [-32002, 4900]);
    assert.deepEqual(codes(new OdrError('NO_SERVER', 'txStatus', 'no connected server can answer')), [-32002, 4900]);
    assert.deepEqual(codes(new SchedulerClosedError('body')), [-32002, 4900]);
    assert.equal(toRpcError(new NoServerError('receipts', 'x')).message, 'no LES server connected that can answer');
  });

  it('verification failed on every server: its own documented code, on both surfaces', () => {
    assert.equal(VERIFICATION_FAILED_RPC_CODE, -32040);
    const failed = new VerificationFailedError('stateProof', ['a', 'b']);
    assert.deepEqual(codes(failed), [-32040, -32040]);
    assert.equal(toRpcError(failed).message, 'verification failed on every server that could answer');
    assert.deepEqual(toRpcError(failed).data, { code: 'VERIFICATION_FAILED', field: 'kind' });
    assert.deepEqual(codes(new VerificationError('ROOT_MISMATCH', 'receipts', 'x')), [-32040, -32040]);
    assert.deepEqual(codes(new OdrError('BAD_INCLUSION', 'txStatus', 'x')), [-32040, -32040]);
  });

  it('timeouts, missing headers, limits, rejected transactions, reverts', () => {
    assert.deepEqual(codes(new RetrieveTimeoutError('body', 5000, 2)), [-32002, -32002]);
    assert.deepEqual(codes(new ChainError('NOT_AVAILABLE', 'number', 'beyond the head')), [-32000, -32000]);
    assert.equal(toRpcError(new ChainError('NOT_AVAILABLE', 'number', 'x')).message, 'header not found');
    assert.deepEqual(codes(new MethodError('LIMIT_EXCEEDED', 'query returned more than 10000 results')), [-32005, -32005]);
    const rejected = toRpcError(new MethodError('TX_REJECTED', 'nonce too low'));
    assert.deepEqual([rejected.code, rejected.message], [-32000, 'nonce too low']);
    const revert = toRpcError(new ExecutionRevertedError('0x08c379a0', 'no'));
    assert.deepEqual(revert, { code: 3, message: 'execution reverted: no', data: '0x08c379a0' });
  });

  it('anything else is an internal error that shows no internals', () => {
    assert.deepEqual(toRpcError(new Error('secret path /home/x')), { code: -32603, message: 'internal error' });
    assert.deepEqual(toRpcError('boom', 'eip1193'), { code: -32603, message: 'internal error' });
    assert.deepEqual(codes(new ProtocolError('MALFORMED', 'Receipts', 'x', 'y')), [-32603, -32603]);
  });
});
