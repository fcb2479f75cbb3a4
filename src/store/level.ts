/** The LevelDB backend (classic-level), keys and values as raw bytes. */
import { ClassicLevel } from 'classic-level';
import { StoreError } from './errors.js';
import { type KvBackend, type KvWriteOptions, KvStore } from './kv.js';

/** LevelDB hands out Buffers; callers get plain Uint8Array views, as from the memory backend. */
function plain(b: Uint8Array): Uint8Array;
function plain(b: Uint8Array | undefined): Uint8Array | undefined;
function plain(b: Uint8Array | undefined): Uint8Array | undefined {
  return b === undefined || b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

class LevelBackend implements KvBackend {
  private readonly db: ClassicLevel<Uint8Array, Uint8Array>;

  constructor(db: ClassicLevel<Uint8Array, Uint8Array>) {
    this.db = db;
  }

  get closed(): boolean {
    return this.db.status !== 'open';
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return plain(await io('get', () => this.db.get(key)));
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    try {
      return plain(this.db.getSync(key));
    } catch (cause) {
      throw new StoreError('STORE_IO', `LevelDB get failed: ${(cause as Error).message}`, { cause });
    }
  }

  async batch(ops: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>, options: KvWriteOptions): Promise<void> {
    await io('batch', () => this.db.batch(ops, { sync: options.sync === true }));
  }

  async *iterate(range: { gte?: Uint8Array; lt?: Uint8Array; reverse: boolean; limit: number }): AsyncIterable<[Uint8Array, Uint8Array]> {
    const opts: { gte?: Uint8Array; lt?: Uint8Array; reverse: boolean; limit: number } = {
      reverse: range.reverse,
      limit: Number.isFinite(range.limit) ? range.limit : -1,
    };
    if (range.gte !== undefined) opts.gte = range.gte;
    if (range.lt !== undefined) opts.lt = range.lt;
    const it = this.db.iterator(opts);
    try {
      for (;;) {
        const batch = await io('iterate', () => it.nextv(256));
        if (batch.length === 0) return;
        for (const [k, v] of batch) yield [plain(k), plain(v)];
      }
    } finally {
      await it.close();
    }
  }

  async close(): Promise<void> {
    await io('close', () => this.db.close());
  }
}

async function io<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw new StoreError('STORE_IO', `LevelDB ${what} failed: ${(cause as Error).message}`, { cause });
  }
}

/** Opens (creating if needed) a LevelDB store in directory `location`. */
export async function openLevelStore(location: string, options: { cacheSizeBytes?: number } = {}): Promise<KvStore> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(location, {
    keyEncoding: 'view',
    valueEncoding: 'view',
    cacheSize: options.cacheSizeBytes ?? 32 * 1024 * 1024,
  });
  await io('open', () => db.open());
  return new KvStore(new LevelBackend(db));
}
