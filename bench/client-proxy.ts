/**
 * A verified account read beside its baselines, all in one run on one chain, from the compiled
 * package (dist/, `npm run build`) as users run it:
 *
 *   anvil (prague) ← 2 LesServers, each in its own process ← { `lesp proxy` (bin/lesp.js, its own
 *   process) | LesProvider in this process }
 *
 *   (a) eth_getBalance(fresh account, latest) as one HTTP JSON-RPC request to `lesp proxy`, vs the
 *       same request straight to anvil (unverified). Both by bare fetch(), no ethers. Goal ≤ 2.0×.
 *   (b) the same verified read the way Helios and Lodestar's prover do it: eth_getProof to the
 *       node over HTTP, then the account proof checked in the caller against the state root of a
 *       header it already trusts (verify/state.ts's verifyAccountProof), one process. Against it:
 *       LesProvider.getBalance in this process (goal ≤ 1.0×) and the proxy (goal ≤ 1.3×).
 *   (d) cold start: `lesp proxy` from process start to the first verified answer, servers up
 *       (goal ≤ 0.6 s); `new LesProvider` in this (warm) process to its first answer (≤ 0.3 s).
 *
 * "Fresh": every call reads an account funded before the servers started and never read before,
 * so no cache of ours holds its proof. Calls alternate which side goes first. Each answer is
 * checked against anvil's.
 *   node --import tsx bench/client-proxy.ts [calls=200] [starts=5]
 * With BENCH_CPU_PROF=<dir> the proxy runs under `node --cpu-prof` (a .cpuprofile per start in
 * <dir>; bench/lib/profile-summary.ts reads them) and the event-loop delay of this process is printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getAddress } from 'ethers';
import type * as Package from '../src/index.js';
import { verifyAccountProof } from '../src/verify/state.js';
import { cpuMs } from './lib/proc.js';
import { type BenchResult, emit, load1, median, summary } from './lib/report.js';
import { childServer, startAnvilChain } from './lib/stack.js';

const CALLS = Number(process.argv[2] ?? 200);
const STARTS = Number(process.argv[3] ?? 5);
const WARMUP = 10;

const root = fileURLToPath(new URL('..', import.meta.url));
const DIST = `${root}dist/index.js`;
if (!existsSync(DIST)) throw new Error('dist/ is missing: npm run build first (bench/run.ts does)');
const { LesProvider } = (await import(DIST)) as typeof Package;

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));

/** One JSON-RPC call by bare fetch (the floor of any HTTP client). */
async function post<T>(url: string, method: string, params: unknown[]): Promise<T> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  const body = (await res.json()) as { result?: T; error?: { message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

interface Proxy {
  child: ChildProcess;
  url: string;
  /** ms from spawn to the URL on stdout (serving HTTP), and to the first verified answer. */
  listening: number;
  firstAnswer: number;
  stop(): Promise<void>;
}

/** `lesp proxy` as users start it; times process start to its first verified answer. */
async function startProxy(enodes: string[], genesis: string, probe: string): Promise<Proxy> {
  const args = ['proxy', '--network', 'devnet', '--genesis-hash', genesis, '--http-port', '0', '--log-level', 'warn'];
  for (const e of enodes) args.push('--server', e, '--trusted', e);
  const t0 = performance.now();
  const prof = process.env.BENCH_CPU_PROF;
  const node = prof === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', prof];
  const child = spawn(process.execPath, [...node, `${root}bin/lesp.js`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /http:\/\/\S+/.exec(out);
        if (m !== null) resolve(m[0]);
      });
      child.once('exit', (code) => reject(new Error(`lesp proxy exited with ${code}`)));
    });
    const listening = performance.now() - t0;
    // The proxy serves before it has a head; until then a read fails. Ask until one is answered.
    for (;;) {
      try {
        await post(url, 'eth_getBalance', [probe, 'latest']);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 2));
      }
      if (performance.now() - t0 > 60_000) throw new Error('lesp proxy gave no answer within 60 s');
    }
    return { child, url, listening, firstAnswer: performance.now() - t0, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

const { anvil, genesis } = await startAnvilChain();
const servers: Array<Awaited<ReturnType<typeof childServer>>> = [];
const closers: Array<() => Promise<void>> = [];
try {
  const n = CALLS + WARMUP;
  const fresh = Array.from({ length: 4 * n + 2 * STARTS + 4 + 400 }, () => getAddress(`0x${randomBytes(20).toString('hex')}`));
  for (let i = 0; i < fresh.length; i += 200) {
    await Promise.all(fresh.slice(i, i + 200).map((a, j) => anvil.rpc('anvil_setBalance', [a, `0x${(i + j + 1).toString(16)}`])));
  }
  await anvil.rpc('evm_mine', []);
  let next = 0;
  const take = () => fresh[next++] as string;
  servers.push(...(await Promise.all([childServer(anvil.url), childServer(anvil.url)])));
  const enodes = servers.map((s) => s.enode);
  const head = await anvil.rpc<{ number: string; stateRoot: string }>('eth_getBlockByNumber', ['latest', false]);
  const stateRoot = bytes(head.stateRoot);
  const truth = async (a: string) => BigInt(await post<string>(anvil.url, 'eth_getBalance', [a, head.number]));

  const load0 = load1();
  // (d) cold starts of the proxy (the last one stays up for the latency rows).
  const starts: Proxy[] = [];
  for (let i = 0; i < STARTS; i++) {
    const p = await startProxy(enodes, genesis, take());
    starts.push(p);
    if (i < STARTS - 1) await p.stop();
  }
  const proxy = starts[starts.length - 1] as Proxy;
  closers.push(proxy.stop);
  const loadStarts = load1();

  // (d) new LesProvider in this process: the first one loads the modules (not counted), then each
  // new one from construction to its first verified answer.
  const providerStarts: number[] = [];
  let provider: InstanceType<typeof LesProvider> | undefined;
  for (let i = 0; i <= STARTS; i++) {
    await provider?.close();
    const t0 = performance.now();
    provider = new LesProvider({ servers: enodes.map((enode) => ({ enode, trusted: true })), network: 'devnet', genesisHash: genesis });
    await provider.getBalance(take(), 'latest');
    if (i > 0) providerStarts.push(performance.now() - t0);
  }
  const lp = provider as InstanceType<typeof LesProvider>;
  closers.push(() => lp.close());
  const loadWarm = load1();

  // (a), (b): one fresh account per call, four ways, the order rotating.
  const helios = async (a: string) => {
    const p = await post<{ balance: string; accountProof: string[] }>(anvil.url, 'eth_getProof', [a, [], head.number]);
    const account = verifyAccountProof(stateRoot, bytes(a), p.accountProof.map(bytes));
    return account?.balance ?? 0n;
  };
  const ways: Record<string, (a: string) => Promise<bigint>> = {
    'lesp proxy': async (a) => BigInt(await post<string>(proxy.url, 'eth_getBalance', [a, 'latest'])),
    'anvil (unverified)': async (a) => BigInt(await post<string>(anvil.url, 'eth_getBalance', [a, 'latest'])),
    'eth_getProof + verify': helios,
    'LesProvider in process': (a) => lp.getBalance(a, 'latest'),
  };
  const names = Object.keys(ways);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const times: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length] as string;
      const a = take();
      const t0 = performance.now();
      const got = await (ways[name] as (a: string) => Promise<bigint>)(a);
      const ms = performance.now() - t0;
      if (i >= WARMUP) times[name]?.push(ms);
      const want = await truth(a);
      if (got !== want) throw new Error(`${name}: balance of ${a} ${got}, anvil ${want}`);
    }
  }
  const loadEnd = load1();
  delay.disable();

  // Where the CPU goes: each way alone for a few calls, the CPU time of every process over them.
  const procs: Array<[string, number]> = [['caller (this process)', process.pid], ['lesp proxy', proxy.child.pid as number], ...servers.map((s, i) => [`LES server ${i + 1}`, s.pid] as [string, number]), ['anvil', anvil.pid]];
  const CPU_CALLS = Math.min(100, CALLS);
  for (const name of names) {
    const before = procs.map(([, pid]) => cpuMs(pid));
    const t0 = performance.now();
    for (let i = 0; i < CPU_CALLS && next < fresh.length; i++) await (ways[name] as (a: string) => Promise<bigint>)(take());
    const wall = (performance.now() - t0) / CPU_CALLS;
    const per = procs.map(([p, pid], i) => `${p} ${((cpuMs(pid) - (before[i] as number)) / CPU_CALLS).toFixed(2)}`).filter((x) => !x.endsWith(' 0.00'));
    console.log(`CPU ms per call, ${name} (wall ${wall.toFixed(2)} ms): ${per.join(', ')}`);
  }

  const p50 = (k: string) => median(times[k] as number[]);
  console.log(`2 LES servers (own processes), lesp proxy and LesProvider from dist/; ${CALLS} timed calls per way after ${WARMUP} warm-up, a fresh account each`);
  for (const k of names) console.log(`  ${k.padEnd(24)} ${summary(times[k] as number[])}`);
  console.log(`event-loop delay of this process (LesProvider, the HTTP callers) during the calls: p50 ${(delay.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);
  console.log(`lesp proxy cold starts (process start → URL printed → first verified answer): ${starts.map((s) => `${s.listening.toFixed(0)}→${s.firstAnswer.toFixed(0)} ms`).join(', ')}`);
  console.log(`new LesProvider in a warm process → first verified answer: ${providerStarts.map((x) => `${x.toFixed(0)} ms`).join(', ')}`);
  const lat = (metric: string, a: string, b: string, target: number): BenchResult => ({
    bench: 'client-proxy', metric, unit: 'ms', value: p50(a), baseline: p50(b), ratio: p50(a) / p50(b), goal: { op: '<=', target }, load: [loadWarm, loadEnd],
  });
  emit(lat('eth_getBalance p50, fresh account: lesp proxy vs anvil unverified (HTTP)', 'lesp proxy', 'anvil (unverified)', 2.0));
  emit(lat('verified getBalance p50: LesProvider in process vs eth_getProof+verify in caller', 'LesProvider in process', 'eth_getProof + verify', 1.0));
  emit(lat('verified getBalance p50: lesp proxy vs eth_getProof+verify in caller', 'lesp proxy', 'eth_getProof + verify', 1.3));
  const cold = median(starts.map((s) => s.firstAnswer)) / 1000;
  emit({ bench: 'client-proxy', metric: `lesp proxy cold start to first verified answer (p50 of ${STARTS})`, unit: 's', value: cold, ratio: cold, goal: { op: '<=', target: 0.6 }, load: [load0, loadStarts] });
  const warm = median(providerStarts) / 1000;
  emit({ bench: 'client-proxy', metric: `new LesProvider (warm process) to first verified answer (p50 of ${STARTS})`, unit: 's', value: warm, ratio: warm, goal: { op: '<=', target: 0.3 }, load: [loadStarts, loadWarm] });
} finally {
  for (const c of closers.reverse()) await c().catch(() => undefined);
  await Promise.all(servers.map((s) => s.stop()));
  await anvil.stop();
}
