/**
 * Verified getBalance latency: LesProvider (anvil ← 2 LesServers, each in its own process ←
 * LesClient ← ethers) against ethers' JsonRpcProvider straight to the same anvil, side by side
 * in one run, calls alternating between the two. Both providers are set up alike: static
 * network, no response cache (cacheTimeout -1), no batch stall (batchStallTime 0; ethers'
 * default of 10 ms would slow only the baseline).
 *
 *   - realistic (the goal is judged here): a new block is mined before every call (a transfer to
 *     the account read), the client adopts the announced head, then both providers read the
 *     account at `latest`. A new head is a new block hash, so the LesProvider's answer needs a new
 *     proof: no cache of ours can answer it, as for a user reading the latest state.
 *   - cold per call: one head, every call reads an account never read before (funded before the
 *     servers started), so every call misses every cache.
 *
 * Goal: LesProvider p50 ≤ 1.5 × JsonRpcProvider p50.
 *   node --import tsx bench/client-latency.ts [calls=60] [servers=2]
 */
import { JsonRpcProvider, Network, Wallet, getAddress } from 'ethers';
import { type BenchResult, emit, load1, median, summary, until } from './lib/report.js';
import { atAnvilHead, clientOptions, startAnvilChain, startProvider, startServers } from './lib/stack.js';

const CALLS = Number(process.argv[2] ?? 60);
const SERVERS = Number(process.argv[3] ?? 2);
const WARMUP = 5;

const { anvil, genesis, accounts } = await startAnvilChain();
const servers: Array<Awaited<ReturnType<typeof startServers>>[number]> = [];
let close: (() => Promise<void>) | undefined;
try {
  const [from] = accounts as [string];
  const cold = Array.from({ length: CALLS + WARMUP }, () => Wallet.createRandom().address);
  for (const [i, a] of cold.entries()) await anvil.rpc('anvil_setBalance', [a, `0x${(i + 1).toString(16)}`]);
  await anvil.rpc('evm_mine', []);
  servers.push(...(await startServers(anvil.url, SERVERS, {}, 'process')));
  const { client, provider } = await startProvider(anvil, clientOptions(servers.map((s) => s.enode), genesis));
  close = () => provider.close();
  const network = Network.from(31337n);
  const direct = new JsonRpcProvider(anvil.url, network, { staticNetwork: network, batchStallTime: 0, cacheTimeout: -1 });

  /** Times one call of each, alternating which goes first; checks they agree. */
  const both = async (addr: string, i: number, les: number[], node: number[]) => {
    const time = async (p: { getBalance(a: string, tag: string): Promise<bigint> }, out: number[]) => {
      const t0 = performance.now();
      const v = await p.getBalance(addr, 'latest');
      if (i >= WARMUP) out.push(performance.now() - t0);
      return v;
    };
    const [a, b] = i % 2 === 0 ? [await time(provider, les), await time(direct, node)] : [await time(direct, node), await time(provider, les)].reverse();
    if (a !== b) throw new Error(`balance of ${addr}: LesProvider ${a}, anvil ${b}`);
  };

  const load0 = load1();
  // Realistic: a new head before every call.
  const reader = getAddress(accounts[1] as string);
  const headLes: number[] = [];
  const headNode: number[] = [];
  for (let i = 0; i < CALLS + WARMUP; i++) {
    const h = await anvil.rpc<string>('eth_sendTransaction', [{ from, to: reader, value: '0x1' }]);
    // anvil's automine may answer the send before the block exists.
    await until('the transfer mined', () => anvil.rpc('eth_getTransactionReceipt', [h]).then((r) => r ?? undefined), 10_000, 2);
    await atAnvilHead(anvil, client);
    await both(reader, i, headLes, headNode);
  }
  // Cold: same head, a fresh account per call.
  const coldLes: number[] = [];
  const coldNode: number[] = [];
  for (let i = 0; i < cold.length; i++) await both(cold[i] as string, i, coldLes, coldNode);
  // For reference: the same read as one bare HTTP request, no ethers (the floor of any provider).
  const raw: number[] = [];
  for (let i = 0; i < CALLS + WARMUP; i++) {
    const t0 = performance.now();
    await anvil.rpc('eth_getBalance', [cold[i] as string, 'latest']);
    if (i >= WARMUP) raw.push(performance.now() - t0);
  }
  const loadEnd = load1();

  const m = client.parts?.scheduler.metrics();
  const proofs = m?.kinds.stateProof;
  console.log(`${SERVERS} LES servers (own processes), ${CALLS} timed calls per case after ${WARMUP} warm-up; load ${load0.toFixed(2)} → ${loadEnd.toFixed(2)} (2 cores, shared)`);
  console.log(`new head per call  LesProvider ${summary(headLes)}`);
  console.log(`                   anvil       ${summary(headNode)}`);
  console.log(`cold per call      LesProvider ${summary(coldLes)}`);
  console.log(`                   anvil       ${summary(coldNode)}`);
  console.log(`bare fetch() eth_getBalance to anvil (no ethers): ${summary(raw)}`);
  if (proofs !== undefined) console.log(`account proofs asked: ${proofs.messagesSent} messages, ${proofs.itemsSent} items; flow waits ${m?.flowWaits ?? 0}`);
  const base = { bench: 'client-latency', unit: 'ms', goal: { op: '<=' as const, target: 1.5 }, load: [load0, loadEnd] as [number, number] };
  const realistic: BenchResult = {
    ...base,
    metric: 'getBalance p50, new head per call (LesProvider vs JsonRpcProvider→anvil)',
    value: median(headLes),
    baseline: median(headNode),
    ratio: median(headLes) / median(headNode),
    note: 'goal judged here: latest state changes with every block, so no cache answers it',
  };
  emit(realistic);
  emit({ ...base, goal: undefined, metric: 'getBalance p50, cold per call (fresh account, same head)', value: median(coldLes), baseline: median(coldNode), ratio: median(coldLes) / median(coldNode) });
  direct.destroy();
} finally {
  await close?.();
  await Promise.all(servers.map((s) => s.stop()));
  await anvil.stop();
}
