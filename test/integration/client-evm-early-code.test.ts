// The code of an eth_call's target, asked beside its account proof (early code), for a contract
// whose address appears in no transaction — as for one a factory contract created — over the real
// stack: anvil ← LesServer ← LesClient. The server learns addresses from the transactions it
// follows; such an account key it can only serve with the address the request carries. The call's
// answer equals anvil's, and the early request is answered: no item left unanswered, no second,
// verified code request after it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LesClient } from '../../src/client/engine/index.js';
import { LesServer } from '../../src/serve/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';

// balanceOf(address) of a solidity-layout ERC-20 (balances at keccak(holder ‖ 0)):
//   PUSH1 4 CALLDATALOAD PUSH1 0 MSTORE PUSH1 0 PUSH1 0x20 MSTORE PUSH1 0x40 PUSH1 0 SHA3 SLOAD
//   PUSH1 0 MSTORE PUSH1 0x20 PUSH1 0 RETURN
const RUNTIME = '0x600435600052600060205260406000205460005260206000f3';
const PLACED = '0x00000000000000000000000000000000c0dec0de';
const HOLDER = '0x00000000000000000000000000000000000000aa';

describe('early code of a contract no transaction named (real LES stack)', () => {
  let anvil: Anvil;
  let server: LesServer;
  let client: LesClient;

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    await anvil.rpc('anvil_setCode', [PLACED, RUNTIME]);
    const slot = await anvil.rpc<string>('web3_sha3', [`0x${HOLDER.slice(2).padStart(64, '0')}${'00'.repeat(32)}`]);
    await anvil.rpc('anvil_setStorageAt', [PLACED, slot, `0x${'07'.padStart(64, '0')}`]);
    await anvil.rpc('evm_mine', []);
    server = new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, pollIntervalMs: 50, progressStream: null });
    const enode = await server.start();
    const genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    client = new LesClient({ servers: [{ enode, trusted: true }], network: 'devnet', genesisHash: genesis });
    await client.start();
    const target = Number(await anvil.rpc<string>('eth_blockNumber'));
    while ((client.head()?.header.number ?? -1) < target) await new Promise((r) => setTimeout(r, 20));
  });

  after(async () => {
    await client?.stop();
    await server?.stop();
    await anvil?.stop();
  });

  it("answers as anvil does, the early code request answered and no verified one after it", async () => {
    const block = `0x${(client.head()?.header.number ?? 0).toString(16)}`;
    const call = { to: PLACED, data: `0x70a08231${HOLDER.slice(2).padStart(64, '0')}` };
    const ours = await client.request('eth_call', [call, block]);
    assert.equal(ours, await anvil.rpc('eth_call', [call, block]));
    assert.equal(BigInt(ours as string), 7n);
    const kinds = client.parts?.scheduler.metrics().kinds ?? {};
    assert.equal(kinds.earlyCode?.itemsSent, 1, 'the code went out early, beside the account proof');
    assert.equal(kinds.earlyCode?.unanswered, 0, 'the server answered the early code request');
    assert.equal(kinds.code?.itemsSent ?? 0, 0, 'no verified code request was needed after it');
  });
});
