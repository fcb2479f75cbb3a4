/**
 * The proxy fuzzer at scale: ≥ 100,000 mutated and malformed JSON-RPC requests over HTTP and
 * WebSocket (test/helpers/proxy-fuzz.ts) against the proxy in a child process over the real
 * method table and local EVM with an empty data layer. Prints requests, crashes (HTTP 500, a
 * connection cut without an answer, the process gone), hangs (no answer in 15 s), -32603 answers,
 * malformed answers, good requests not answered, log lines at warn or above, the proxy's RSS at
 * start, max and end (after a full GC), and its V8 heap in use after GC at start and end.
 *
 *   node --import tsx bench/proxy-fuzz.ts [requests=100000] [seed=1] [concurrency=8]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runProxyFuzz } from '../test/helpers/proxy-fuzz.js';
import { rssMiB } from './lib/proc.js';
import { emit, load1 } from './lib/report.js';

const [count = 100_000, seed = 1, concurrency = 8] = process.argv.slice(2).map(Number);

const child: ChildProcess = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(new URL('./lib/proxy-fuzz-child.ts', import.meta.url))], {
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
let exited = false;
child.on('exit', () => (exited = true));
let warnLines = 0;
let stackLines = 0;
const examples: string[] = [];
let partial = '';
child.stdout?.on('data', (d: Buffer) => {
  const lines = (partial + d.toString()).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) {
    if (line.trim() === '') continue;
    warnLines++;
    if (line.includes('"stack"')) stackLines++;
    if (examples.length < 3) examples.push(line.slice(0, 400));
  }
});

const ipc = <T>(type: string): Promise<T> =>
  new Promise((resolve) => {
    const on = (m: { type: string }) => {
      if (m.type === type) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
  });

const target = await ipc<{ url: string; wsUrl: string; methods: string[] }>('listening');
const pid = child.pid as number;
const rssStart = rssMiB(pid);
let rssMax = rssStart;
const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssMiB(pid))), 100);
child.send({ type: 'gc' });
const heapStart = (await ipc<{ heapUsed: number }>('gc')).heapUsed / 2 ** 20;
const load0 = load1();
const started = performance.now();
const report = await runProxyFuzz(target, {
  count,
  seed,
  methods: target.methods,
  concurrency,
  slowCases: 20,
  alive: () => !exited,
  onProgress: (n) => {
    if (n % 10_000 === 0) console.log(`${n} requests, ${((performance.now() - started) / 1000).toFixed(0)} s, proxy RSS ${rssMiB(pid).toFixed(0)} MiB`);
  },
});
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
rssMax = Math.max(rssMax, rssMiB(pid));
let rssEnd = NaN;
let heapEnd = NaN;
if (!exited) {
  child.send({ type: 'gc' });
  heapEnd = (await ipc<{ heapUsed: number }>('gc')).heapUsed / 2 ** 20;
  rssEnd = rssMiB(pid);
}

console.log(`requests: ${report.requests} in ${seconds.toFixed(0)} s (${(report.requests / seconds).toFixed(0)}/s), seed ${seed}, ${concurrency} at once`);
console.log(`crashes: ${report.crashes}  hangs: ${report.hangs}  -32603: ${report.internal}  malformed answers: ${report.malformed}  good requests failed: ${report.goodFailed}`);
console.log(`log lines at warn or above: ${warnLines} (with a stack: ${stackLines})`);
console.log(`proxy RSS: start ${rssStart.toFixed(0)} MiB, max ${rssMax.toFixed(0)} MiB, end ${rssEnd.toFixed(0)} MiB (after GC); V8 heap in use after GC: start ${heapStart.toFixed(0)} MiB, end ${heapEnd.toFixed(0)} MiB`);
console.log(`answers by code: ${JSON.stringify(report.codes)}`);
console.log(`cases by kind: ${JSON.stringify(report.byKind)}`);
for (const f of report.failures.slice(0, 10)) console.log('failure:', JSON.stringify(f));
for (const e of examples) console.log('log:', e);
const bad = report.crashes + report.hangs + report.internal + report.malformed + report.goodFailed + stackLines;
emit({ bench: 'proxy-fuzz', metric: `proxy fuzz: crashes + hangs + -32603 + malformed + good failed + stack logs in ${report.requests} requests`, value: bad, unit: 'failures', ratio: bad, goal: { op: '<=', target: 0 }, load: [load0, load1()] });
emit({ bench: 'proxy-fuzz', metric: 'proxy fuzz: V8 heap in use after GC, end/start (live objects left behind)', value: heapEnd, baseline: heapStart, unit: 'MiB', ratio: heapEnd / heapStart, goal: { op: '<=', target: 1.5 }, load: [load0, load1()] });
emit({ bench: 'proxy-fuzz', metric: 'proxy fuzz: RSS end (after GC) / start', value: rssEnd, baseline: rssStart, unit: 'MiB', ratio: rssEnd / rssStart, load: [load0, load1()] });
child.send({ type: 'stop' });
process.exitCode = bad === 0 ? 0 : 1;
