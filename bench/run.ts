/**
 * Runs the benchmarks, each in a process of its own (one after the other, so they do not compete
 * for the 2 shared cores), passes their output through, and prints a summary table: figure,
 * baseline, ratio, goal, met, and the 1-minute load average around each run.
 *
 *   npm run bench                          every benchmark
 *   npm run bench -- client-logs           the ones named
 *   npm run bench -- client-scale:5,128    with arguments (comma-separated) instead of the defaults
 *
 * Benchmarks of the compiled package (client-proxy, client-rss) run `npm run build` first.
 *
 * The client benchmarks report `@bench {json}` lines (bench/lib/report.ts); the older ones are read
 * from their printed lines. Exit code 1 if a benchmark failed to run (not for a goal missed).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BenchResult, RESULT_PREFIX, fmt, load1, met } from './lib/report.js';

interface Entry {
  file: string;
  args: string[];
  about: string;
  /** For benchmarks that print no @bench lines: results read from their output. */
  parse?: (out: string, load: [number, number]) => BenchResult[];
  /** Runs the compiled package (dist/): `npm run build` once before the first such benchmark. */
  dist?: true;
}

const num = (s: string | undefined): number => Number((s ?? 'NaN').replace(/,/g, ''));

const BENCHES: Record<string, Entry> = {
  'client-proxy': { file: 'client-proxy.ts', args: [], dist: true, about: 'verified getBalance through lesp proxy and LesProvider vs anvil unverified and eth_getProof verified in the caller; cold starts' },
  'client-latency': { file: 'client-latency.ts', args: [], about: 'verified getBalance p50 vs JsonRpcProvider → anvil' },
  'client-scale': { file: 'client-scale.ts', args: [], about: 'verified reads/s, 4 vs 1 flow-limited servers' },
  'client-logs': { file: 'client-logs.ts', args: [], about: 'getLogs bytes over 10 devnet sections vs all headers' },
  'client-logs-512': { file: 'client-logs.ts', args: ['8', '3', '32', '512'], about: 'the same at section size 512 (scaling)' },
  'client-logs-mainnet': { file: 'client-logs.ts', args: ['3', '3', '32', '32768'], about: 'the same over 3 sections of mainnet\'s 32,768 blocks' },
  'client-rss': { file: 'client-rss.ts', args: [], dist: true, about: 'client RSS (compiled package, plain node) idle and under load' },
  'client-call': { file: 'client-call.ts', args: [], about: 'cold ERC-20 balanceOf via eth_call vs anvil eth_call; LES round trips' },
  'beacon-start': { file: 'beacon-start.ts', args: [], about: 'start → first verified answer: beacon trust (512-key sync committee, checkpoint known) beside server agreement' },
  'serve-fuzz': { file: 'serve-fuzz.ts', args: [], about: '100,000 mutated LES messages, RLPx junk and silent peers at a LesServer process; crashes, hangs, RSS' },
  'client-hostile-replies': { file: 'client-hostile-replies.ts', args: [], about: 'CPU to refuse a receipt bomb and drop an unknown-reqID 9.5 MiB reply' },
  'proxy-fuzz': { file: 'proxy-fuzz.ts', args: [], about: '100,000 hostile JSON-RPC requests at the proxy: crashes, hangs, RSS' },
  'serve-proofs': {
    file: 'serve-proofs.ts',
    args: [],
    about: 'lesp serve account proofs/s (from the node\'s eth_getProof) vs anvil eth_getProof, distinct and repeated keys',
    parse: (out, load) => {
      const les = num(/LES GetProofsV2 \(distinct keys[^:]*:\s*([\d.]+)/.exec(out)?.[1]);
      const lesRepeated = num(/LES GetProofsV2 repeated keys[^:]*:\s*([\d.]+)/.exec(out)?.[1]);
      const single = num(/eth_getProof \(one per call\):\s*([\d.]+)/.exec(out)?.[1]);
      const batch = num(/eth_getProof \(JSON-RPC batch 64\):\s*([\d.]+)/.exec(out)?.[1]);
      const batchRepeated = num(/eth_getProof repeated keys \(batch 64\):\s*([\d.]+)/.exec(out)?.[1]);
      const node = Math.max(single, batch);
      const nodeRepeated = Math.max(node, batchRepeated);
      return [
        { bench: 'serve-proofs', metric: 'account proofs/s, distinct keys: LES GetProofsV2 vs best anvil eth_getProof', value: les, baseline: node, unit: 'proofs/s', ratio: les / node, goal: { op: '>=', target: 0.8 }, load },
        { bench: 'serve-proofs', metric: 'account proofs/s, repeated keys: LES GetProofsV2 vs best anvil eth_getProof', value: lesRepeated, baseline: nodeRepeated, unit: 'proofs/s', ratio: lesRepeated / nodeRepeated, goal: { op: '>=', target: 5 }, load },
      ];
    },
  },
  'serve-fill': { file: 'serve-fill.ts', args: [], about: 'lesp serve header fill from genesis (checked, LevelDB) vs the node\'s answers alone, projected onto Sepolia and mainnet' },
  indexer: {
    file: 'indexer.ts',
    args: [],
    about: 'section indexer at mainnet section size',
    parse: (out, load) => {
      const bulk = /CHT bulk insert[^=]*=\s*([\d,]+)\/s/.exec(out)?.[1];
      const put = /@ethereumjs\/trie put[^=]*=\s*([\d,]+)\/s/.exec(out)?.[1];
      const section = /SectionIndexer on LevelDB:.*=\s*([\d.]+) s\/section/.exec(out)?.[1];
      return [
        { bench: 'indexer', metric: 'CHT entries/s: bulk sorted insert vs @ethereumjs/trie put', value: num(bulk), baseline: num(put), unit: 'entries/s', ratio: num(bulk) / num(put), load },
        { bench: 'indexer', metric: 'whole section (CHT + BloomBits + BloomTrie) on LevelDB', value: num(section), unit: 's/section', ratio: num(section), load },
      ];
    },
  },
};

const here = fileURLToPath(new URL('.', import.meta.url));

async function runOne(name: string, entry: Entry, args: string[]): Promise<{ results: BenchResult[]; ok: boolean; seconds: number }> {
  console.log(`\n=== ${name}: ${entry.about} (node --import tsx bench/${entry.file} ${args.join(' ')}) — load ${load1().toFixed(2)}`);
  const load0 = load1();
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', here + entry.file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const results: BenchResult[] = [];
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith(RESULT_PREFIX)) results.push(JSON.parse(line.slice(RESULT_PREFIX.length)) as BenchResult);
      else console.log(`  ${line}`);
    }
  });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d.toString().replace(/^(?=.)/gm, '  ')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (pending.length > 0) console.log(`  ${pending}`);
  const seconds = (performance.now() - t0) / 1000;
  if (entry.parse !== undefined && code === 0) results.push(...entry.parse(out, [load0, load1()]));
  if (code !== 0) console.log(`  !! ${name} exited with code ${code}`);
  return { results, ok: code === 0, seconds };
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r, i) => {
    const line = r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ');
    return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

const asked = process.argv.slice(2);
const unknown = asked.map((a) => a.split(':')[0] as string).filter((n) => BENCHES[n] === undefined);
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
const plan = asked.length === 0 ? Object.keys(BENCHES).map((n) => [n, undefined] as const) : asked.map((a) => [a.split(':')[0] as string, a.includes(':') ? a.slice(a.indexOf(':') + 1).split(',') : undefined] as const);

console.log(`benchmarks: ${plan.map(([n]) => n).join(', ')}; node ${process.version}; load average ${load1().toFixed(2)} on a 2-core machine shared with others`);
const all: BenchResult[] = [];
const failed: string[] = [];
const times: string[] = [];
let built = false;
for (const [name, args] of plan) {
  const entry = BENCHES[name] as Entry;
  if (entry.dist === true && !built) {
    // The compiled output, as users run it, from the sources as they are now.
    console.log('\n=== npm run build (for the benchmarks of the compiled package)');
    const code = await new Promise<number | null>((resolve) => spawn('npm', ['run', 'build'], { stdio: 'inherit', cwd: `${here}..` }).once('exit', resolve));
    if (code !== 0) {
      console.log(`  !! npm run build exited with code ${code}`);
      failed.push('build');
    }
    built = true;
  }
  const r = await runOne(name, entry, args ?? entry.args);
  all.push(...r.results);
  times.push(`${name} ${r.seconds.toFixed(0)} s`);
  if (!r.ok) failed.push(name);
}

const goalText = (r: BenchResult) => (r.goal === undefined ? '—' : `${r.goal.op === '<=' ? '≤' : '≥'} ${r.goal.target}`);
const metText = (r: BenchResult) => ({ true: 'yes', false: 'NO', undefined: '—' })[String(met(r)) as 'true' | 'false' | 'undefined'];
console.log('\n=== summary');
console.log(
  table([
    ['bench', 'measured', 'value', 'baseline', 'ratio', 'goal', 'met', 'load'],
    ...all.map((r) => [
      r.bench,
      r.metric,
      `${fmt(r.value)} ${r.unit}`,
      r.baseline === undefined ? '—' : `${fmt(r.baseline)} ${r.unit}`,
      fmt(r.ratio),
      goalText(r),
      metText(r),
      `${r.load[0].toFixed(1)}→${r.load[1].toFixed(1)}`,
    ]),
  ]),
);
for (const r of all.filter((x) => x.note !== undefined)) console.log(`note (${r.bench}): ${r.note}`);
console.log(`run times: ${times.join(', ')}`);
if (failed.length > 0) {
  console.log(`FAILED to run: ${failed.join(', ')}`);
  process.exitCode = 1;
}
