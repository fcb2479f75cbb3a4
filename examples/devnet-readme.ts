/**
 * The README's example blocks, for the tests that run them (examples/devnet-readme.test.ts from the
 * sources, test/integration/package.test.ts in a project that installed the packed package).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

/** The code block between `<!-- example:<name> -->` and `<!-- /example:<name> -->` in README.md. */
export function readmeExample(name: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = new RegExp(`<!-- example:${name} -->\\n\`\`\`js\\n([\\s\\S]*?)\`\`\`\\n<!-- /example:${name} -->`).exec(readme);
  assert.ok(m?.[1] !== undefined, `README.md has no example block ${name}`);
  return m[1];
}
