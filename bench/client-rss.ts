/**
 * Resident set size of the light client, at idle and under a steady load of mixed verified reads.
 * The client (LesProvider over its own LesClient) runs in a child process of its own, so neither
 * anvil nor the servers count; its RSS is read from /proc every 250 ms.
 *
 *   - chain: anvil with a token contract and `accounts` funded accounts; 2 LesServers (in this
 *     process) follow it; a block with a transfer is mined every second during the load, so heads
 *     move and caches turn over as for a real user.
 *   - idle: after start and sync, 5 s with nothing asked.
 *   - load: `workers` loops for `seconds`, each read one of getBalance, getTransactionCount,
 *     getCode, getStorageAt, a token balanceOf eth_call, getBlock(latest) and getLogs of the last
 *     16 blocks, over rotating accounts, all verified; then 5 s idle again.
 * The client runs as users run it: plain node on the compiled package (dist/, `npm run build`),
 * bench/lib/rss-client.mjs. For scale: the RSS of a bare node process that loads the package and
 * does nothing, printed beside it. Goal: at most 150 MiB under the load.
 *   node --import tsx bench/client-rss.ts [seconds=20] [workers=8] [accounts=500]
 * (the child runs with --expose-gc only to report the heap after a full GC at the end)
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { getAddress } from 'ethers';
import { deployToken } from './lib/contracts.js';
import { rssMiB } from './lib/proc.js';
import { emit, fmt, load1, percentile, sleep } from './lib/report.js';
import { clientOptions, startAnvilChain, startServers } from './lib/stack.js';

const address = (i: number): string => getAddress(`0x${Buffer.from(keccak256(new TextEncoder().encode(`rss-${i}`)).slice(12)).toString('hex')}`);

interface ChildReady {
  type: 'ready';
  head: number;
}
interface ChildDone {
  type: 'done';
  reads: number;
  errors: number;
  byMethod: Record<string, number>;
  memory: NodeJS.MemoryUsage;
}
type LoadOrder = { type: 'load'; seconds: number; workers: number; accounts: number; token: string; holder: string };

await main();

async function main(): Promise<void> {
  const SECONDS = Number(process.argv[2] ?? 20);
  const WORKERS = Number(process.argv[3] ?? 8);
  const ACCOUNTS = Number(process.argv[4] ?? 500);
  const child = new URL('./lib/rss-client.mjs', import.meta.url).pathname;
  if (!existsSync(new URL('../dist/index.js', import.meta.url))) throw new Error('dist/ is missing: npm run build first (bench/run.ts does)');
  const { anvil, genesis, accounts } = await startAnvilChain();
  const servers: Awaited<ReturnType<typeof startServers>> = [];
  const children: ChildProcess[] = [];
  const spawnChild = (args: string[]) => {
    const c = fork(child, args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(c);
    return c;
  };
  const next = <T>(child: ChildProcess, type: string) =>
    new Promise<T>((resolve, reject) => {
      child.on('message', (m: { type: string }) => m.type === type && resolve(m as T));
      child.once('exit', (code) => reject(new Error(`client child exited with ${code}`)));
    });
  try {
    const holder = accounts[0] as string;
    const token = await deployToken((m, p) => anvil.rpc(m, p), holder, holder, 10n ** 24n);
    for (let i = 0; i < ACCOUNTS; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, ACCOUNTS - i) }, (_, j) => anvil.rpc('anvil_setBalance', [address(i + j), `0x${(i + j + 1).toString(16)}`])));
    }
    await anvil.rpc('evm_mine', []);
    servers.push(...(await startServers(anvil.url, 2)));

    const bare = spawnChild(['--bare']);
    await next(bare, 'ready');
    await sleep(2000);
    const bareRss = rssMiB(bare.pid as number);
    bare.kill('SIGTERM');

    const client = spawnChild(['--client', JSON.stringify(clientOptions(servers.map((s) => s.enode), genesis))]);
    const pid = client.pid as number;
    await next<ChildReady>(client, 'ready');
    const sample = async (ms: number) => {
      const out: number[] = [];
      const end = performance.now() + ms;
      while (performance.now() < end) {
        out.push(rssMiB(pid));
        await sleep(250);
      }
      return out;
    };
    const load0 = load1();
    const idle = await sample(5000);
    let mining = true;
    const miner = (async () => {
      while (mining) {
        await anvil.rpc('eth_sendTransaction', [{ from: accounts[1], to: address(0), value: '0x1' }]);
        await sleep(1000);
      }
    })();
    const done = next<ChildDone>(client, 'done');
    client.send({ type: 'load', seconds: SECONDS, workers: WORKERS, accounts: ACCOUNTS, token, holder } satisfies LoadOrder);
    const busy: number[] = [];
    let finished: ChildDone | undefined;
    void done.then((d) => (finished = d));
    while (finished === undefined) {
      busy.push(rssMiB(pid));
      await sleep(250);
    }
    mining = false;
    await miner;
    const after = await sample(5000);
    const loadEnd = load1();
    client.send({ type: 'stop' });

    const mem = finished.memory;
    const mb = (b: number) => fmt(b / 1024 / 1024);
    console.log(`client alone in its process, 2 LES servers, a block per second during the load; load ${load0.toFixed(2)} → ${loadEnd.toFixed(2)} (2 cores, shared)`);
    console.log(`bare node with the compiled package loaded: ${fmt(bareRss)} MiB`);
    console.log(`idle (started, synced, 5 s):        RSS p50 ${fmt(percentile(idle, 50))} MiB, max ${fmt(Math.max(...idle))} MiB`);
    console.log(
      `under load (${WORKERS} loops, ${SECONDS} s): RSS p50 ${fmt(percentile(busy, 50))} MiB, max ${fmt(Math.max(...busy))} MiB; ` +
        `${finished.reads} verified reads (${fmt(finished.reads / SECONDS)}/s), ${finished.errors} errors`,
    );
    console.log(`  reads: ${Object.entries(finished.byMethod).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`  at the end of the load, after a full GC: heap used ${mb(mem.heapUsed)} of ${mb(mem.heapTotal)} MiB, external ${mb(mem.external)} MiB, array buffers ${mb(mem.arrayBuffers)} MiB`);
    console.log(`idle again (5 s after):             RSS p50 ${fmt(percentile(after, 50))} MiB`);
    emit({
      bench: 'client-rss',
      metric: `client RSS (compiled, plain node) under a mixed verified-read load, max over ${SECONDS} s, vs idle p50`,
      value: Math.max(...busy),
      baseline: percentile(idle, 50),
      unit: 'MiB',
      ratio: Math.max(...busy),
      goal: { op: '<=', target: 150 },
      load: [load0, loadEnd],
      note: `${finished.errors > 0 ? `${finished.errors} READS FAILED; ` : ''}${fmt(finished.reads / SECONDS)} reads/s; idle p50 ${fmt(percentile(idle, 50))} MiB; bare node with the package loaded ${fmt(bareRss)} MiB; ratio column: MiB under load`,
    });
    // The figure is printed either way; failed reads make the run fail.
    if (finished.errors > 0) {
      console.error(`${finished.errors} reads failed under load`);
      process.exitCode = 1;
    }
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.stop()));
    await anvil.stop();
  }
}
