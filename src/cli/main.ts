import { Command } from 'commander';

const program = new Command('lesp')
  .description('les-provider: a verifying Ethereum light client over LES, its JSON-RPC proxy and its LES server')
  .showHelpAfterError();

program
  .command('devnet')
  .description('start anvil, LES servers and the verifying proxy (not yet available)')
  .action(() => {
    console.log('lesp devnet: not yet available (see issue 5); `npm test` runs the test suite');
  });

await program.parseAsync(process.argv);
