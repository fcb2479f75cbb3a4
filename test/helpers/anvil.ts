/**
 * Starts a real anvil (from the npm package @foundry-rs/anvil) on a free 127.0.0.1 port for one
 * test file, and stops it. Nothing here depends on a node left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { anvilBinary, watchdogScript } from '../../src/devnet/anvil.js';

export { anvilBinary };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface AnvilOptions {
  /** e.g. 'prague', 'cancun', 'shanghai', 'london', 'berlin'. Default: prague. */
  hardfork?: string;
  chainId?: number;
  /** Extra command-line arguments. */
  args?: string[];
}

export interface Anvil {
  url: string;
  port: number;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** How long a test waits for anvil's answer to one call (undici's own limit is 300 s, a test file's whole budget). */
const RPC_TIMEOUT_MS = 30_000;

export async function rpcCall<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
    });
  } catch (e) {
    if ((e as Error).name === 'TimeoutError') throw new Error(`${method}: anvil at ${url} did not answer within ${RPC_TIMEOUT_MS / 1000} s`);
    throw e;
  }
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string; data?: unknown } };
  if (body.error) throw new RpcError(body.error.code, `${method}: ${body.error.message}`, body.error.data);
  return body.result as T;
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  // freePort's port is free only until someone binds it: two test files starting at once may get
  // the same one. Our anvil's own "Listening on" line proves it has the port; if it lost the race
  // ("Address already in use") another port is tried.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchAnvil(await freePort(), options);
    } catch (e) {
      if (!(e instanceof PortTakenError) || attempt >= 5) throw e;
    }
  }
}

class PortTakenError extends Error {}

async function launchAnvil(port: number, options: AnvilOptions): Promise<Anvil> {
  const args = [
    '--host', '127.0.0.1',
    '--port', String(port),
    '--hardfork', options.hardfork ?? 'prague',
    '--chain-id', String(options.chainId ?? 31337),
    ...(options.args ?? []),
  ];
  // Through lesp devnet's watchdog: anvil dies with this process however it ends (a test file
  // killed at its timeout included), so no anvil is ever left behind.
  const nodeArgs = process.execArgv.filter((a) => !a.startsWith('--inspect') && !a.startsWith('--test'));
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, watchdogScript(), anvilBinary(), ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let anvilPid: number | undefined;
  child.on('message', (m: { anvilPid?: number }) => {
    if (typeof m?.anvilPid === 'number') anvilPid = m.anvilPid;
  });
  let output = '';
  let tail = '';
  let listening = false;
  const keep = (d: Buffer): void => {
    const text = d.toString();
    if (output.length < 20000) output += text;
    tail = (tail + text).slice(-200);
    listening ||= tail.includes(`Listening on 127.0.0.1:${port}`);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The channel must not keep the test process alive; when that process ends it closes, and the
  // watchdog stops anvil.
  child.channel?.unref();
  const killAll = (): void => {
    for (const pid of [anvilPid, child.pid]) {
      try {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      if (output.includes('Address already in use')) throw new PortTakenError(`port ${port} taken`);
      throw new Error(`anvil exited with ${child.exitCode}:\n${output}`);
    }
    if (listening) {
      try {
        await rpcCall(url, 'eth_chainId');
        break;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) {
      killAll();
      throw new Error(`anvil did not answer within 20 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    port,
    rpc: <T>(method: string, params: unknown[] = []) => rpcCall<T>(url, method, params),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM'); // the watchdog stops anvil, then exits
        const timer = setTimeout(killAll, 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/**
 * The receipt of `hash`, waiting for it: anvil's automine may answer eth_sendTransaction before
 * the block that holds the transaction exists.
 */
export async function receiptOf<T = Record<string, unknown>>(anvil: Pick<Anvil, 'rpc'>, hash: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const r = await anvil.rpc<T | null>('eth_getTransactionReceipt', [hash]);
    if (r !== null) return r;
    if (Date.now() > end) throw new Error(`transaction ${hash} not mined within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** eth_sendTransaction on an automining anvil, then its receipt once the block exists. */
export async function sendTx<T = Record<string, unknown>>(anvil: Pick<Anvil, 'rpc'>, tx: Record<string, unknown>): Promise<T> {
  return receiptOf<T>(anvil, await anvil.rpc<string>('eth_sendTransaction', [tx]));
}
