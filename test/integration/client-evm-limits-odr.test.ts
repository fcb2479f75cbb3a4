/**
 * A call that waits for state: with a state source (anvil, Odr-shaped) that never answers for one
 * account, the wait does not spend the EVM time limit (a slow network is not a slow contract), and
 * the caller's abort ends it instead of it waiting for good.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { VerifiedHeader } from '../../src/client/contracts.js';
import { EvmCall } from '../../src/client/evm/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { AnvilStateOdr, anvilChain, anvilHeader } from '../helpers/anvil-odr-evm.js';

const SILENT = '0x0000000000000000000000000000000000005117';

/** A promise's state now, without waiting. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  return (await Promise.race([p.then(() => true, () => true), Promise.resolve(marker)])) !== marker;
}

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

  it('waiting for state does not spend the EVM time limit; the caller\'s abort ends the wait', { timeout: 60_000 }, async () => {
    const ctl = new AbortController();
    const call = evm(300).request('eth_call', [{ to: SILENT }], head, ctl.signal);
    call.catch(() => undefined);
    await sleep(1000);
    assert.equal(await settled(call), false, 'still waiting for state after 1 s, past the 300 ms EVM limit');
    ctl.abort();
    await assert.rejects(call, (e: Error & { code?: string }) => e.name === 'CallAbortedError' && e.code === 'ABORTED');
  });
});
