// The local EVM keeps nothing per call once the call is answered: @ethereumjs/evm subscribes each
// new EVM to its Common's `hardforkChanged`, and the executor shares one Common over all calls,
// so without unsubscribing every call's EVM (state manager, journal, fetched state) stayed
// reachable from it — found by bench/client-rss.ts (~58 kB per eth_call, 500 MB after 8000).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AbiCoder, id } from 'ethers';
import type { VerifiedHeader } from '../../src/client/contracts.js';
import { EvmCall } from '../../src/client/evm/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { AnvilStateOdr, anvilChain, anvilHeader } from '../helpers/anvil-odr-evm.js';
import { TOKEN_CTOR, initcode, tokenRuntime } from '../unit/client/evm-asm.js';

describe('local EVM: nothing retained per call', () => {
  let anvil: Anvil;
  let head: VerifiedHeader;
  let token: string;
  let acct: string;

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    [acct] = (await anvil.rpc<string[]>('eth_accounts')) as [string];
    const h = await anvil.rpc<string>('eth_sendTransaction', [{ from: acct, data: initcode(tokenRuntime(), TOKEN_CTOR) }]);
    for (;;) {
      const r = await anvil.rpc<{ contractAddress: string } | null>('eth_getTransactionReceipt', [h]);
      if (r !== null) {
        token = r.contractAddress;
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    head = await anvilHeader(anvil);
  });
  after(async () => anvil?.stop());

  it('repeated and concurrent eth_calls leave no listener on the shared Common', async () => {
    const evm = new EvmCall({ odr: new AnvilStateOdr(anvil), chain: anvilChain(anvil, head), chainId: 31337n, hardfork: 'prague' });
    const call = { to: token, data: id('balanceOf(address)').slice(0, 10) + AbiCoder.defaultAbiCoder().encode(['address'], [acct]).slice(2) };
    const want = await anvil.rpc('eth_call', [call, `0x${head.header.number.toString(16)}`]);
    for (let i = 0; i < 10; i++) assert.equal(await evm.request('eth_call', [call], head), want);
    await Promise.all(Array.from({ length: 10 }, async () => assert.equal(await evm.request('eth_call', [call], head), want)));
    await assert.rejects(evm.request('eth_call', [{ ...call, data: '0xdeadbeef' }], head));
    const { common } = await evm.executor.rules();
    assert.equal(common.events.listenerCount('hardforkChanged'), 0);
  });
});
