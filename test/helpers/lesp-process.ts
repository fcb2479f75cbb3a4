/**
 * `lesp <args>` as a child process from the sources (through tsx), with its output collected.
 * LESP_* variables of the test's own environment are not passed on, so only the test's flags count.
 */
import { type ChildProcess, spawn } from 'node:child_process';

export const ROOT = new URL('../..', import.meta.url).pathname;

export interface LespRun {
  child: ChildProcess;
  /** When it was started (ms since the epoch). */
  started: number;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnLesp(args: string[], env: NodeJS.ProcessEnv = {}): LespRun {
  const inherited = { ...process.env };
  for (const k of Object.keys(inherited)) if (k.startsWith('LESP_')) delete inherited[k];
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...inherited, ...env } });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, started, stdout: () => out, stderr: () => err, exit };
}

/** The enode line a `lesp serve` run prints once listening. */
export async function enodeOf(run: LespRun, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = run.stdout().split('\n').find((l) => l.startsWith('enode://'));
    if (line !== undefined) return line.trim();
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`no enode printed:\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
