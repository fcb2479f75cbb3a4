/**
 * The EVM's limits also hold while a call waits for state: with a state source (anvil, Odr-shaped)
 * that never answers for one account, an eth_call that needs that account ends with the time limit,
 * or when its caller aborts, instead of waiting for good.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VerifiedHeader } from '../../src/client/contracts.js';
import { EvmCall } from '../../src/client/evm/index.js';
import { toRpcError } from '../../src/client/methods/errors.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { AnvilStateOdr, anvilChain, anvilHeader } from '../helpers/anvil-odr-evm.js';

const SILENT = '0x0000000000000000000000000000000000005117';

/** anvil's state, except that the SILENT account's proof never comes. */
class StallingOdr extends AnvilStateOdr {
  override account(header: VerifiedHeader, address: Uint8Array) {
    if (Buffer.from(address).toString('hex') === SILENT.slice(2)) return new Promise<never>(() => undefined);
    return super.account(header, address);
  }
}

describe('local EVM limits while waiting for state', () => {
  let anvil: Anvil;
  let head: VerifiedHeader;
  const evm = (evmTimeoutMs: number) => {
    const odr = new StallingOdr(anvil);
    return new EvmCall({ odr, chain: anvilChain(anvil, head), chainId: 31337n, hardfork: 'prague', evmTimeoutMs });
  };

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    await anvil.rpc('anvil_mine', ['0x1']);
    head = await anvilHeader(anvil);
  });
  after(async () => {
    await anvil?.stop();
  });

  it('a call whose state never comes fails with the time limit', { timeout: 60_000 }, async () => {
    await assert.rejects(evm(300).request('eth_call', [{ to: SILENT }], head), (e: unknown) => {
      assert.deepEqual(toRpcError(e), { code: -32000, message: 'execution aborted (timeout = 300ms)', data: { code: 'EXECUTION_TIMEOUT', field: 'evmTimeoutMs' } });
      return true;
    });
  });

  it('a call whose state never comes ends when its caller aborts (no time limit)', { timeout: 60_000 }, async () => {
    const ctl = new AbortController();
    const call = evm(0).request('eth_call', [{ to: SILENT }], head, ctl.signal);
    setTimeout(() => ctl.abort(), 200);
    await assert.rejects(call, (e: Error & { code?: string }) => e.name === 'CallAbortedError' && e.code === 'ABORTED');
  });
});
