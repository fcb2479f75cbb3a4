/**
 * Starts a real Hardhat node (npm `hardhat` 2.x, its EDR execution client) on a free 127.0.0.1
 * port for one test file, and stops it. A second execution client beside anvil: a genesis state
 * root that commits to its funded dev accounts, eth_getProof, and no eth_getBlockReceipts, no
 * debug_getRawTransaction, no state dump.
 *
 * Its config is a minimal hardhat.config.cjs in a temporary directory; the process runs from the
 * project root (Hardhat refuses to run from a directory where it is not installed) under lesp
 * devnet's watchdog, so it dies with the test process however that ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchdogScript } from '../../src/devnet/anvil.js';
import { type Anvil, freePort, rpcCall } from './anvil.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface HardhatOptions {
  chainId?: number;
  /** Hardhat's hardfork name. Default: its own default (prague in 2.29). */
  hardfork?: string;
}

/** A running Hardhat node; the same shape as the anvil helper's, so tests can take either. */
export type Hardhat = Anvil;

export async function startHardhat(options: HardhatOptions = {}): Promise<Hardhat> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(await freePort(), options);
    } catch (e) {
      if (!(e instanceof PortTakenError) || attempt >= 5) throw e;
    }
  }
}

class PortTakenError extends Error {}

async function launch(port: number, options: HardhatOptions): Promise<Hardhat> {
  const dir = mkdtempSync(join(tmpdir(), 'lesp-hardhat-'));
  const hardhat: Record<string, unknown> = { chainId: options.chainId ?? 31337 };
  if (options.hardfork !== undefined) hardhat.hardfork = options.hardfork;
  writeFileSync(join(dir, 'hardhat.config.cjs'), `module.exports = ${JSON.stringify({ networks: { hardhat } })};\n`);
  const cli = createRequire(import.meta.url).resolve('hardhat/internal/cli/bootstrap.js');
  const args = [cli, '--config', join(dir, 'hardhat.config.cjs'), 'node', '--hostname', '127.0.0.1', '--port', String(port)];
  const nodeArgs = process.execArgv.filter((a) => !a.startsWith('--inspect') && !a.startsWith('--test'));
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, watchdogScript(), process.execPath, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', DO_NOT_TRACK: '1' },
  });
  let nodePid: number | undefined;
  child.on('message', (m: { anvilPid?: number }) => {
    if (typeof m?.anvilPid === 'number') nodePid = m.anvilPid;
  });
  let output = '';
  const keep = (d: Buffer): void => {
    if (output.length < 20000) output += d.toString();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.channel?.unref();
  const killAll = (): void => {
    for (const pid of [nodePid, child.pid]) {
      try {
        if (pid !== undefined) process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      cleanup();
      if (output.includes('EADDRINUSE')) throw new PortTakenError(`port ${port} taken`);
      throw new Error(`hardhat node exited with ${child.exitCode}:\n${output}`);
    }
    if (output.includes('Started HTTP')) {
      try {
        await rpcCall(url, 'eth_chainId');
        break;
      } catch {
        // not answering yet
      }
    }
    if (Date.now() > deadline) {
      killAll();
      cleanup();
      throw new Error(`hardhat node did not answer within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    rpc: <T>(method: string, params: unknown[] = []) => rpcCall<T>(url, method, params),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(killAll, 5000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}
