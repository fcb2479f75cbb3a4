/**
 * `lesp serve` on a real terminal (a pseudo-terminal from util-linux `script`): with several
 * sections pending at start it draws the section progress bar on stderr — redrawn in place, with
 * the time left — and logs what it built with the measured rate (blocks/s).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { type Anvil, startAnvil } from '../helpers/anvil.js';

const hasScript = spawnSync('script', ['--version']).status === 0;

let anvil: Anvil;
let child: ChildProcess | undefined;

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  // Devnet sections: 64 blocks after 16 confirmations; 300 blocks finish four.
  await anvil.rpc('anvil_mine', ['0x12c']);
});

after(async () => {
  if (child?.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await anvil?.stop();
});

describe('lesp serve on a terminal', { skip: hasScript ? false : 'util-linux script is not installed' }, () => {
  it('draws the section progress bar in place and logs the built sections with blocks/s', async () => {
    const cmd = `${process.execPath} --import tsx src/cli/main.ts serve --rpc ${anvil.url} --port 0 --log-level info`;
    child = spawn('script', ['-qfec', cmd, '/dev/null'], { cwd: new URL('../..', import.meta.url).pathname, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const end = Date.now() + 45_000;
    while (!/helper-trie sections built/.test(out)) {
      if (Date.now() > end || child.exitCode !== null) assert.fail(`no sections built on the terminal:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    process.kill(-(child.pid as number), 'SIGINT');
    await new Promise((r) => child?.once('exit', r));
    const bars = [...out.matchAll(/\r\x1b\[K\[([#.]+)\] sections (\d+)\/(\d+) \((\d+)\/(\d+) this run\)( ETA \S+)?/g)];
    assert.ok(bars.length >= 5, `a bar drawn at start and after each of 4 sections, got ${bars.length}`);
    const last = bars[bars.length - 1]!;
    assert.equal(last[2], '4');
    assert.equal(last[3], '4');
    assert.match(last[1]!, /^#+$/, 'the last bar is full');
    assert.ok(bars.some((b) => b[6] !== undefined), 'a time left once a section is done');
    const built = out.split('\n').find((l) => l.includes('helper-trie sections built')) ?? '';
    assert.match(built, /"sections":4/);
    assert.match(built, /"blocksPerSecond":\d+/);
  });
});
