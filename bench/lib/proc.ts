/**
 * Per-process figures from /proc (Linux): CPU time and resident set size of any process by pid,
 * so a benchmark can tell whose CPU was busy and how much memory one part holds.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS = 100;

/** User + system CPU time of `pid` so far, ms; NaN when /proc cannot tell. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state; utime, stime are 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS;
  } catch {
    return NaN;
  }
}

/** Resident set size of `pid`, MiB; NaN when /proc cannot tell. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}

/** CPU use of `pid` between two readings, as a share of one core. */
export function cpuShare(before: number, after: number, wallMs: number): number {
  return (after - before) / wallMs;
}
