/**
 * serve-your-node.md, step by step: anvil as "your node", the real `lesp serve --rpc …` command in
 * front of it, and the balance.ts example (a LesProvider) connected to the enode it printed. The
 * balance must be anvil's; the server must stop cleanly on SIGINT.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Anvil, startAnvil } from '../test/helpers/anvil.js';
import { runExample } from './harness.js';

const ROOT = new URL('..', import.meta.url).pathname;
/** anvil's dev account 5. */
const ADDRESS = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc';

describe('serve-your-node.md: lesp serve in front of your node, a LesProvider on its enode', () => {
  let anvil: Anvil;
  let server: ChildProcess | undefined;
  let stderr = '';

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    await anvil.rpc('anvil_mine', ['0x1']); // the genesis state is not provable: step 1's block
  });

  after(async () => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    await anvil?.stop();
  });

  it('lesp serve prints its enode; balance.ts reads the balance anvil has; SIGINT stops the server with exit 0', async () => {
    // Step 2 (port 0: any free port, so that the test never collides with a devnet).
    server = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--rpc', anvil.url, '--port', '0', '--log-level', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    server.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 1500 && !stdout.includes('\n') && server.exitCode === null; i++) await sleep(20);
    const enode = stdout.trim();
    assert.match(enode, /^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/, `lesp serve printed no enode:\n${stderr}`);

    // Step 3.
    const out = await runExample('balance.ts', { LES_SERVERS: enode, NODE_URL: anvil.url, NETWORK: 'devnet' }, [ADDRESS]);
    const m = /^balance: (0x[0-9a-fA-F]{40}) has [0-9.]+ ETH \((\d+) wei\) at block (\d+)$/m.exec(out);
    assert.ok(m !== null, out);
    assert.equal(m[1], ADDRESS);
    const block = Number(m[3]);
    assert.ok(block >= 1);
    const want = await anvil.rpc<string>('eth_getBalance', [ADDRESS, `0x${block.toString(16)}`]);
    assert.equal(BigInt(m[2] as string), BigInt(want));
    assert.ok(BigInt(want) > 0n);

    server.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
  });
});
