/**
 * The `lesp` command. Each command registers its flags; `finishCli` then gives every command the
 * shared behaviour: flags also from LESP_* variables and a --config file, --log-level, help that
 * lists each flag's default, and one-line errors.
 */
import { createRequire } from 'node:module';
import { Command } from 'commander';
import { registerDevnet } from './devnet.js';
import { registerProxy } from './proxy.js';
import { registerServe } from './serve.js';
import { finishCli } from './sources.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

const program = new Command('lesp')
  .description('les-provider: a verifying Ethereum light client over LES, its JSON-RPC proxy and its LES server')
  .version(version);

registerDevnet(program);
registerServe(program);
registerProxy(program);
(await import('./admin.js')).registerAdmin(program);

finishCli(program);
await program.parseAsync(process.argv);
