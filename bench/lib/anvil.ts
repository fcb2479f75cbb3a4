/**
 * A real anvil (the @foundry-rs/anvil binary the devnet uses) on a port it picks itself, for one
 * benchmark: `--port 0` and anvil's own "Listening on" line, so no other process can hold the
 * port in between. Killed by `stop()` and, should the benchmark die first, at its exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { anvilBinary } from '../../src/devnet/anvil.js';

export interface Anvil {
  url: string;
  pid: number;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export async function rpcCall<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(120_000),
  });
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error !== undefined) throw new Error(`${method}: ${body.error.message} (${body.error.code})`);
  return body.result as T;
}

export async function startAnvil(options: { hardfork?: string; args?: string[] } = {}): Promise<Anvil> {
  const args = ['--host', '127.0.0.1', '--port', '0', '--hardfork', options.hardfork ?? 'prague', '--chain-id', '31337', ...(options.args ?? [])];
  const child: ChildProcess = spawn(anvilBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`anvil did not listen within 20 s: ${output.slice(-400)}`)), 20_000);
    const keep = (d: Buffer): void => {
      output = (output + d.toString()).slice(-4000);
      const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code) => reject(new Error(`anvil exited with ${code}: ${output.slice(-400)}`)));
  }).catch((e: unknown) => {
    kill();
    throw e;
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  child.stdout?.resume();
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid as number,
    rpc: <T>(method: string, params: unknown[] = []) => rpcCall<T>(url, method, params),
    async stop() {
      process.removeListener('exit', kill);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(kill, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The receipt of `hash`, waiting for it (automine may answer the send before the block exists). */
export async function receiptOf<T = Record<string, unknown>>(anvil: Pick<Anvil, 'rpc'>, hash: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await anvil.rpc<T | null>('eth_getTransactionReceipt', [hash]);
    if (r !== null) return r;
    if (Date.now() > end) throw new Error(`transaction ${hash} not mined within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
