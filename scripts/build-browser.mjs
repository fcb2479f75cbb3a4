// The browser bundle (les-provider/browser): src/browser/index.ts and everything it imports, as
// one minified ESM file for browsers. node:events is mapped to a small shim; any other Node
// built-in in the graph fails the build (the layer check forbids them too). Run directly (npm run
// build) it writes dist/browser/, prints the minified and gzip sizes and fails past the budget;
// the browser test imports buildBrowserBundle() to build into a temporary directory.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** Minified bytes allowed; Helios's bundle is ~4.2 MB. */
export const BUDGET_MIN_BYTES = 400 * 1024;
const root = fileURLToPath(new URL('..', import.meta.url));
const shim = `${root}src/browser/events.ts`;

/** Bundle into `outfile`; resolves with its minified and gzip sizes. */
export async function buildBrowserBundle(outfile) {
  const result = await build({
    entryPoints: [`${root}src/browser/index.ts`],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // Error classes name themselves from new.target.name: minified names would be meaningless.
    keepNames: true,
    sourcemap: false,
    metafile: true,
    alias: { 'node:events': shim, events: shim },
    logLevel: 'warning',
  });
  const bytes = readFileSync(outfile);
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length, modules: Object.keys(result.metafile.inputs).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outfile = `${root}dist/browser/les-provider.browser.js`;
  const { min, gzip, modules } = await buildBrowserBundle(outfile);
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`browser bundle ${outfile.slice(root.length)}: ${kib(min)} minified, ${kib(gzip)} gzip (budget ${kib(BUDGET_MIN_BYTES)} minified; ${modules} modules)`);
  if (min > BUDGET_MIN_BYTES) {
    console.error(`browser bundle over budget: ${kib(min)} > ${kib(BUDGET_MIN_BYTES)}`);
    process.exit(1);
  }
}
