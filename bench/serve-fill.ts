/**
 * How fast `lesp serve` fills its header chain from genesis (the first start on a public network):
 * anvil mines N empty blocks, then the server's ChainFollower fills a LevelDB chain store from it
 * in its JSON-RPC batches (every header re-encoded and hashed, parent links checked, stored), and
 * the rate it prints is projected onto Sepolia and mainnet. A second fill with the node's own
 * answers only (fetch + JSON parse, no checks, nothing stored) shows how much of the time is ours.
 * Usage: node --import tsx bench/serve-fill.ts [blocks=20000] [batch=500]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChainFollower, ChainStore } from '../src/serve/chain/index.js';
import { NodeRpcClient } from '../src/serve/rpc/client.js';
import { openLevelStore } from '../src/store/level.js';
import { startAnvil } from './lib/anvil.js';
import { emit, load1 } from './lib/report.js';

const blocks = Number(process.argv[2] ?? 20_000);
const batch = Number(process.argv[3] ?? 500);
/** Chain lengths the projection uses (block numbers late in 2025). */
const NETWORKS: Array<[string, number]> = [['Sepolia', 10_000_000], ['mainnet', 23_500_000]];

const anvil = await startAnvil({ hardfork: 'prague' });
const raw = async (method: string, params: unknown[]): Promise<unknown> => {
  const r = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return r.json();
};
const dir = await mkdtemp(join(tmpdir(), 'lesp-bench-fill-'));
try {
  let t = performance.now();
  for (let left = blocks; left > 0; left -= 500) await raw('anvil_mine', [`0x${Math.min(500, left).toString(16)}`]);
  console.log(`anvil mined ${blocks} blocks in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const rpc = new NodeRpcClient({ url: anvil.url, timeoutMs: 300_000 });
  t = performance.now();
  for (let from = 0; from <= blocks; from += batch) {
    await rpc.batch(Array.from({ length: Math.min(batch, blocks + 1 - from) }, (_, i) => ({ method: 'eth_getBlockByNumber', params: [`0x${(from + i).toString(16)}`, false] })));
  }
  const nodeOnly = ((blocks + 1) * 1000) / (performance.now() - t);
  console.log(`the node's answers alone (batches of ${batch}, JSON parsed, nothing checked): ${Math.round(nodeOnly)} headers/s`);

  const kv = await openLevelStore(dir);
  const store = await ChainStore.open({ store: kv.namespace('chain') });
  const log = { info() {}, warn() {}, error: (o: object, m: string) => console.error(m, o) };
  // eagerBlocks 1: every block but the head is filled header-only, as on a long first start.
  const follower = new ChainFollower({ store, rpc, fillBatchSize: batch, eagerBlocks: 1, progressStream: null, log });
  const load0 = load1();
  t = performance.now();
  await follower.syncOnce();
  const ms = performance.now() - t;
  const rate = follower.lastFill?.perSecond ?? 0;
  console.log(`ChainFollower fill into LevelDB: ${follower.lastFill?.headers} headers in ${(ms / 1000).toFixed(1)} s = ${rate} headers/s (as it logs it)`);
  for (const [name, n] of NETWORKS) console.log(`  at this rate ${name} (~${(n / 1e6).toFixed(1)} M blocks): ${(n / rate / 3600).toFixed(1)} h`);
  emit({ bench: 'serve-fill', metric: `header fill from genesis (batches of ${batch}, checked, LevelDB) vs the node's answers alone`, value: rate, baseline: Math.round(nodeOnly), unit: 'headers/s', ratio: rate / nodeOnly, load: [load0, load1()] });
  await kv.close();
} finally {
  await anvil.stop();
  await rm(dir, { recursive: true, force: true });
}
