/**
 * Runs anvil as its own child and never lets it outlive the devnet's process, however it ends.
 * Started by anvil.ts with an IPC channel: it reports anvil's pid over it, and the channel
 * closing means the devnet is gone (even killed with SIGKILL, which no exit handler sees), so
 * anvil is stopped. SIGTERM/SIGINT/SIGHUP stop anvil too; the watchdog exits when anvil has.
 *
 * Usage (internal): node anvil-watchdog.js <anvil binary> [anvil arguments...]
 */
import { spawn } from 'node:child_process';

const [binary, ...args] = process.argv.slice(2);
if (binary === undefined || process.send === undefined) {
  console.error('anvil-watchdog: started by the devnet only (needs an IPC channel and the anvil binary)');
  process.exit(2);
}

const anvil = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
let stopping = false;

function stop(): void {
  if (stopping) return;
  stopping = true;
  if (anvil.exitCode === null && anvil.signalCode === null) {
    anvil.kill('SIGTERM');
    setTimeout(() => anvil.kill('SIGKILL'), 3000).unref();
  }
}

anvil.once('spawn', () => process.send?.({ anvilPid: anvil.pid }));
anvil.once('error', (err) => {
  console.error(`anvil-watchdog: cannot start ${binary}: ${err.message}`);
  process.exit(1);
});
anvil.once('exit', (code, signal) => process.exit(stopping ? 0 : (code ?? (signal === null ? 1 : 128))));
process.once('disconnect', stop);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
