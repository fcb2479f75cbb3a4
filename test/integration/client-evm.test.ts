// The local EVM (src/client/evm) against anvil --hardfork prague: eth_call, eth_estimateGas and
// eth_createAccessList over state fetched through an Odr-shaped source backed by anvil, each
// answer compared with anvil's own answer to the same request at the same block. Round trips of
// a cold ERC-20 balanceOf are counted and printed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AbiCoder, id } from 'ethers';
import type { VerifiedHeader } from '../../src/client/contracts.js';
import { type CallMethod, EvmCall, type FetchStats, type MissMode } from '../../src/client/evm/index.js';
import { toRpcError } from '../../src/client/methods/errors.js';
import { type Anvil, RpcError, startAnvil } from '../helpers/anvil.js';
import { AnvilStateOdr, anvilChain, anvilHeader } from '../helpers/anvil-odr-evm.js';
import { ENV_FIELDS, TOKEN_CTOR, envReaderRuntime, forwarderRuntime, initcode, tokenRuntime } from '../unit/client/evm-asm.js';

const abi = AbiCoder.defaultAbiCoder();
const sel = (sig: string): string => id(sig).slice(0, 10);
const enc = (types: string[], values: unknown[]): string => abi.encode(types, values).slice(2);
const STRANGER = '0x000000000000000000000000000000000000dead';

interface Rpc {
  code: number;
  message: string;
  data?: unknown;
}

describe('local EVM against anvil (prague)', () => {
  let anvil: Anvil;
  let acct: string;
  let other: string;
  let token: string;
  let fwd: string;
  let env: string;
  let head: VerifiedHeader;
  let tag: string;
  const made: Array<{ odr: AnvilStateOdr; evm: EvmCall; stats: Array<[CallMethod, FetchStats]> }> = [];

  const setup = (missMode: MissMode = 'continue', early = true) => {
    const odr = new AnvilStateOdr(anvil);
    const stats: Array<[CallMethod, FetchStats]> = [];
    const evm = new EvmCall({
      odr,
      chain: anvilChain(anvil, head),
      chainId: 31337n,
      hardfork: 'prague',
      missMode,
      ...(early ? { earlyCode: odr.earlyCode } : {}),
      onStats: (m, s) => stats.push([m, s]),
    });
    const x = { odr, evm, stats };
    made.push(x);
    return x;
  };

  /** Our answer, or our error as the EIP-1193 object would show it. */
  const ours = async (evm: EvmCall, method: CallMethod, params: unknown[]): Promise<unknown> => {
    try {
      return await evm.request(method, params, head);
    } catch (e) {
      return toRpcError(e, 'eip1193');
    }
  };
  const theirs = async (method: CallMethod, params: unknown[]): Promise<unknown> => {
    try {
      return await anvil.rpc(method, [params[0], tag, ...params.slice(1)]);
    } catch (e) {
      if (!(e instanceof RpcError)) throw e;
      return { code: e.code, message: e.message.replace(`${method}: `, ''), data: e.data };
    }
  };

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    [acct, other] = (await anvil.rpc<string[]>('eth_accounts')) as [string, string];
    const receipt = async (h: string): Promise<{ contractAddress: string; status: string }> => {
      for (;;) {
        const r = await anvil.rpc<{ contractAddress: string; status: string } | null>('eth_getTransactionReceipt', [h]);
        if (r !== null) return r;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const deploy = async (code: string): Promise<string> => (await receipt(await anvil.rpc<string>('eth_sendTransaction', [{ from: acct, data: code }]))).contractAddress;
    token = await deploy(initcode(tokenRuntime(), TOKEN_CTOR));
    fwd = await deploy(initcode(forwarderRuntime()));
    env = await deploy(initcode(envReaderRuntime()));
    const sent = await anvil.rpc<string>('eth_sendTransaction', [{ from: acct, to: token, data: sel('transfer(address,uint256)') + enc(['address', 'uint256'], [other, 12345n]) }]);
    assert.equal((await receipt(sent)).status, '0x1');
    await anvil.rpc('anvil_mine', ['0x3']);
    head = await anvilHeader(anvil);
    tag = `0x${head.header.number.toString(16)}`;
  });
  after(async () => anvil?.stop());

  const balanceOf = (holder: string) => ({ to: token, data: sel('balanceOf(address)') + enc(['address'], [holder]) });

  it("ERC-20 reads equal anvil's; a cold balanceOf takes at most 2 round trips", async () => {
    const { odr, evm } = setup();
    const got = await ours(evm, 'eth_call', [balanceOf(acct)]);
    console.log(`# cold balanceOf: ${odr.rounds} round trip(s), ${odr.requests.length} requests (${odr.requests.map((r) => `${r.kind}@${r.round}`).join(' ')})`);
    assert.equal(got, await theirs('eth_call', [balanceOf(acct)]));
    assert.ok(odr.rounds <= 2, `${odr.rounds} round trips`);
    assert.equal(await ours(evm, 'eth_call', [balanceOf(other)]), await theirs('eth_call', [balanceOf(other)]));
    const supply = { to: token, data: sel('totalSupply()') };
    assert.equal(await ours(evm, 'eth_call', [supply]), await theirs('eth_call', [supply]));
  });

  it('a second call at the same block asks nothing again', async () => {
    const { odr, evm } = setup();
    await evm.request('eth_call', [balanceOf(acct)], head);
    const n = odr.requests.length;
    odr.clearCache();
    assert.equal(await evm.request('eth_call', [balanceOf(acct)], head), await theirs('eth_call', [balanceOf(acct)]));
    assert.equal(odr.requests.length, n);
  });

  it("a contract calling another contract, in either miss mode, equals anvil's", async () => {
    const tx = { to: fwd, data: `0x${enc(['address'], [token])}${(sel('balanceOf(address)') + enc(['address'], [other])).slice(2)}` };
    const want = await theirs('eth_call', [tx]);
    for (const mode of ['continue', 'abort'] as const) {
      const { odr, evm } = setup(mode);
      assert.equal(await ours(evm, 'eth_call', [tx]), want);
      console.log(`# forwarder→token.balanceOf, mode ${mode}: ${odr.rounds} round trip(s)`);
    }
    const { odr } = setup('continue', false);
    const plain = new EvmCall({ odr, chain: anvilChain(anvil, head), chainId: 31337n, hardfork: 'prague' });
    assert.equal(await ours(plain, 'eth_call', [tx]), want);
    console.log(`# forwarder→token.balanceOf without early code: ${odr.rounds} round trip(s)`);
  });

  it("msg.* and block.* reads equal anvil's, with and without a sender and a gas price", async () => {
    const { evm } = setup();
    const words = (s: string) => ENV_FIELDS.map((f, i) => `${f}=${s.slice(2 + 64 * i, 2 + 64 * (i + 1))}`);
    for (const tx of [{ to: env, from: acct, gasPrice: '0x3b9aca00' }, { to: env, from: other, maxFeePerGas: '0x77359400', maxPriorityFeePerGas: '0x3b9aca00', value: '0x5' }]) {
      assert.deepEqual(words((await ours(evm, 'eth_call', [tx])) as string), words((await theirs('eth_call', [tx])) as string), JSON.stringify(tx));
    }
    // A call at gas price 0 sees BASEFEE 0, as geth runs it (NoBaseFee); anvil's BASEFEE there
    // depends on the caller's account. Every other word must equal anvil's.
    for (const tx of [{ to: env }, { to: env, from: acct }]) {
      const got = words((await ours(evm, 'eth_call', [tx])) as string);
      const want = words((await theirs('eth_call', [tx])) as string);
      assert.equal(got[6], `basefee=${'0'.repeat(64)}`);
      assert.deepEqual(got.filter((_w, i) => i !== 6), want.filter((_w, i) => i !== 6), JSON.stringify(tx));
    }
  });

  it('reverts: Error(string), custom error, Panic, and one bubbled up through a call — code 3 with the same data', async () => {
    const { evm } = setup();
    const cases = [
      { from: STRANGER, to: token, data: sel('transfer(address,uint256)') + enc(['address', 'uint256'], [acct, 5n]) },
      { from: acct, to: token, data: sel('failCustom(uint256)') + enc(['uint256'], [7n]) },
      { to: token, data: sel('divide(uint256)') + enc(['uint256'], [0n]) },
      { from: STRANGER, to: fwd, data: `0x${enc(['address'], [token])}${(sel('transfer(address,uint256)') + enc(['address', 'uint256'], [acct, 5n])).slice(2)}` },
    ];
    for (const [i, tx] of cases.entries()) {
      const got = (await ours(evm, 'eth_call', [tx])) as Rpc;
      const want = (await theirs('eth_call', [tx])) as Rpc;
      assert.equal(got.code, 3, `case ${i}`);
      assert.equal(want.code, 3, `case ${i}`);
      assert.equal(got.data, want.data, `case ${i}`);
      // anvil prints a custom error's raw bytes as text; we leave the reason out (callers decode data).
      if (i === 1) assert.equal(got.message, 'execution reverted');
      else assert.equal(got.message, want.message, `case ${i}`);
    }
    assert.equal((await ours(evm, 'eth_call', [{ to: token, data: sel('divide(uint256)') + enc(['uint256'], [4n]) }])), await theirs('eth_call', [{ to: token, data: sel('divide(uint256)') + enc(['uint256'], [4n]) }]));
  });

  it("eth_estimateGas equals anvil's (transfer with a refund, a fresh slot, a plain transfer, a creation) and reverts like it", async () => {
    const { evm } = setup();
    const transfer = (from: string, to: string, amount: bigint) => ({ from, to: token, data: sel('transfer(address,uint256)') + enc(['address', 'uint256'], [to, amount]) });
    const cases = [
      transfer(acct, fwd, 5n),
      transfer(other, acct, 12345n),
      { from: acct, to: other, value: '0x1' },
      { from: acct, data: initcode(envReaderRuntime()) },
      { from: acct, to: fwd, data: `0x${enc(['address'], [token])}${(sel('transfer(address,uint256)') + enc(['address', 'uint256'], [other, 0n])).slice(2)}` },
    ];
    for (const [i, tx] of cases.entries()) {
      const got = await ours(evm, 'eth_estimateGas', [tx]);
      const want = await theirs('eth_estimateGas', [tx]);
      assert.equal(got, want, `case ${i}: ours ${String(got)}, anvil ${String(want)}`);
    }
    const bad = transfer(STRANGER, acct, 1n);
    const got = (await ours(evm, 'eth_estimateGas', [bad])) as Rpc;
    const want = (await theirs('eth_estimateGas', [bad])) as Rpc;
    assert.deepEqual([got.code, got.data, got.message], [want.code, want.data, want.message]);
  });

  it("eth_createAccessList equals anvil's", async () => {
    const { evm } = setup();
    const cases = [
      { from: acct, to: fwd, data: `0x${enc(['address'], [token])}${(sel('transfer(address,uint256)') + enc(['address', 'uint256'], [acct, 0n])).slice(2)}` },
      { from: acct, to: token, data: sel('transfer(address,uint256)') + enc(['address', 'uint256'], [other, 1n]) },
      { from: other, to: env },
    ];
    for (const [i, tx] of cases.entries()) {
      assert.deepEqual(await ours(evm, 'eth_createAccessList', [tx]), await theirs('eth_createAccessList', [tx]), `case ${i}`);
    }
    const reverting = { from: acct, to: token, data: sel('divide(uint256)') + enc(['uint256'], [0n]) };
    const got = (await ours(evm, 'eth_createAccessList', [reverting])) as Rpc;
    const want = (await theirs('eth_createAccessList', [reverting])) as Rpc;
    assert.deepEqual([got.code, got.data, got.message], [want.code, want.data, want.message]);
  });

  it("state overrides (balance, code, stateDiff) give anvil's answers", async () => {
    const { evm } = setup();
    const slot = id('x').slice(0, 66);
    const holderSlot = `0x${Buffer.from(await import('ethers').then((e) => e.getBytes(e.keccak256(`0x${enc(['address', 'uint256'], [STRANGER, 0n])}`)))).toString('hex')}`;
    const overrides = {
      [STRANGER]: { balance: '0xde0b6b3a7640000' },
      [other]: { code: `0x${Buffer.from(envReaderRuntime()).toString('hex')}` },
      [token]: { stateDiff: { [holderSlot]: `0x${(777n).toString(16).padStart(64, '0')}`, [slot]: `0x${'11'.repeat(32)}` } },
    };
    for (const tx of [{ to: env, from: STRANGER, gasPrice: '0x3b9aca00' }, { to: other, from: acct, gasPrice: '0x3b9aca00' }, balanceOf(STRANGER), balanceOf(acct)]) {
      assert.equal(await ours(evm, 'eth_call', [tx, tag, overrides]), await theirs('eth_call', [tx, overrides]), JSON.stringify(tx));
    }
  });

  it('out of gas and too little gas are -32000 errors; too little balance for the value too', async () => {
    const { evm } = setup();
    const oog = (await ours(evm, 'eth_call', [{ ...balanceOf(acct), gas: '0x5a00' }])) as Rpc;
    assert.deepEqual([oog.code, oog.message], [-32000, 'out of gas']);
    const low = (await ours(evm, 'eth_call', [{ ...balanceOf(acct), gas: '0x5208' }])) as Rpc;
    assert.equal(low.code, -32000);
    assert.match(low.message, /^intrinsic gas too low/);
    const poor = (await ours(evm, 'eth_call', [{ from: STRANGER, to: token, value: '0x1' }])) as Rpc;
    assert.equal(poor.code, -32000);
    assert.match(poor.message, /^insufficient funds for gas \* price \+ value/);
    assert.equal(((await theirs('eth_call', [{ from: STRANGER, to: token, value: '0x1' }])) as Rpc).message, 'Insufficient funds for gas * price + value');
  });
});
