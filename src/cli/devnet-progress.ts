/**
 * Start-up progress of `lesp devnet` on stderr, only when stderr is a terminal: a status line per
 * stage, and a bar while the LES servers build their first helper-trie sections. Off a terminal
 * it writes nothing (the logs say the same, as JSON, at --log-level info).
 */

/** The part of a tty.WriteStream used (process.stderr by default). */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

export class StartupProgress {
  readonly #stream: ProgressStream | undefined;
  #open = false;

  constructor(stream: ProgressStream = process.stderr) {
    this.#stream = stream.isTTY === true ? stream : undefined;
  }

  get visible(): boolean {
    return this.#stream !== undefined;
  }

  /** Replaces the status line. */
  stage(text: string): void {
    this.#draw(`${text}…`);
  }

  /** Replaces the status line with a bar: `done` of `total`. */
  bar(label: string, done: number, total: number): void {
    const width = Math.max(10, Math.min(30, (this.#stream?.columns ?? 80) - label.length - 16));
    const filled = total === 0 ? width : Math.round((width * Math.min(done, total)) / total);
    this.#draw(`${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.min(done, total)}/${total}`);
  }

  /** Clears the status line (before the summary is printed, or on failure). */
  end(): void {
    if (this.#open) this.#stream?.write('\r\x1b[K');
    this.#open = false;
  }

  #draw(line: string): void {
    if (this.#stream === undefined) return;
    this.#stream.write(`\r\x1b[K${line}`);
    this.#open = true;
  }
}
