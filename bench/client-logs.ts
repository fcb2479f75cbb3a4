/**
 * eth_getLogs for a rare address over many finished BloomBits sections: the bytes the client
 * receives, against the bytes of fetching every header of the range.
 *
 *   - chain (anvil --prune-history, which keeps few states so 100,000 blocks fit in memory;
 *     prague rules, or cancun past 512-block sections, whose blocks anvil mines 20× faster):
 *     sections of `sectionSize` blocks, the head `sections` × size + confirmations + a few, so
 *     `sections` sections are finished and trusted and a short tail above them is searched by
 *     header blooms. The rare contract logs in `rare` blocks only (spread over the sections, one
 *     in the tail). At sections of at most 512 blocks a busy contract logs in every block (blooms
 *     not empty); at mainnet's 32,768 the blocks between are mined empty in bulk (anvil_mine).
 *   - 2 LesServers (in this process; bytes do not depend on it) follow anvil and build the
 *     sections; a LesClient with a header window of `window` blocks (default 32, as on a chain far
 *     longer than its window: only recent headers held) starts at the head, waits until it trusts
 *     the newest section, then runs eth_getLogs({ address: rare, fromBlock: 0, toBlock: head }).
 *     Its answer must equal anvil's.
 *   - ours: the sum of the client's LES peers' bytes-in counters (LES payload bytes as decoded,
 *     before snappy; what every peer counter counts) over the call, by message type.
 *   - baseline, measured the same way: the same client fetches every header of the range over
 *     LES afterwards (GetBlockHeaders of 192, walking back from the head by parent hash, each run
 *     verified), the bytes its peers received for it. The sum of the header RLPs is printed too.
 *
 * Goals: ≤ 1% at devnet sections (64), where the receipts and bodies of the matching blocks alone
 * are about 1% (the floor, printed); ≤ 0.05% at mainnet's 32,768-block sections.
 *   node --import tsx bench/client-logs.ts [sections=10] [rareBlocks=3] [window=32] [sectionSize=64]
 */
import { LesClient } from '../src/client/engine/index.js';
import { headerRange, headerRangeKind } from '../src/client/odr/index.js';
import { DEVNET } from '../src/config/network.js';
import { LOG0_RUNTIME, deploy } from './lib/contracts.js';
import { emit, fmt, load1, until } from './lib/report.js';
import { bytesIn, clientOptions, startAnvilChain, startServers } from './lib/stack.js';

const SECTIONS = Number(process.argv[2] ?? 10);
const RARE = Number(process.argv[3] ?? 3);
const SIZE = Number(process.argv[5] ?? DEVNET.sectionSize);
const CONFIRM = DEVNET.useConfirmations;
const HEAD = SECTIONS * SIZE - 1 + CONFIRM + 5;
const WINDOW = Number(process.argv[4] ?? 32);
const BUSY = SIZE <= 512;
const MAINNET_SECTION = 32_768;

type Json = Record<string, unknown>;
const hex = (n: number) => `0x${n.toString(16)}`;

// Mining 100,000 blocks: anvil's prague blocks cost ~2 ms each (its system calls), cancun's ~0.1 ms.
const { anvil, genesis, accounts } = await startAnvilChain(['--prune-history'], BUSY ? 'prague' : 'cancun');
const servers: Awaited<ReturnType<typeof startServers>> = [];
let client: LesClient | undefined;
try {
  const from = accounts[0] as string;
  const rpc = <T>(m: string, p: unknown[]) => anvil.rpc<T>(m, p);
  const busy = (await deploy(rpc, from, LOG0_RUNTIME)).toLowerCase();
  const rare = (await deploy(rpc, from, LOG0_RUNTIME)).toLowerCase();
  await anvil.rpc('evm_setAutomine', [false]);
  const send = (tx: Json) => anvil.rpc<string>('eth_sendTransaction', [{ from, gas: hex(100_000), ...tx }]);
  // Rare logs spread over the sections and one in the unindexed tail.
  const rareAt = new Set(Array.from({ length: RARE }, (_, k) => (k === RARE - 1 ? HEAD - 2 : Math.floor(((k + 1) * SECTIONS * SIZE) / RARE) - 7)));
  const mineStart = performance.now();
  let n = Number(await anvil.rpc<string>('eth_blockNumber'));
  while (n < HEAD) {
    const special = BUSY ? n + 1 : Math.min(HEAD, ...[...rareAt].filter((r) => r > n));
    if (special - 1 > n) await anvil.rpc('anvil_mine', [hex(special - 1 - n)]);
    if (BUSY) await send({ to: busy, data: '0x01' });
    if (rareAt.has(special)) await send({ to: rare, data: '0x01' });
    await anvil.rpc('anvil_mine', ['0x1']);
    n = special;
  }
  console.log(`mined ${n + 1} blocks in ${fmt((performance.now() - mineStart) / 1000)} s`);
  const head = Number(await anvil.rpc<string>('eth_blockNumber'));

  servers.push(...(await startServers(anvil.url, 2, { sectionSize: SIZE })));
  for (const s of servers) await until('the servers to build the sections', async () => ((await s.stats()).sections >= SECTIONS ? true : undefined), Math.max(120_000, SECTIONS * SIZE * 5), 100);
  // A header window of 32: as on a chain far longer than the window, the client holds only recent
  // headers (with the default 4096 it would link this short chain back to genesis at start,
  // fetching every header before any query).
  client = new LesClient(clientOptions(servers.map((s) => s.enode), genesis, { cacheSizes: { window: WINDOW }, network: { ...DEVNET, sectionSize: SIZE } }));
  await client.start();
  const c = client;
  await until(`the client to trust section ${SECTIONS - 1}`, () => ((c.parts?.chain.latestSection()?.index ?? -1) >= SECTIONS - 1 ? true : undefined), 60_000, 20);
  if ((c.head()?.header.number ?? -1) < head) throw new Error('client head behind anvil');

  const load0 = load1();
  const perType = () => {
    const out = new Map<string, number>();
    for (const s of c.parts?.pool.connected() ?? []) for (const [name, t] of Object.entries(s.stats().byMessage)) out.set(name, (out.get(name) ?? 0) + t.bytesIn);
    return out;
  };
  const types0 = perType();
  const b0 = bytesIn(c);
  const win = c.parts?.chain.window();
  const t0 = performance.now();
  const filter = { address: rare, fromBlock: '0x0', toBlock: hex(head) };
  const logs = (await c.request('eth_getLogs', [filter])) as Json[];
  const ms = performance.now() - t0;
  const ours = bytesIn(c) - b0;
  const types1 = perType();
  const theirs = await anvil.rpc<Json[]>('eth_getLogs', [filter]);
  if (JSON.stringify(logs) !== JSON.stringify(theirs)) throw new Error(`getLogs differs from anvil's: ${logs.length} vs ${theirs.length} logs`);
  const kinds = c.parts?.scheduler.metrics().kinds ?? {};

  // Baseline: every header of the range over LES, walking back from the head by parent hash.
  const scheduler = c.parts?.scheduler;
  const top = c.parts?.chain.head();
  if (scheduler === undefined || top === undefined) throw new Error('client not started');
  const p0 = bytesIn(c);
  let rlp = 0;
  let count = 0;
  let next: { hash: Uint8Array; number: number } = { hash: top.hash, number: top.header.number };
  for (;;) {
    const run = await scheduler.retrieve(headerRangeKind, headerRange(next.hash, next.number, Math.min(192, next.number + 1)));
    for (const h of run) rlp += h.rlp.length;
    count += run.length;
    const oldest = run[run.length - 1];
    if (oldest === undefined || oldest.header.number === 0) break;
    next = { hash: oldest.header.parentHash, number: oldest.header.number - 1 };
  }
  const baseline = bytesIn(c) - p0;
  if (count !== top.header.number + 1) throw new Error(`baseline got ${count} headers of ${top.header.number + 1}`);
  const loadEnd = load1();

  console.log(`chain: ${head + 1} blocks (0..${head}), ${SECTIONS} sections of ${SIZE} trusted, tail ${head - SECTIONS * SIZE + 1} blocks; ${BUSY ? "a busy contract logs in every block" : "blocks empty but"}, the rare one in blocks ${[...rareAt].join(', ')}`);
  console.log(`getLogs(rare address, 0..${head}): ${logs.length} logs, equal to anvil's, in ${fmt(ms)} ms; load ${load0.toFixed(2)} → ${loadEnd.toFixed(2)} (2 cores, shared)`);
  console.log(`  client header window ${win?.lo}..${win?.hi} (window size ${WINDOW}); bytes received before the call (Status, head, section roots): ${b0}`);
  console.log(`  bytes received by the client during the call: ${ours}, by message:`);
  for (const [name, after] of types1) {
    const d = after - (types0.get(name) ?? 0);
    if (d > 0) console.log(`    ${name.padEnd(20)} ${d}`);
  }
  const asked = Object.entries(kinds).filter(([, k]) => k.itemsSent > 0).map(([name, k]) => `${name} ${k.itemsSent} items/${k.messagesSent} msgs`);
  console.log(`  ODR items asked since start: ${asked.join(', ')}`);
  console.log(`every header of 0..${top.header.number} over LES (GetBlockHeaders ×192): ${baseline} bytes received (header RLPs alone: ${rlp} bytes, ${fmt(rlp / count)} per header)`);
  // The receipts and bodies of the matching blocks are the answer itself (complete logs with their
  // transaction hashes): no search can fetch less. Their share is the floor under the ratio.
  const delta = (name: string) => (types1.get(name) ?? 0) - (types0.get(name) ?? 0);
  const floor = delta('Receipts') + delta('BlockBodies');
  console.log(`  floor: the matching blocks' receipts and bodies alone are ${floor} bytes = ${fmt((100 * floor) / baseline)}% of the baseline; the search (helper-trie proofs, headers) ${ours - floor} bytes = ${fmt((100 * (ours - floor)) / baseline)}%`);
  emit({
    bench: 'client-logs',
    metric: `getLogs for a rare address over ${SECTIONS} sections + tail: bytes received vs every header of the range`,
    value: ours,
    baseline,
    unit: 'bytes',
    ratio: ours / baseline,
    // Goals at devnet sections (64) and mainnet's (32,768); other sizes show how the ratio scales.
    goal: SIZE === DEVNET.sectionSize ? { op: '<=', target: 0.01 } : SIZE === MAINNET_SECTION ? { op: '<=', target: 0.0005 } : undefined,
    load: [load0, loadEnd],
    note: SIZE === DEVNET.sectionSize || SIZE === MAINNET_SECTION ? undefined : `section size ${SIZE}: scaling, not judged`,
  });
} finally {
  await client?.stop();
  await Promise.all(servers.map((s) => s.stop()));
  await anvil.stop();
}
