/**
 * The in-memory backend: same semantics as LevelDB (ordered bytewise keys, atomic batches,
 * iterators that see a snapshot taken when they start), nothing survives the process.
 */
import { type KvBackend, KvStore, compareBytes } from './kv.js';

/** Latin-1 strings compare like the bytes they hold, so they can key a Map and sort correctly. */
const toKey = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

class MemoryBackend implements KvBackend {
  private readonly entries = new Map<string, readonly [Uint8Array, Uint8Array]>();
  private sorted: Array<readonly [Uint8Array, Uint8Array]> | undefined;
  closed = false;

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.getSync(key);
  }

  getSync(key: Uint8Array): Uint8Array | undefined {
    const e = this.entries.get(toKey(key));
    return e === undefined ? undefined : e[1].slice();
  }

  async batch(ops: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>): Promise<void> {
    for (const op of ops) {
      if (op.type === 'put') this.entries.set(toKey(op.key), [op.key.slice(), op.value.slice()]);
      else this.entries.delete(toKey(op.key));
    }
    this.sorted = undefined;
  }

  async *iterate(range: { gte?: Uint8Array; lt?: Uint8Array; reverse: boolean; limit: number }): AsyncIterable<[Uint8Array, Uint8Array]> {
    if (this.sorted === undefined) {
      this.sorted = [...this.entries.values()].sort((a, b) => compareBytes(a[0], b[0]));
    }
    const all = this.sorted;
    const inRange = (k: Uint8Array) =>
      (range.gte === undefined || compareBytes(k, range.gte) >= 0) && (range.lt === undefined || compareBytes(k, range.lt) < 0);
    const lo = range.gte === undefined ? 0 : lowerBound(all, range.gte);
    const hi = range.lt === undefined ? all.length : lowerBound(all, range.lt);
    let n = 0;
    for (let i = range.reverse ? hi - 1 : lo; range.reverse ? i >= lo : i < hi; i += range.reverse ? -1 : 1) {
      if (n >= range.limit) return;
      const e = all[i];
      if (e === undefined || !inRange(e[0])) continue;
      n++;
      yield [e[0].slice(), e[1].slice()];
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function lowerBound(all: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, key: Uint8Array): number {
  let lo = 0;
  let hi = all.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareBytes((all[mid] as readonly [Uint8Array, Uint8Array])[0], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A fresh, empty in-memory store. */
export function openMemoryStore(): KvStore {
  return new KvStore(new MemoryBackend());
}
