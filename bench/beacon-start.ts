/**
 * Time from start to the first verified answer, beacon trust beside server agreement: a new
 * LesClient (checkpoint known) dials one LES server (its own process, in front of anvil), gets its
 * head, and answers a verified eth_getBalance at `latest`. Server agreement: the server is trusted,
 * its Status head is the vote. Beacon mode: the server is not trusted; a beacon chain at the
 * MAINNET preset (a 512-member sync committee, real BLS aggregate signatures, deterministic keys)
 * signs anvil's block hashes and is served by a local beacon API; the anchor bootstraps from the
 * checkpoint, verifies an update, a finality and an optimistic update, and the anchored block is
 * fetched over LES by its hash. Runs alternate between the modes; medians are reported. Also
 * reported: the anchor's first sync alone (bootstrap + updates verified), the part beacon mode adds.
 *
 *   node --import tsx bench/beacon-start.ts [runs=7]
 */
import { Wallet } from 'ethers';
import { BeaconAnchor, RestBeaconSource } from '../src/client/chain/index.js';
import { LesClient, type LesClientOptions } from '../src/client/engine/index.js';
import { MAINNET_PRESET } from '../src/verify/beacon/index.js';
import { BeaconOverAnvil, testBeaconConfig } from '../test/helpers/beacon-anvil.js';
import { emit, load1, median, summary } from './lib/report.js';
import { startAnvilChain, startServers } from './lib/stack.js';

const RUNS = Number(process.argv[2] ?? 7);

const { anvil, genesis } = await startAnvilChain();
const servers = await startServers(anvil.url, 1, {}, 'process');
try {
  const reader = Wallet.createRandom().address;
  await anvil.rpc('anvil_setBalance', [reader, '0x2a']);
  await anvil.rpc('anvil_mine', ['0x20']);
  const head = Number(await anvil.rpc<string>('eth_blockNumber'));
  const config = testBeaconConfig({ preset: MAINNET_PRESET, nowSlot: head + 20 });
  const beacon = new BeaconOverAnvil(anvil, config);
  const t0 = performance.now();
  await beacon.extendTo(head);
  console.log(`beacon chain over anvil's ${head} blocks (512 keys) built in ${(performance.now() - t0).toFixed(0)} ms (not timed below)`);
  const api = await beacon.serve();
  const enode = (servers[0] as { enode: string }).enode;
  // The server must have caught up with anvil before any timed run.
  await new Promise((r) => setTimeout(r, 2000));

  const modes: Record<'servers' | 'beacon', LesClientOptions> = {
    servers: { servers: [{ enode, trusted: true }], network: 'devnet', genesisHash: genesis },
    beacon: { servers: [enode], network: 'devnet', genesisHash: genesis, trust: { mode: 'beacon', beaconApi: [api.url], checkpoint: beacon.root(1), config } },
  };
  const times: Record<'servers' | 'beacon', number[]> = { servers: [], beacon: [] };
  const load0 = load1();
  for (let i = 0; i < RUNS + 1; i++) {
    const order: Array<'servers' | 'beacon'> = i % 2 === 0 ? ['servers', 'beacon'] : ['beacon', 'servers'];
    for (const mode of order) {
      const client = new LesClient(modes[mode]);
      const t = performance.now();
      await client.start();
      const balance = await client.request('eth_getBalance', [reader, 'latest']);
      const ms = performance.now() - t;
      if (balance !== '0x2a') throw new Error(`${mode}: balance ${String(balance)}`);
      if (client.head()?.header.number !== head) throw new Error(`${mode}: head ${client.head()?.header.number}, anvil ${head}`);
      await client.stop();
      if (i > 0) times[mode].push(ms); // the first round warms the module caches
    }
  }
  const syncs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const anchor = new BeaconAnchor({ config, checkpoint: beacon.chain.root(1n), source: new RestBeaconSource(api.url, config) });
    const t = performance.now();
    await anchor.sync();
    syncs.push(performance.now() - t);
  }
  const load = [load0, load1()] as [number, number];
  console.log(`server agreement: ${summary(times.servers)}`);
  console.log(`beacon trust:     ${summary(times.beacon)}`);
  console.log(`anchor first sync alone: ${summary(syncs)}`);
  const b = median(times.beacon);
  const s = median(times.servers);
  emit({ bench: 'beacon-start', metric: 'start → first verified eth_getBalance, beacon trust (512-key committee) vs server agreement, p50', value: b, baseline: s, unit: 'ms', ratio: b / s, load });
  emit({ bench: 'beacon-start', metric: 'the beacon anchor\'s first sync alone (bootstrap, update, finality + optimistic update verified), p50', value: median(syncs), unit: 'ms', ratio: median(syncs), load });
  await api.close();
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  await anvil.stop();
}
