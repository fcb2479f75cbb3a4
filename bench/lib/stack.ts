/**
 * The stack a client benchmark runs on: anvil (prague) ← LesServers (in this process or each in
 * its own, see server-child.ts) ← LesClient / LesProvider. Everything started here is stopped by
 * the returned `stop()`; nothing outlives the benchmark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LesClient, type LesClientOptions } from '../../src/client/engine/index.js';
import { LesProvider } from '../../src/client/provider.js';
import { LesServer, type LesServerOptions, type LesServerStats } from '../../src/serve/index.js';
import { type Anvil, startAnvil } from './anvil.js';
import { until } from './report.js';

export type ServerSpec = Omit<LesServerOptions, 'rpcUrl' | 'log' | 'progressStream' | 'nodeKey' | 'datadir'>;

export interface ServerHandle {
  enode: string;
  /** Its process (this one for an in-process server). */
  pid: number;
  stats(): Promise<LesServerStats>;
  stop(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

export async function startAnvilChain(args: string[] = [], hardfork = 'prague'): Promise<{ anvil: Anvil; genesis: string; accounts: string[] }> {
  const anvil = await startAnvil({ hardfork, args });
  try {
    const genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    const accounts = await anvil.rpc<string[]>('eth_accounts');
    return { anvil, genesis, accounts };
  } catch (e) {
    await anvil.stop();
    throw e;
  }
}

/** A LesServer in this process. */
export async function inlineServer(rpcUrl: string, spec: ServerSpec = {}): Promise<ServerHandle> {
  const server = new LesServer({ rpcUrl, host: '127.0.0.1', port: 0, pollIntervalMs: 50, progressStream: null, ...spec });
  const enode = await server.start();
  return { enode, pid: process.pid, stats: async () => server.stats(), stop: () => server.stop() };
}

/** A LesServer in a child process of its own. */
export async function childServer(rpcUrl: string, spec: ServerSpec = {}): Promise<ServerHandle> {
  // BENCH_CPU_PROF=<dir>: a .cpuprofile of the server, written when it stops.
  const prof = process.env.BENCH_CPU_PROF === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF];
  const child: ChildProcess = spawn(process.execPath, [...prof, '--import', 'tsx', CHILD, JSON.stringify({ rpcUrl, pollIntervalMs: 50, ...spec })], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const enode = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('enode://'));
      if (line !== undefined) resolve(line.trim());
    });
    child.once('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
  let nextId = 0;
  const pending = new Map<number, (s: LesServerStats) => void>();
  child.on('message', (m: { id: number; stats: LesServerStats }) => {
    pending.get(m.id)?.(m.stats);
    pending.delete(m.id);
  });
  return {
    enode,
    pid: child.pid as number,
    stats: () =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.send({ type: 'stats', id });
      }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function startServers(rpcUrl: string, count: number, spec: ServerSpec = {}, where: 'inline' | 'process' = 'inline'): Promise<ServerHandle[]> {
  const start = where === 'inline' ? inlineServer : childServer;
  const started = await Promise.allSettled(Array.from({ length: count }, () => start(rpcUrl, spec)));
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(ok.map((s) => s.stop()));
    throw failed.reason;
  }
  return ok;
}

export function clientOptions(enodes: readonly string[], genesis: string, extra: Partial<LesClientOptions> = {}): LesClientOptions {
  return { servers: enodes.map((enode) => ({ enode, trusted: true })), network: 'devnet', genesisHash: genesis, ...extra };
}

/** A started LesProvider over its own LesClient, at anvil's head. */
export async function startProvider(anvil: Anvil, options: LesClientOptions): Promise<{ client: LesClient; provider: LesProvider }> {
  const client = new LesClient(options);
  const provider = new LesProvider({ engine: client, network: 'devnet' });
  try {
    await provider.start();
    await atAnvilHead(anvil, client);
  } catch (e) {
    await provider.close();
    throw e;
  }
  return { client, provider };
}

/** Waits until the client has adopted anvil's current head. */
export async function atAnvilHead(anvil: Anvil, client: LesClient, ms = 60_000): Promise<number> {
  const n = Number(await anvil.rpc<string>('eth_blockNumber'));
  await until(`the client at anvil's head ${n}`, () => ((client.head()?.header.number ?? -1) >= n ? true : undefined), ms, 5);
  return n;
}

/** Sum of bytes received from every LES server (the client's peer counters, payload bytes). */
export function bytesIn(client: LesClient): number {
  return (client.parts?.pool.list() ?? []).reduce((n, s) => n + s.bytesIn, 0);
}
