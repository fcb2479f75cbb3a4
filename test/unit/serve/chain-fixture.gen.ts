// Records the chain fixture the unit tests replay (chain-fixture.json): anvil's own answers for a
// short prague chain with every transaction kind (see chain-traffic.ts). Regenerate with
//   node --import tsx test/unit/serve/chain-fixture.gen.ts
// Per block: eth_getBlockByNumber(n, true) and (n, false), eth_getBlockReceipts, and for each
// transaction debug_getRawTransaction plus ethers' own signed serialization.
import { writeFileSync } from 'node:fs';
import { startAnvil } from '../../helpers/anvil.js';
import { Traffic, devWallet } from './chain-traffic.js';

const anvil = await startAnvil({ hardfork: 'prague' });
try {
  await anvil.rpc('evm_setAutomine', [false]);
  const t = new Traffic(anvil);
  const w0 = devWallet(0);
  const logger = await t.deployLogger(w0);
  await t.sendSetCode(w0, devWallet(3), logger.address);
  await anvil.rpc('evm_mine');
  await t.mixedBlock(logger.address);
  await anvil.rpc('evm_mine');
  await anvil.rpc('evm_mine');
  const head = Number(BigInt(await anvil.rpc<string>('eth_blockNumber')));
  const blocks = [];
  for (let n = 0; n <= head; n++) {
    const tag = `0x${n.toString(16)}`;
    const full = await anvil.rpc<{ hash: string; transactions: Array<{ hash: string }> }>('eth_getBlockByNumber', [tag, true]);
    const headerOnly = await anvil.rpc('eth_getBlockByNumber', [tag, false]);
    const receipts = await anvil.rpc('eth_getBlockReceipts', [full.hash]);
    const raw: Record<string, string> = {};
    for (const tx of full.transactions) raw[tx.hash] = await anvil.rpc<string>('debug_getRawTransaction', [tx.hash]);
    blocks.push({ full, headerOnly, receipts, raw });
  }
  const signed = Object.fromEntries(t.signed);
  writeFileSync(new URL('./chain-fixture.json', import.meta.url), `${JSON.stringify({ note: 'anvil 1.7.1 --hardfork prague answers; see chain-fixture.gen.ts', blocks, signed }, null, 1)}\n`);
  console.log(`recorded ${blocks.length} blocks, ${t.signed.size} transactions`);
} finally {
  await anvil.stop();
}
