/**
 * Progress of a run of section builds: a redrawn bar on stderr when it is a terminal and enough
 * sections are pending to be worth one (a mainnet catch-up is ~700 sections of minutes each),
 * otherwise one log line per section (what a service manager's journal wants).
 */

/** pino-compatible. */
export interface IndexerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The part of a tty.WriteStream the bar uses (process.stderr by default). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export interface SectionDone {
  index: number;
  head: string;
  chtRoot: string;
  bloomTrieRoot: string;
  ms: number;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class SectionProgress {
  private done = 0;
  private readonly started: number;
  private readonly bar: boolean;

  constructor(
    private readonly first: number,
    private readonly total: number,
    private readonly log: IndexerLog,
    private readonly stream: ProgressStream | undefined,
    threshold: number,
    /** Blocks per section, for the rate in blocks/s. */
    private readonly sectionSize = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.bar = stream?.isTTY === true && total >= threshold;
    if (total > 0) log.info({ from: first, to: first + total - 1, pending: total }, 'building helper-trie sections');
    if (this.bar) this.draw();
  }

  get usesBar(): boolean {
    return this.bar;
  }

  section(info: SectionDone): void {
    this.done++;
    if (this.bar) this.draw();
    else this.log.info({ section: info.index, sectionHead: info.head, chtRoot: info.chtRoot, bloomTrieRoot: info.bloomTrieRoot, ms: info.ms }, 'section built');
  }

  /** Ends the bar line; logs what was built and the measured rate. */
  finish(): void {
    if (this.bar) this.stream?.write('\n');
    if (this.done === 0) return;
    const ms = this.now() - this.started;
    const blocksPerSecond = ms > 0 ? Math.round((this.done * this.sectionSize * 1000) / ms) : 0;
    this.log.info({ sections: this.done, ms, blocksPerSecond }, `helper-trie sections built: ${this.done} in ${duration(ms)} (${blocksPerSecond} blocks/s)`);
  }

  private draw(): void {
    const elapsed = this.now() - this.started;
    const per = this.done > 0 ? elapsed / this.done : 0;
    const eta = this.done > 0 ? ` ETA ${duration(per * (this.total - this.done))}` : '';
    const label = ` sections ${this.first + this.done}/${this.first + this.total} (${this.done}/${this.total} this run)${eta}`;
    const width = Math.max(10, Math.min(40, (this.stream?.columns ?? 80) - label.length - 4));
    const filled = Math.round((width * this.done) / this.total);
    this.stream?.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]${label}`);
  }
}
