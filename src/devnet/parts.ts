/**
 * The running parts of a devnet, stopped in the reverse order of their start (proxy, client,
 * servers, then anvil) by one idempotent `stop()`. A part added after the stop began (a start that
 * was still in flight when Ctrl-C came) is stopped at once. `killNow()` is the synchronous last
 * resort for the process's exit handler: it kills what cannot be left behind (anvil's group).
 */
import type { Logger } from 'pino';

interface Part {
  name: string;
  stop(): Promise<void>;
  killNow?(): void;
}

export class DevnetParts {
  readonly #parts: Part[] = [];
  readonly #log: Logger;
  #stopping: Promise<void> | undefined;

  constructor(log: Logger) {
    this.#log = log;
  }

  get stopping(): boolean {
    return this.#stopping !== undefined;
  }

  add(part: Part): void {
    this.#parts.push(part);
    if (this.#stopping !== undefined) void this.#stopOne(part);
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      for (const part of [...this.#parts].reverse()) await this.#stopOne(part);
    })();
    return this.#stopping;
  }

  killNow(): void {
    for (const part of this.#parts) part.killNow?.();
  }

  async #stopOne(part: Part): Promise<void> {
    try {
      await part.stop();
      this.#log.info({ part: part.name }, 'stopped');
    } catch (err) {
      this.#log.warn({ part: part.name, err }, 'stop failed');
      part.killNow?.();
    }
  }
}
