/**
 * The README's "Use it in your tests" block, run as the node:test file it is: taken from between
 * its markers, its package imports pointed at this repository's sources (the installed package
 * runs it verbatim: test/integration/package.test.ts), and run with `node --test` in a process of
 * its own. Each of its tests must pass, and there must be the two it shows.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readmeExample } from './devnet-readme.js';
import { spawnSync } from 'node:child_process';

/** `node --test` in a process of its own: without the NODE_TEST_CONTEXT this runner sets, it reports as a runner of its own. */
function nodeTest(args: string[], cwd: string, timeoutMs: number): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, [...args], { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const ROOT = new URL('..', import.meta.url).pathname;

describe('README: Use it in your tests', () => {
  const dir = join(ROOT, '.tmp', `devnet-readme-${process.pid}`);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs as a node:test file: deploy, time, mine, verified reads, snapshots — 2 of 2 pass', () => {
    const code = readmeExample('devnet-test');
    assert.match(code, /from 'les-provider\/devnet'/);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'token.test.ts');
    writeFileSync(file, code.replace("'les-provider/devnet'", "'../../src/devnet/index.js'"));
    const r = nodeTest(['--import', 'tsx', '--test', '--test-reporter=tap', file], ROOT, 180_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^# pass 2$/m);
    assert.match(r.stdout, /^# fail 0$/m);
  });
});
