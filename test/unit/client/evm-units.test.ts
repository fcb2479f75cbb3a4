// Unit tests of the local EVM's pieces: revert reasons (Solidity's encodings, built with ethers),
// transaction rules (EIP-2028, EIP-3860, EIP-2930, EIP-7623, EIP-3529 formulas), EIP-4844's blob
// fee, the journaled state manager with overrides and miss recording, and hostile call params.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbiCoder, Interface } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { Misses } from '../../../src/client/evm/block-state.js';
import { parseCallArgs, parseStateOverrides } from '../../../src/client/evm/call-params.js';
import { blobBaseFee } from '../../../src/client/evm/env.js';
import { fakeExponential } from '../../../src/client/methods/fee-math.js';
import { ethjs, makeCommon } from '../../../src/client/evm/ethjs.js';
import { revertReason } from '../../../src/client/evm/revert.js';
import { BaseState, CallStateManager, MissingState } from '../../../src/client/evm/state-manager.js';
import { floorDataGas, gasUsedAfterRefund, intrinsicGas, pricing } from '../../../src/client/evm/tx-rules.js';
import { InvalidParamsError } from '../../../src/client/methods/errors.js';
import { EMPTY_CODE_HASH } from '../../../src/verify/state.js';
import { EMPTY_TRIE_ROOT } from '../../../src/verify/trie-builder.js';

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const A = bytes('0x1111111111111111111111111111111111111111');
const B = bytes('0x2222222222222222222222222222222222222222');
const slot = (n: number): Uint8Array => bytes(n.toString(16).padStart(64, '0'));

describe('revert reasons', () => {
  const iface = new Interface(['error Error(string)', 'error Panic(uint256)', 'error Custom(uint256)']);
  it('Error(string) gives its string, Panic its words and code, others none', () => {
    assert.equal(revertReason(bytes(iface.encodeErrorResult('Error', ['not enough ✓']))), 'not enough ✓');
    assert.equal(revertReason(bytes(iface.encodeErrorResult('Panic', [0x11]))), 'panic: arithmetic underflow or overflow (0x11)');
    assert.equal(revertReason(bytes(iface.encodeErrorResult('Panic', [0x99]))), 'panic: unknown code (0x99)');
    assert.equal(revertReason(bytes(iface.encodeErrorResult('Custom', [1]))), undefined);
    assert.equal(revertReason(new Uint8Array(0)), undefined);
  });
  it('malformed Error(string) data gives no reason instead of throwing', () => {
    const good = bytes(iface.encodeErrorResult('Error', ['abc']));
    assert.equal(revertReason(good.subarray(0, 40)), undefined);
    const badOffset = Uint8Array.from(good);
    badOffset[35] = 0xff;
    assert.equal(revertReason(badOffset), undefined);
    const badUtf8 = bytes(`0x08c379a0${AbiCoder.defaultAbiCoder().encode(['bytes'], ['0xff']).slice(2)}`);
    assert.equal(revertReason(badUtf8), undefined);
  });
});

describe('transaction rules (prague)', async () => {
  const m = await ethjs();
  const prague = makeCommon(m, 1n, 'prague');
  const london = makeCommon(m, 1n, 'london');
  it('intrinsic gas: 21000 base, 4/16 per zero/non-zero byte, creation 53000 + 2 per initcode word, access list 2400 + 1900', () => {
    assert.equal(intrinsicGas(prague, { to: A, data: new Uint8Array(0) }), 21000n);
    assert.equal(intrinsicGas(prague, { to: A, data: bytes('0x0001') }), 21000n + 4n + 16n);
    assert.equal(intrinsicGas(prague, { data: bytes(`0x${'01'.repeat(33)}`) }), 53000n + 33n * 16n + 2n * 2n);
    assert.equal(intrinsicGas(london, { data: bytes(`0x${'01'.repeat(33)}`) }), 53000n + 33n * 16n);
    assert.equal(intrinsicGas(prague, { to: A, data: new Uint8Array(0), accessList: [{ address: B, storageKeys: [slot(1), slot(2)] }] }), 21000n + 2400n + 2n * 1900n);
  });
  it('EIP-7623 floor: 21000 + 10 per token (zero byte 1, non-zero 4); none before prague', () => {
    assert.equal(floorDataGas(prague, bytes('0x0001')), 21000n + 10n * (1n + 4n));
    assert.equal(floorDataGas(london, bytes('0x0001')), 0n);
  });
  it('refund capped at a fifth of the gas used, then the floor', () => {
    assert.equal(gasUsedAfterRefund(prague, 50000n, 20000n, 0n), 40000n);
    assert.equal(gasUsedAfterRefund(prague, 50000n, 4000n, 0n), 46000n);
    assert.equal(gasUsedAfterRefund(prague, 50000n, 20000n, 45000n), 45000n);
  });
  it('gas price: legacy as given, EIP-1559 min(tip + base fee, fee cap), none = 0', () => {
    const base = { value: 0n, data: new Uint8Array(0) };
    assert.deepEqual(pricing({ ...base, gasPrice: 7n }, 5n), { gasPrice: 7n, feeCap: 7n, priceless: false });
    assert.equal(pricing({ ...base, maxFeePerGas: 100n, maxPriorityFeePerGas: 2n }, 50n).gasPrice, 52n);
    assert.equal(pricing({ ...base, maxFeePerGas: 51n, maxPriorityFeePerGas: 2n }, 50n).gasPrice, 51n);
    assert.deepEqual(pricing(base, 50n), { gasPrice: 0n, feeCap: 0n, priceless: true });
  });
  it("EIP-4844 blob base fee: fake_exponential, prague's update fraction", () => {
    assert.equal(fakeExponential(1n, 0n, 3338477n), 1n);
    assert.equal(blobBaseFee(0n, 'prague'), 1n);
    // e^(excess/fraction) with excess = 10 × fraction is ~22026.
    const v = blobBaseFee(50077160n, 'prague') as bigint;
    assert.ok(v > 21900n && v < 22100n, String(v));
    assert.equal(blobBaseFee(undefined, 'prague'), undefined);
  });
});

describe('journaled state manager over block state', async () => {
  const m = await ethjs();
  const addr = (b: Uint8Array) => new m.util.Address(b);
  const block = () => ({
    accounts: new Map([[Buffer.from(A).toString('hex'), { nonce: 1n, balance: 10n, storageRoot: keccak256(bytes('0x01')), codeHash: EMPTY_CODE_HASH }]]),
    storage: new Map([[Buffer.from(A).toString('hex') + Buffer.from(slot(1)).toString('hex'), 5n]]),
    code: new Map<string, Uint8Array>(),
  });

  it('reads base values, journals writes, commit keeps and revert drops them', async () => {
    const sm = new CallStateManager(m, new BaseState(block(), new Map(), new Misses(), 'continue'));
    assert.equal((await sm.getAccount(addr(A)))?.balance, 10n);
    assert.deepEqual(await sm.getStorage(addr(A), slot(1)), Uint8Array.of(5));
    await sm.checkpoint();
    await sm.putStorage(addr(A), slot(1), bytes(`0x${'00'.repeat(31)}07`));
    await sm.checkpoint();
    await sm.putStorage(addr(A), slot(1), Uint8Array.of(9));
    await sm.clearStorage(addr(A));
    assert.deepEqual(await sm.getStorage(addr(A), slot(1)), new Uint8Array(0));
    await sm.revert();
    assert.deepEqual(await sm.getStorage(addr(A), slot(1)), Uint8Array.of(7));
    await sm.commit();
    assert.deepEqual(await sm.getStorage(addr(A), slot(1)), Uint8Array.of(7));
    assert.deepEqual(await sm.originalStorageCache.get(addr(A), slot(1)), Uint8Array.of(5));
  });

  it('a missing key is recorded and read as absent (continue), or stops the run (abort)', async () => {
    const misses = new Misses();
    const sm = new CallStateManager(m, new BaseState(block(), new Map(), misses, 'continue'));
    assert.equal(await sm.getAccount(addr(B)), undefined);
    assert.deepEqual(await sm.getStorage(addr(A), slot(2)), new Uint8Array(0));
    assert.deepEqual(await sm.getCode(addr(A)), new Uint8Array(0), 'an account without code needs no fetch');
    assert.deepEqual([misses.accounts.size, misses.storage.size, misses.code.size], [1, 1, 0]);
    const abort = new CallStateManager(m, new BaseState(block(), new Map(), new Misses(), 'abort'));
    await assert.rejects(abort.getStorage(addr(A), slot(3)), MissingState);
  });

  it('state overrides: balance, code (and its hash), state replaces storage, stateDiff changes slots', async () => {
    const code = bytes('0x6001600055');
    const overrides = parseStateOverrides({
      [`0x${Buffer.from(A).toString('hex')}`]: { balance: '0x64', code: `0x${Buffer.from(code).toString('hex')}`, state: { '0x2': `0x${'00'.repeat(31)}03` } },
      [`0x${Buffer.from(B).toString('hex')}`]: { nonce: '0x5', stateDiff: { '0x1': `0x${'00'.repeat(31)}04` } },
    });
    const misses = new Misses();
    const sm = new CallStateManager(m, new BaseState({ ...block(), accounts: new Map([...block().accounts, [Buffer.from(B).toString('hex'), null]]) }, overrides, misses, 'continue'));
    const a = await sm.getAccount(addr(A));
    assert.equal(a?.balance, 100n);
    assert.deepEqual(a?.codeHash, keccak256(code));
    assert.deepEqual(await sm.getCode(addr(A)), code);
    assert.deepEqual(await sm.getStorage(addr(A), slot(1)), new Uint8Array(0), 'state replaces the whole storage');
    assert.deepEqual(await sm.getStorage(addr(A), slot(2)), Uint8Array.of(3));
    const b = await sm.getAccount(addr(B));
    assert.equal(b?.nonce, 5n);
    assert.deepEqual(b?.storageRoot, EMPTY_TRIE_ROOT);
    assert.deepEqual(await sm.getStorage(addr(B), slot(1)), Uint8Array.of(4));
    assert.equal(misses.size, 0);
  });
});

describe('call params', () => {
  const bad = (v: unknown, field: string) =>
    assert.throws(() => parseCallArgs(v), (e: unknown) => e instanceof InvalidParamsError && e.field === field, `${JSON.stringify(v)} → ${field}`);
  it('each malformed field is -32602 naming it', () => {
    bad(null, 'transaction');
    bad({ to: '0x12' }, 'transaction.to');
    bad({ gas: '0x01' }, 'transaction.gas');
    bad({ value: 5 }, 'transaction.value');
    bad({ data: '0x00', input: '0x01' }, 'transaction.input');
    bad({ gasPrice: '0x1', maxFeePerGas: '0x1' }, 'transaction.gasPrice');
    bad({ maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x2' }, 'transaction.maxPriorityFeePerGas');
    bad({ accessList: [{ address: '0x00', storageKeys: [] }] }, 'transaction.accessList[0].address');
    bad({ authorizationList: [{}] }, 'transaction.authorizationList');
    assert.throws(() => parseStateOverrides({ '0x12': {} }), (e: unknown) => e instanceof InvalidParamsError && e.field === 'stateOverrides.0x12');
  });
  it('nonce, type and chainId are checked though they do not change a call; chainId must be the network\'s', () => {
    bad({ nonce: 'junk' }, 'transaction.nonce');
    bad({ nonce: '0x' + '1'.repeat(17) }, 'transaction.nonce');
    bad({ nonce: 5 }, 'transaction.nonce');
    bad({ type: 'legacy' }, 'transaction.type');
    bad({ type: '0x5' }, 'transaction.type');
    bad({ type: '0x7e' }, 'transaction.type');
    bad({ chainId: [] }, 'transaction.chainId');
    bad({ chainId: '0xzz' }, 'transaction.chainId');
    assert.throws(() => parseCallArgs({ chainId: '0x1' }, 'transaction', 31337n), (e: unknown) => e instanceof InvalidParamsError && e.field === 'transaction.chainId');
    const ok = parseCallArgs({ nonce: '0x7', type: '0x2', chainId: '0x7a69', data: '0x01' }, 'transaction', 31337n);
    assert.deepEqual(ok.data, bytes('0x01'));
  });
  it('input wins over data; unknown keys are ignored as geth does', () => {
    const args = parseCallArgs({ input: '0xabcd', chainId: '0x1', whatever: true });
    assert.deepEqual(args.data, bytes('0xabcd'));
    assert.equal(args.value, 0n);
  });
});
