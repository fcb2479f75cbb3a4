import { Command } from 'commander';
import { registerServe } from './serve.js';

const program = new Command('lesp')
  .description('les-provider: a verifying Ethereum light client over LES, its JSON-RPC proxy and its LES server')
  .showHelpAfterError();

program
  .command('devnet')
  .description('start anvil, LES servers and the verifying proxy (not yet available)')
  .action(() => {
    console.log('lesp devnet: not yet available (see issue 5); `npm test` runs the test suite');
  });

registerServe(program);
(await import('./proxy.js')).registerProxy(program);

await program.parseAsync(process.argv);
