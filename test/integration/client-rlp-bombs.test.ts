// RLP bombs from a real LesServer made to lie (test/helpers/lying-server.ts): the real LesClient,
// over real RLPx on 127.0.0.1, asks it for receipts and a CHT-proven header, and gets a typed
// receipt holding a 4,000,000-item list (4 MB) or that list as the CHT auxData header. anvil (prague)
// with three EIP-1559 transfers (typed receipts) and ~100 blocks; an honest server, slowed by 250 ms
// so the client asks the liar first (a fresh client per case: a caught liar is asked less).
//
// For each bomb: the answer the caller gets equals anvil's; the bomb was sent and counted as an
// invalid answer; other calls made meanwhile are answered; and the process's peak RSS rises by less
// than 128 MiB (the unbounded decoder took ~1 GB and ~6 s of CPU for this list).
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { LesEip1193Provider } from '../../src/client/eip1193.js';
import type { LesClient } from '../../src/index.js';
import { parseEnode } from '../../src/net/index.js';
import type { LesServer } from '../../src/serve/index.js';
import type { Anvil } from '../helpers/anvil.js';
import { type ClientSurfaces, type Devnet, clientAtHead, clientTrustsSection, serversIdle, startClient, startDevnet, until } from '../helpers/devnet-stack.js';
import { type Lie, Tamperer } from '../helpers/lying-server.js';

type Json = Record<string, unknown>;
const hex = (n: number) => `0x${n.toString(16)}`;
const idOf = (s: LesServer) => Buffer.from(parseEnode(s.enode).id).toString('hex');
const PEAK_BOUND = 128 * 2 ** 20;
/** Peak RSS of this process so far, bytes (Linux reports KiB). */
const peakRss = () => process.resourceUsage().maxRSS * 1024;

describe('a server answering with RLP bombs: caught, the client keeps serving, peak RSS +<128 MiB', { timeout: 240_000 }, () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let honest: LesServer;
  let liar: LesServer;
  let slow: Tamperer;
  let lying: Tamperer;
  let s: ClientSurfaces | undefined;
  let client: LesClient;
  let eip: LesEip1193Provider;
  let txBlocks: number[];
  let dev: string;

  before(async () => {
    devnet = await startDevnet({
      servers: 2,
      noClient: true,
      workload: async (a) => {
        dev = ((await a.rpc<string[]>('eth_accounts'))[0]) as string;
        for (let i = 0; i < 3; i++) await a.rpc('eth_sendTransaction', [{ from: dev, to: `0x${'42'.repeat(19)}${i}0`, value: hex(1000 + i) }]);
        await a.rpc('anvil_mine', [hex(100)]);
      },
    });
    anvil = devnet.anvil;
    [honest, liar] = devnet.servers as [LesServer, LesServer];
    slow = new Tamperer(honest, { delayMs: 250 });
    lying = new Tamperer(liar);
    await serversIdle(anvil, devnet.servers);
    txBlocks = [];
    for (let n = 1; n <= 6; n++) {
      const b = await anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false]);
      if ((b.transactions as unknown[]).length > 0) txBlocks.push(n);
    }
    assert.equal(txBlocks.length, 3);
  });
  beforeEach(async () => {
    s = await startClient(anvil, [{ enode: honest.enode, trusted: true }, { enode: liar.enode, trusted: false }], { cacheSizes: { window: 16 } });
    client = s.client;
    eip = s.eip;
    await until('both servers connected', () => (client.status().servers === 2 ? true : undefined));
    await clientAtHead(anvil, client);
    await clientTrustsSection(client, 0);
  });
  afterEach(async () => {
    await s?.stop();
    s = undefined;
  });
  after(async () => {
    slow?.uninstall();
    lying?.uninstall();
    await s?.stop();
    await devnet?.stop();
  });

  const invalidFromLiar = () => client.parts?.pool.list().find((x) => x.id === idOf(liar))?.invalidAnswers ?? 0;

  /** Runs `call` with `lie` on, other calls alongside; checks the bomb was told, caught and cheap. */
  async function underBomb(lie: Lie, call: () => Promise<void>): Promise<void> {
    const told0 = lying.told[lie];
    const invalid0 = invalidFromLiar();
    const peak0 = peakRss();
    lying.lie = lie;
    try {
      const others = Array.from({ length: 5 }, async () => {
        const ours = await eip.request({ method: 'eth_getBalance', params: [dev, 'latest'] });
        assert.equal(ours, await anvil.rpc('eth_getBalance', [dev, 'latest']));
      });
      await Promise.all([call(), ...others]);
    } finally {
      lying.lie = undefined;
    }
    const told = lying.told[lie] - told0;
    assert.ok(told >= 1, 'the liar was never asked');
    await until('the bomb counted as an invalid answer', () => (invalidFromLiar() - invalid0 >= told ? true : undefined));
    const grew = peakRss() - peak0;
    assert.ok(grew < PEAK_BOUND, `peak RSS rose by ${(grew / 2 ** 20).toFixed(0)} MiB`);
    // Still serving afterwards.
    assert.equal(await eip.request({ method: 'eth_blockNumber', params: [] }), await anvil.rpc('eth_blockNumber', []));
  }

  it('a typed receipt holding a 4,000,000-item list: the receipts are anvil’s', async () => {
    await underBomb('receipt-bomb', async () => {
      for (const n of txBlocks) {
        const ours = (await eip.request({ method: 'eth_getBlockReceipts', params: [hex(n)] })) as Json[];
        const theirs = await anvil.rpc<Json[]>('eth_getBlockReceipts', [hex(n)]);
        assert.deepEqual(
          ours.map((r) => [r.transactionHash, r.type, r.status, r.cumulativeGasUsed, r.logsBloom]),
          theirs.map((r) => [r.transactionHash, r.type, r.status, r.cumulativeGasUsed, r.logsBloom]),
        );
        assert.equal(ours[0]?.type, '0x2');
      }
    });
  });

  it('a CHT auxData header that is a 4,000,000-item list: the block is anvil’s', async () => {
    await underBomb('aux-bomb', async () => {
      for (const n of [20, 30, 40]) {
        const ours = (await eip.request({ method: 'eth_getBlockByNumber', params: [hex(n), false] })) as Json;
        const theirs = await anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false]);
        assert.equal(ours.hash, theirs.hash);
        assert.equal(ours.stateRoot, theirs.stateRoot);
      }
    });
  });
});
