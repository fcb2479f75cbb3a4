/**
 * anvil for the devnet, from the npm package @foundry-rs/anvil (its platform package ships the
 * binary; an optional peer dependency of the installed package), else an `anvil` on PATH
 * (foundryup), started under anvil-watchdog in a process group of its own:
 * - Ctrl-C in a terminal reaches `lesp devnet` only, which stops the LES servers before anvil;
 * - `stop()` asks the watchdog to stop anvil, then kills the whole group if that takes too long;
 * - `killNow()` kills the group synchronously (the devnet's exit handler);
 * - if the devnet dies without either (SIGKILL), the watchdog's IPC channel closes and it stops anvil.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, delimiter, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { NodeRpcClient } from '../serve/rpc/client.js';
import { DevnetError } from './errors.js';

/** The hardfork the devnet pins (DEVNET in src/config/network.ts applies the same rules). */
export const DEVNET_HARDFORK = 'prague';
/** The mnemonic anvil (and hardhat) derive the dev accounts from: public, for test chains only. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

export interface AnvilSettings {
  host: string;
  port: number;
  chainId: number;
  /** Seconds between blocks; 0: a block for each transaction (automine). */
  blockTime: number;
  /** The anvil executable; default: anvilBinary(). */
  binary?: string;
  log: Logger;
}

export interface RunningAnvil {
  url: string;
  wsUrl: string;
  pid: number;
  watchdogPid: number;
  /** Resolves when the watchdog has exited (anvil with it), with anvil's exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
  killNow(): void;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The anvil binary: the one the platform package of @foundry-rs/anvil installs (resolved from
 * this module, so the app's own node_modules count), else `anvil` on PATH.
 */
export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const name = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  try {
    const path = join(dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), 'bin', name);
    if (executable(path)) return path;
  } catch {
    // not installed through npm; try PATH
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && executable(join(dir, name))) return join(dir, name);
  }
  throw new DevnetError(
    'ANVIL_MISSING',
    `anvil is not installed: npm install --save-dev @foundry-rs/anvil (or foundryup, for anvil on PATH), or follow a node of your own (--rpc <url>, startDevnet({ rpc }))`,
  );
}

/** anvil-watchdog next to this module: .ts under tsx, .js in dist/. */
export function watchdogScript(): string {
  const here = fileURLToPath(import.meta.url);
  return join(dirname(here), `anvil-watchdog${extname(basename(here))}`);
}

export async function startAnvil(settings: AnvilSettings): Promise<RunningAnvil> {
  const binary = settings.binary ?? anvilBinary();
  const args = [
    '--host', settings.host,
    '--port', String(settings.port),
    '--hardfork', DEVNET_HARDFORK,
    '--chain-id', String(settings.chainId),
    '--mnemonic', DEV_MNEMONIC,
    ...(settings.blockTime > 0 ? ['--block-time', String(settings.blockTime)] : []),
  ];
  // From source the watchdog is .ts and needs the loader flags (tsx); compiled it needs none, and a
  // test runner's own flags (vitest, mocha) must not reach it. An inspector port would clash.
  const script = watchdogScript();
  const nodeArgs = script.endsWith('.ts') ? process.execArgv.filter((a) => !a.startsWith('--inspect') && !a.startsWith('--test')) : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script, binary, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  // Port 0: anvil takes a free port itself and names it (no window for another process to take it).
  let port: number | undefined;
  const keep = (d: Buffer): void => {
    output = (output + d.toString()).slice(-4000);
    const m = /Listening on \S+:(\d+)\b/.exec(output);
    if (port === undefined && m !== null && (settings.port === 0 || Number(m[1]) === settings.port)) port = Number(m[1]);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const watchdogPid = child.pid as number;
  const killNow = (): void => {
    try {
      process.kill(-watchdogPid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const lastLine = (): string => output.trim().split('\n').filter((l) => l.trim() !== '').pop() ?? 'no output';

  let url = `http://${settings.host}:${settings.port}`;
  let pid: number | undefined;
  child.on('message', (m: { anvilPid?: number }) => {
    if (typeof m?.anvilPid === 'number') pid = m.anvilPid;
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new DevnetError('ANVIL_FAILED', `anvil did not start (${lastLine()})`);
    // Only our anvil's own "Listening on" line proves the port is its: another process already
    // on that port (another anvil, same chain id) would answer eth_chainId just as well.
    if (pid !== undefined && port !== undefined) {
      url = `http://${settings.host}:${port}`;
      try {
        await new NodeRpcClient({ url, retries: 0, timeoutMs: 2000 }).call('eth_chainId');
        break;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      killNow();
      throw new DevnetError('ANVIL_FAILED', `anvil did not answer on ${url} within 20 s (${lastLine()})`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // From here on the output is only for diagnostics; do not let the pipes hold the process open.
  child.stdout?.removeListener('data', keep);
  child.stderr?.removeListener('data', keep);
  child.stdout?.resume();
  child.stderr?.resume();
  settings.log.info({ url, pid, watchdogPid, hardfork: DEVNET_HARDFORK }, 'anvil started');

  return {
    url,
    wsUrl: `ws://${settings.host}:${port as number}`,
    pid: pid as number,
    watchdogPid,
    exited,
    killNow,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(killNow, 5000);
      await exited;
      clearTimeout(timer);
      killNow(); // anything left in the group
    },
  };
}
