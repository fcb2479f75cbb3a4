/**
 * Where a V8 CPU profile (`node --cpu-prof`) spent its time: self time by function and by
 * package or source file, the largest first.
 *   node --import tsx bench/lib/profile-summary.ts <file.cpuprofile> [top=25]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const total = (p.endTime - p.startTime) / 1000;

/** A source's group: the npm package, node's internals, or our file. */
function group(url: string): string {
  if (url === '') return '(native/VM)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg !== null) return pkg[1] as string;
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const ours = /\/(dist|src)\/(.*)$/.exec(url);
  return ours !== null ? (ours[2] as string) : url;
}

const fns = new Map<string, number>();
const groups = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id);
  if (n === undefined) continue;
  const f = n.callFrame;
  const g = group(f.url);
  const name = `${f.functionName || '(anonymous)'} ${g}:${f.lineNumber + 1}`;
  fns.set(name, (fns.get(name) ?? 0) + us / 1000);
  groups.set(g, (groups.get(g) ?? 0) + us / 1000);
}
const show = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([k, ms]) => `  ${ms.toFixed(1).padStart(9)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');
console.log(`${file}: ${total.toFixed(0)} ms profiled`);
console.log(`by package / file (self time):\n${show(groups)}`);
console.log(`by function (self time):\n${show(fns)}`);
