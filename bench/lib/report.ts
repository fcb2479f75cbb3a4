/**
 * What every benchmark reports, and the small statistics it needs. A benchmark prints its own
 * lines for people, then one `@bench {json}` line per goal for bench/run.ts, which runs each
 * benchmark in its own process and collects those lines into the summary table.
 */
import { loadavg } from 'node:os';

/** One measured figure beside its baseline, and the goal it is judged against. */
export interface BenchResult {
  /** Benchmark file name without .ts (e.g. client-latency). */
  bench: string;
  /** What was measured, one line. */
  metric: string;
  /** Our figure and its unit. */
  value: number;
  unit: string;
  /** The baseline figure measured in the same run (absent when the goal is absolute). */
  baseline?: number;
  /** value / baseline (or value itself for an absolute goal). */
  ratio: number;
  /** The goal on `ratio`: '<=' or '>=' a number. */
  goal?: { op: '<=' | '>='; target: number };
  /** 1-minute load average before and after the measurement (2 cores shared). */
  load: [number, number];
  note?: string;
}

export const RESULT_PREFIX = '@bench ';

export function met(r: Pick<BenchResult, 'ratio' | 'goal'>): boolean | undefined {
  if (r.goal === undefined) return undefined;
  return r.goal.op === '<=' ? r.ratio <= r.goal.target : r.ratio >= r.goal.target;
}

/** Prints a result for people and the machine-readable line for run.ts. */
export function emit(r: BenchResult): void {
  const goal = r.goal === undefined ? 'no goal' : `goal ${r.goal.op === '<=' ? '≤' : '≥'} ${r.goal.target}: ${met(r) === true ? 'met' : 'NOT met'}`;
  const base = r.baseline === undefined ? '' : ` vs baseline ${fmt(r.baseline)} ${r.unit}`;
  console.log(`=> ${r.metric}: ${fmt(r.value)} ${r.unit}${base}; ratio ${fmt(r.ratio)} (${goal}); load ${r.load[0].toFixed(2)}→${r.load[1].toFixed(2)}`);
  console.log(RESULT_PREFIX + JSON.stringify(r));
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 10 ? x.toFixed(1) : a >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
}

/** 1-minute load average. */
export function load1(): number {
  return loadavg()[0] ?? NaN;
}

/** The p-th percentile (0..100) by nearest rank. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank] as number;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

export function summary(xs: readonly number[], unit = 'ms'): string {
  return `p50 ${fmt(percentile(xs, 50))} ${unit}, p90 ${fmt(percentile(xs, 90))} ${unit}, max ${fmt(Math.max(...xs))} ${unit} (n=${xs.length})`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined. */
export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 60_000, everyMs = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
