/**
 * Progress of filling the header chain from genesis: a redrawn bar on a terminal when the fill is
 * long enough to be worth one (a public chain is millions of headers), otherwise a log line every
 * `logEveryMs`; both with the measured rate (headers/s) and the time left at that rate. The target
 * moves while filling (the node's head keeps growing), so `to` may be raised at any time.
 */
import type { ChainLog } from './events.js';

/** The part of a tty.WriteStream the bar uses. */
export interface FillProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface FillRate {
  headers: number;
  ms: number;
  /** Headers per second over the whole fill so far (0 before the first batch). */
  perSecond: number;
}

/** Fewest headers to fill that get a bar or periodic log lines. */
const WORTH_REPORTING = 10_000;

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export class FillProgress {
  private done = 0;
  private readonly started: number;
  private lastLog: number;
  private to: number;
  private readonly report: boolean;
  private readonly bar: boolean;

  constructor(
    private readonly from: number,
    to: number,
    private readonly log: ChainLog,
    private readonly stream: FillProgressStream | undefined,
    private readonly logEveryMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    this.to = to;
    this.started = now();
    this.lastLog = this.started;
    this.report = to - from + 1 >= WORTH_REPORTING;
    this.bar = this.report && stream?.isTTY === true;
    if (this.report) log.info({ from, to }, `chain: filling headers ${from}..${to} from the node`);
  }

  /** The fill's target moved (the node's head grew meanwhile). */
  extend(to: number): void {
    if (to > this.to) this.to = to;
  }

  get rate(): FillRate {
    const ms = this.now() - this.started;
    return { headers: this.done, ms, perSecond: ms > 0 ? Math.round((this.done * 1000) / ms) : 0 };
  }

  /** `count` more headers stored. */
  add(count: number): void {
    this.done += count;
    if (!this.report) return;
    if (this.bar) this.draw();
    else if (this.now() - this.lastLog >= this.logEveryMs) {
      this.lastLog = this.now();
      const r = this.rate;
      this.log.info({ at: this.from + this.done - 1, to: this.to, headersPerSecond: r.perSecond, left: duration(this.eta(r)) }, 'chain: filling headers');
    }
  }

  /** Ends the bar line and logs the measured rate. */
  finish(): FillRate {
    const r = this.rate;
    if (this.bar) this.stream?.write('\n');
    if (this.report || r.headers > 0) {
      this.log.info({ headers: r.headers, ms: r.ms, headersPerSecond: r.perSecond }, `chain: ${r.headers} headers filled at ${r.perSecond} headers/s`);
    }
    return r;
  }

  private eta(r: FillRate): number {
    const left = Math.max(0, this.to - (this.from + this.done - 1));
    return r.perSecond > 0 ? (left * 1000) / r.perSecond : 0;
  }

  private draw(): void {
    const r = this.rate;
    const total = Math.max(1, this.to - this.from + 1);
    const label = ` headers ${this.from + this.done}/${this.to + 1} ${r.perSecond}/s ETA ${duration(this.eta(r))}`;
    const width = Math.max(10, Math.min(40, (this.stream?.columns ?? 80) - label.length - 4));
    const filled = Math.min(width, Math.round((width * this.done) / total));
    this.stream?.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${label}`);
  }
}
