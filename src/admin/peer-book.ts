/**
 * Other LES servers this server knows (the operator's `peers` and `add_peer`, after the indexing
 * server's peer list of seed 001). Each is probed — dialed as a client, its Status read, then
 * left — when added and every `probeEveryMs`. Status:
 * - good: the last probe got a Status of the same network and genesis, within `staleAfterMs`;
 * - stale: it was good, but the last good probe is older than that, or the latest probes failed
 *   (fewer than `badAfterTries` in a row);
 * - bad: it answered with something unusable (another network, not a server), or was good and
 *   then failed `badAfterTries` probes in a row;
 * - never: no probe has ever reached it.
 * The list is kept in a JSON file when one is given. Times are ms since the epoch.
 */
import { readFile } from 'node:fs/promises';
import { formatEnode, parseEnode } from '../net/index.js';
import { invalidParams } from './errors.js';
import { writeFileAtomic } from './tokens.js';

export type PeerStatus = 'good' | 'stale' | 'bad' | 'never';

export type ProbeResult =
  | { ok: true; head: number; version: number; client: string }
  /** `reached`: the server answered, with something unusable. */
  | { ok: false; reached: boolean; error: string };

export interface PeerBookOptions {
  probe(enode: string): Promise<ProbeResult>;
  file?: string;
  now?: () => number;
  staleAfterMs?: number;
  probeEveryMs?: number;
  badAfterTries?: number;
}

interface Entry {
  enode: string;
  source: string;
  added: number;
  lastTry: number;
  lastGood: number;
  /** Failed probes since the last good one. */
  tries: number;
  /** The last failure reached the server (an unusable answer). */
  unusable: boolean;
  head: number | null;
  version: number | null;
  client: string | null;
  error: string | null;
}

export interface PeerRow {
  id: string;
  host: string;
  port: number;
  status: PeerStatus;
  head: number | null;
  version: number | null;
  client: string | null;
  last_good: number;
  last_try: number;
  tries: number;
  source: string;
  error: string | null;
  enode: string;
}

const keyOf = (enode: string): string => Buffer.from(parseEnode(enode).id).toString('hex');

export class PeerBook {
  readonly #options: PeerBookOptions;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();
  readonly #probing = new Map<string, Promise<void>>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #writing: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(options: PeerBookOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  static async open(options: PeerBookOptions): Promise<PeerBook> {
    const book = new PeerBook(options);
    if (options.file !== undefined) {
      let text: string | undefined;
      try {
        text = await readFile(options.file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      for (const e of text === undefined ? [] : (JSON.parse(text) as Entry[])) book.#entries.set(keyOf(e.enode), e);
    }
    const every = options.probeEveryMs ?? 600_000;
    if (every > 0) {
      book.#timer = setInterval(() => book.probeAll(), every);
      book.#timer.unref();
    }
    if (book.#entries.size > 0) book.probeAll();
    return book;
  }

  /** Adds a server (known ones are kept, with their history) and probes it now. */
  add(enode: unknown, source = 'add_peer'): { enode: string; added: boolean } {
    if (typeof enode !== 'string') throw invalidParams('enode', 'expected an enode:// URL');
    let parsed;
    try {
      parsed = parseEnode(enode);
    } catch (err) {
      throw invalidParams('enode', (err as Error).message);
    }
    const url = formatEnode(parsed);
    const key = Buffer.from(parsed.id).toString('hex');
    const known = this.#entries.get(key);
    if (known === undefined) {
      this.#entries.set(key, { enode: url, source, added: this.#now(), lastTry: 0, lastGood: 0, tries: 0, unusable: false, head: null, version: null, client: null, error: null });
      this.#save();
    } else if (known.enode !== url) {
      known.enode = url;
      this.#save();
    }
    void this.probe(key);
    return { enode: url, added: known === undefined };
  }

  /** Probes every known server (one probe per server at a time). */
  probeAll(): void {
    for (const key of this.#entries.keys()) void this.probe(key);
  }

  /** Resolves when the probe of `key` (and any running now) is done. */
  probe(key: string): Promise<void> {
    const running = this.#probing.get(key);
    if (running !== undefined) return running;
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#closed) return Promise.resolve();
    const run = this.#options.probe(entry.enode).then(
      (r) => this.#record(entry, r),
      (err: unknown) => this.#record(entry, { ok: false, reached: false, error: (err as Error).message ?? String(err) }),
    ).finally(() => this.#probing.delete(key));
    this.#probing.set(key, run);
    return run;
  }

  /** Resolves when no probe is running. */
  async idle(): Promise<void> {
    while (this.#probing.size > 0) await Promise.all(this.#probing.values());
  }

  statusOf(e: Entry): PeerStatus {
    if (e.lastGood === 0) return e.unusable ? 'bad' : 'never';
    if (e.tries >= (this.#options.badAfterTries ?? 3) || (e.tries > 0 && e.unusable)) return 'bad';
    if (e.tries > 0 || this.#now() - e.lastGood > (this.#options.staleAfterMs ?? 3_600_000)) return 'stale';
    return 'good';
  }

  list(): PeerRow[] {
    return [...this.#entries.values()].map((e) => {
      const { id, host, port } = parseEnode(e.enode);
      return {
        id: Buffer.from(id).toString('hex'),
        host,
        port,
        status: this.statusOf(e),
        head: e.head,
        version: e.version,
        client: e.client,
        last_good: e.lastGood,
        last_try: e.lastTry,
        tries: e.tries,
        source: e.source,
        error: e.error,
        enode: e.enode,
      };
    });
  }

  summary(): Record<PeerStatus | 'total', number> {
    const out = { bad: 0, good: 0, never: 0, stale: 0, total: 0 };
    for (const e of this.#entries.values()) {
      out[this.statusOf(e)]++;
      out.total++;
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    await this.idle();
    await this.#writing;
  }

  #record(e: Entry, r: ProbeResult): void {
    e.lastTry = this.#now();
    if (r.ok) {
      e.lastGood = e.lastTry;
      e.tries = 0;
      e.unusable = false;
      e.head = r.head;
      e.version = r.version;
      e.client = r.client;
      e.error = null;
    } else {
      e.tries++;
      e.unusable = r.reached;
      e.error = r.error;
    }
    this.#save();
  }

  #save(): void {
    const file = this.#options.file;
    if (file === undefined) return;
    this.#writing = this.#writing
      .then(() => writeFileAtomic(file, `${JSON.stringify([...this.#entries.values()], null, 2)}\n`))
      .catch(() => undefined);
  }
}
