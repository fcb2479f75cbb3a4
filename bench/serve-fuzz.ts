/**
 * The long fuzz run of the LES server: `messages` mutated LES requests (test/helpers/les-fuzz.ts:
 * mutated copies of well-formed requests over many connections, RLPx junk on raw TCP with the
 * recorded frozen-handshake write among it, silent dropped peers) against a LesServer in its own
 * process (bench/lib/server-child.ts) following anvil, while a well-behaved client checks every
 * answer. Then three GetBlockBodies of 10 MiB of random bytes, each with the server's CPU time and
 * RSS. Prints messages, crashes (the server process exiting), hangs (a well-behaved request or a
 * stats call unanswered for 10 s), and the server's RSS at the start, its maximum and at the end.
 *
 * Usage: node --import tsx bench/serve-fuzz.ts [messages=100000] [seed=0x5eed]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { LesServerStats } from '../src/serve/index.js';
import { Code } from '../src/wire/index.js';
import { sendTx, startAnvil } from '../test/helpers/anvil.js';
import { LesTestClient } from '../test/helpers/les-client.js';
import { type FuzzCounts, fuzzLesServer } from '../test/helpers/les-fuzz.js';
import { FROZEN_HANDSHAKE } from '../test/helpers/rlpx-raw.js';
import { cpuMs, rssMiB } from './lib/proc.js';
import { emit, load1 } from './lib/report.js';

const messages = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 0x5eed);
const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const HANG_MS = 10_000;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const anvil = await startAnvil({ hardfork: 'prague' });
let child: ChildProcess | undefined;
let crashes = 0;
let statsHangs = 0;
try {
  await anvil.rpc('anvil_mine', ['0x10']);
  // maxBadRequests 200: long fuzz connections (fewer handshakes per message), still dropped for bad requests.
  const options = { rpcUrl: anvil.url, pollIntervalMs: 50, maxBadRequests: 200, nodeKey: Buffer.from(FROZEN_HANDSHAKE.nodeKey).toString('hex') };
  const server = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./lib/server-child.ts', import.meta.url)), JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child = server;
  const pid = server.pid as number;
  server.once('exit', (code, signal) => {
    if (child !== undefined) {
      crashes++;
      console.log(`!! the server process exited during the run (code ${code}, signal ${signal})`);
    }
  });
  const enode = await new Promise<string>((resolve, reject) => {
    server.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    server.once('exit', () => reject(new Error('the server exited before listening')));
  });
  let ipcId = 0;
  const stats = (): Promise<LesServerStats | undefined> =>
    new Promise((resolve) => {
      const id = ++ipcId;
      const timer = setTimeout(() => {
        server.off('message', onMessage);
        resolve(undefined);
      }, HANG_MS);
      const onMessage = (m: { id: number; stats: LesServerStats }): void => {
        if (m.id !== id) return;
        clearTimeout(timer);
        server.off('message', onMessage);
        resolve(m.stats);
      };
      server.on('message', onMessage);
      server.send({ type: 'stats', id });
    });

  // A transaction from DEV so the server's preimage index knows the address the well-behaved client proves.
  await sendTx(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000dd', value: '0x1' });
  await anvil.rpc('anvil_mine', ['0x2']);
  const head = await anvil.rpc<{ hash: string; stateRoot: string; number: string }>('eth_getBlockByNumber', ['latest', false]);
  const genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
  for (let t = Date.now(); ; await sleep(200)) {
    const s = await stats();
    if (s !== undefined && s.head.number >= Number(head.number)) break;
    if (Date.now() - t > 60_000) throw new Error('the server did not reach the head in 60 s');
  }

  const rss = { start: rssMiB(pid), max: rssMiB(pid), end: NaN };
  const sampler = setInterval(() => (rss.max = Math.max(rss.max, rssMiB(pid))), 250);
  const liveness = setInterval(() => {
    void stats().then((s) => {
      if (s === undefined && child !== undefined) statsHangs++;
    });
  }, 5000);
  const load0 = load1();
  const t0 = performance.now();
  let counts: FuzzCounts;
  try {
    counts = await fuzzLesServer(
      { enode, networkId: 31337n, genesisHash: genesis, head, account: DEV, holdsFrozenKey: true },
      {
        seed,
        messages,
        perConnection: 400,
        junkEvery: 100,
        silentPeers: 20,
        honestTimeoutMs: HANG_MS,
        progressEvery: 10_000,
        onProgress: (c) =>
          console.log(
            `  ${c.messages} messages, ${c.connections} connections, ${c.junkConnections} junk, ${c.silentPeers} silent; well-behaved: ${c.honestRounds} rounds, ${c.honestHangs} hangs, ${c.honestErrors.length} errors; server RSS ${rssMiB(pid).toFixed(0)} MiB; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
          ),
      },
    );
  } finally {
    clearInterval(liveness);
  }
  const seconds = (performance.now() - t0) / 1000;
  await sleep(5000); // dropped peers' sockets destroyed, garbage collectable
  rss.end = rssMiB(pid);
  clearInterval(sampler);
  const end = await stats();
  const hangs = counts.honestHangs + statsHangs;
  console.log(
    `fuzz: ${counts.messages} mutated messages over ${counts.connections} connections, ${counts.junkConnections} RLPx junk connections, ${counts.silentPeers} silent dropped peers in ${seconds.toFixed(0)} s`,
  );
  console.log(`  well-behaved client: ${counts.honestRounds} verified rounds, ${counts.honestHangs} hangs, ${counts.honestErrors.length} errors${counts.honestErrors.length > 0 ? `: ${[...new Set(counts.honestErrors)].join('; ')}` : ''}`);
  console.log(`  server: ${crashes} crashes, ${hangs} hangs, RSS start ${rss.start.toFixed(0)} / max ${rss.max.toFixed(0)} / end ${rss.end.toFixed(0)} MiB`);
  if (end !== undefined) console.log(`  server counted ${end.requests.bad} bad requests, ${end.requests.disconnectedForBadRequests} connections dropped for them, ${end.requests.failed} handler failures; ${end.clients} clients left`);
  const load: [number, number] = [load0, load1()];
  emit({ bench: 'serve-fuzz', metric: 'mutated LES messages sent', value: counts.messages, unit: 'messages', ratio: counts.messages, goal: { op: '>=', target: messages }, load });
  emit({ bench: 'serve-fuzz', metric: 'server crashes + hangs', value: crashes + hangs, unit: '', ratio: crashes + hangs, goal: { op: '<=', target: 0 }, load });
  emit({ bench: 'serve-fuzz', metric: 'well-behaved client errors', value: counts.honestErrors.length, unit: '', ratio: counts.honestErrors.length, goal: { op: '<=', target: 0 }, load });
  emit({ bench: 'serve-fuzz', metric: `server RSS max (start ${rss.start.toFixed(0)}, end ${rss.end.toFixed(0)} MiB)`, value: rss.max, unit: 'MiB', ratio: rss.max, load });

  // 10 MiB of random bytes as one GetBlockBodies, three times: the server's CPU and RSS for each.
  const big = await LesTestClient.connect({ enode, networkId: 31337n, genesisHash: genesis });
  try {
    for (let i = 0; i < 3 && big.closed === undefined; i++) {
      const payload = randomBytes(10 * 1024 * 1024 - 64);
      const cpu0 = cpuMs(pid);
      const rss0 = rssMiB(pid);
      let peak = rss0;
      const s = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20);
      big.sendRaw(Code.GetBlockBodies, payload);
      // Done when the server's CPU has been idle for a second.
      let last = cpuMs(pid);
      for (let quiet = 0; quiet < 5; ) {
        await sleep(200);
        const now = cpuMs(pid);
        quiet = now - last < 20 ? quiet + 1 : 0;
        last = now;
      }
      clearInterval(s);
      console.log(`  10 MiB random GetBlockBodies #${i + 1}: server CPU ${(cpuMs(pid) - cpu0).toFixed(0)} ms, RSS ${rss0.toFixed(0)} → peak ${peak.toFixed(0)} MiB`);
    }
  } finally {
    await big.close();
  }
} finally {
  const c = child;
  child = undefined;
  if (c !== undefined && c.exitCode === null) {
    c.send({ type: 'stop', id: 0 });
    await Promise.race([new Promise((r) => c.once('exit', r)), sleep(10_000)]);
    if (c.exitCode === null) c.kill('SIGKILL');
  }
  await anvil.stop();
}
