/**
 * The `lesp` command. Each command registers its flags; `finishCli` then gives every command the
 * shared behaviour: flags also from LESP_* variables and a --config file, --log-level, help that
 * lists each flag's default, and one-line errors.
 */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { finishCli } from './sources.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('lesp')
  .description('les-provider: a verifying Ethereum light client over LES, its JSON-RPC proxy and its LES server')
  .version(version);

// Each command's module pulls in a large part of the package (the client, the server, the devnet),
// so only the command named is loaded; help, --version and an unknown command get them all, in order.
// admin also gives `serve` its --admin-* flags, so serve loads it too.
const devnet = async () => (await import('./devnet.js')).registerDevnet;
const serve = async () => (await import('./serve.js')).registerServe;
const proxy = async () => (await import('./proxy.js')).registerProxy;
const admin = async () => (await import('./admin.js')).registerAdmin;
const commands: Record<string, (() => Promise<(p: Command) => void>)[]> = { devnet: [devnet], serve: [serve, admin], proxy: [proxy], admin: [admin] };
const named = process.argv.slice(2).find((a) => !a.startsWith('-'));
const load = named !== undefined && Object.hasOwn(commands, named) ? (commands[named] ?? []) : [devnet, serve, proxy, admin];
for (const register of await Promise.all(load.map((l) => l()))) register(program);

finishCli(program);
await program.parseAsync(process.argv);
