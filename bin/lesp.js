#!/usr/bin/env node
// The `lesp` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (run automatically by `npm ci` / `npm install` through the `prepare` script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('lesp: dist/ is missing; run `npm run build` (or `npm ci`) first');
  process.exit(1);
}
await import(entry.href);
