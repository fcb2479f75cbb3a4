#!/usr/bin/env node
// Runs the node:test suites on the TypeScript sources (through tsx) and prints node:test's closing
// summary. Node 20's `--test` takes no globs, so the files are listed here.
// Usage: node scripts/run-tests.mjs [unit|integration|browser|examples ...]   (default: all four)
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const suites = { unit: 'test/unit', integration: 'test/integration', browser: 'test/browser', examples: 'examples' };
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const chosen = wanted.length > 0 ? wanted : Object.keys(suites);
for (const name of chosen) {
  if (!(name in suites)) {
    console.error(`unknown suite "${name}"; choose from ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
}

function findTests(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const entry of entries.sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (entry.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = chosen.flatMap((name) => findTests(join(root, suites[name])));
if (files.length === 0) {
  console.error(`no test files found in ${chosen.join(', ')}`);
  process.exit(1);
}

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const args = [
  '--import', 'tsx',
  '--test',
  `--test-concurrency=${concurrency}`,
  '--test-timeout=300000',
  '--test-reporter=spec',
  ...files,
];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
