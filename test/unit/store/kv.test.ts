import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StoreError } from '../../../src/store/errors.js';
import type { KvStore } from '../../../src/store/kv.js';
import { openLevelStore } from '../../../src/store/level.js';
import { openMemoryStore } from '../../../src/store/memory.js';

const b = (...xs: number[]) => Uint8Array.from(xs);
const s = (x: string) => new TextEncoder().encode(x);
const str = (x: Uint8Array) => new TextDecoder().decode(x);

async function collect(it: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of it) out.push(`${str(k)}=${str(v)}`);
  return out;
}

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'lesp-kv-'));
  dirs.push(d);
  return d;
}

const backends: Array<[string, () => Promise<KvStore>]> = [
  ['memory', async () => openMemoryStore()],
  ['LevelDB', async () => openLevelStore(await tempDir())],
];

for (const [name, open] of backends) {
  describe(`KvStore on ${name}`, () => {
    it('puts, gets and deletes; a missing key reads as undefined', async () => {
      const db = await open();
      assert.equal(await db.get(s('k')), undefined);
      await db.put(s('k'), s('v'));
      assert.equal(str((await db.get(s('k')))!), 'v');
      assert.equal(str(db.getSync(s('k'))!), 'v');
      await db.del(s('k'));
      assert.equal(await db.get(s('k')), undefined);
      assert.equal(db.getSync(s('k')), undefined);
      await db.close();
    });

    it('stores a copy: mutating the buffer after put changes nothing', async () => {
      const db = await open();
      const v = s('abc');
      await db.put(s('k'), v);
      v[0] = 0x7a;
      assert.equal(str((await db.get(s('k')))!), 'abc');
      await db.close();
    });

    it('keeps namespaces apart, including names that prefix each other', async () => {
      const db = await open();
      const a = db.namespace('a');
      const ab = db.namespace('ab');
      await a.put(s('x'), s('1'));
      await ab.put(s('x'), s('2'));
      await db.put(s('x'), s('3'));
      assert.equal(str((await a.get(s('x')))!), '1');
      assert.equal(str((await ab.get(s('x')))!), '2');
      assert.equal(str((await db.get(s('x')))!), '3');
      assert.deepEqual(await collect(a.iterate()), ['x=1']);
      assert.deepEqual(await collect(ab.iterate()), ['x=2']);
      assert.deepEqual(await collect(a.namespace('n').iterate()), []);
      await db.close();
    });

    it('writes a batch across namespaces atomically', async () => {
      const db = await open();
      const a = db.namespace('a');
      const c = db.namespace('c');
      await a.put(s('old'), s('o'));
      await a.batch([
        { type: 'put', key: s('k1'), value: s('v1') },
        { type: 'put', key: s('k2'), value: s('v2'), ns: c },
        { type: 'del', key: s('old') },
      ], { sync: true });
      assert.deepEqual(await collect(a.iterate()), ['k1=v1']);
      assert.deepEqual(await collect(c.iterate()), ['k2=v2']);
      await db.close();
    });

    it('refuses a batch naming another store\'s namespace and writes none of it', async () => {
      const db = await open();
      const other = openMemoryStore();
      await assert.rejects(
        db.batch([
          { type: 'put', key: s('a'), value: s('1') },
          { type: 'put', key: s('b'), value: s('2'), ns: other.namespace('x') },
        ]),
        (e: unknown) => e instanceof StoreError && e.code === 'STORE_FOREIGN_NAMESPACE' && e.field === 'ops[1].ns',
      );
      assert.equal(await db.get(s('a')), undefined);
      await db.close();
    });

    it('iterates in byte order with bounds, reverse, prefix and limit', async () => {
      const db = await open();
      const ns = db.namespace('it');
      for (const k of ['b', 'a', 'ab', 'c', 'ba', 'bb']) await ns.put(s(k), s(k.toUpperCase()));
      await db.put(s('zz'), s('outside'));
      assert.deepEqual(await collect(ns.iterate()), ['a=A', 'ab=AB', 'b=B', 'ba=BA', 'bb=BB', 'c=C']);
      assert.deepEqual(await collect(ns.iterate({ reverse: true, limit: 2 })), ['c=C', 'bb=BB']);
      assert.deepEqual(await collect(ns.iterate({ prefix: s('b') })), ['b=B', 'ba=BA', 'bb=BB']);
      assert.deepEqual(await collect(ns.iterate({ prefix: s('b'), reverse: true })), ['bb=BB', 'ba=BA', 'b=B']);
      assert.deepEqual(await collect(ns.iterate({ gte: s('ab'), lt: s('ba') })), ['ab=AB', 'b=B']);
      assert.deepEqual(await collect(ns.iterate({ gt: s('ab'), lte: s('ba') })), ['b=B', 'ba=BA']);
      assert.deepEqual(await collect(ns.iterate({ gt: s('c') })), []);
      assert.deepEqual(await collect(ns.iterate({ limit: 0 })), []);
      await db.close();
    });

    it('iterates a prefix that ends in 0xff bytes', async () => {
      const db = await open();
      await db.put(b(0x01, 0xff), s('x'));
      await db.put(b(0x01, 0xff, 0x00), s('y'));
      await db.put(b(0x02), s('z'));
      await db.put(b(0xff, 0xff), s('w'));
      const keys: number[][] = [];
      for await (const [k] of db.iterate({ prefix: b(0x01, 0xff) })) keys.push([...k]);
      assert.deepEqual(keys, [[0x01, 0xff], [0x01, 0xff, 0x00]]);
      const top: number[][] = [];
      for await (const [k] of db.iterate({ prefix: b(0xff) })) top.push([...k]);
      assert.deepEqual(top, [[0xff, 0xff]]);
      await db.close();
    });

    it('iterates a snapshot: writes during iteration are not seen', async () => {
      const db = await open();
      await db.put(s('a'), s('1'));
      await db.put(s('b'), s('2'));
      const seen: string[] = [];
      for await (const [k] of db.iterate()) {
        seen.push(str(k));
        if (seen.length === 1) await db.put(s('c'), s('3'));
      }
      assert.deepEqual(seen, ['a', 'b']);
      await db.close();
    });

    it('throws STORE_CLOSED after close, and close is idempotent', async () => {
      const db = await open();
      await db.close();
      await db.close();
      await assert.rejects(db.get(s('k')), (e: unknown) => e instanceof StoreError && e.code === 'STORE_CLOSED');
      assert.throws(() => db.getSync(s('k')), (e: unknown) => e instanceof StoreError && e.code === 'STORE_CLOSED');
    });

    it('rejects an empty or oversized namespace name', async () => {
      const db = await open();
      assert.throws(() => db.namespace(''), (e: unknown) => e instanceof StoreError && e.code === 'STORE_BAD_NAME');
      assert.throws(() => db.namespace('x'.repeat(256)), (e: unknown) => e instanceof StoreError && e.field === 'name');
      await db.close();
    });
  });
}

describe('LevelDB store on disk', () => {
  it('keeps what was written (plain and sync) across close and reopen', async () => {
    const dir = await tempDir();
    const db = await openLevelStore(dir);
    await db.namespace('n').put(s('plain'), s('p'));
    await db.namespace('n').put(s('durable'), s('d'), { sync: true });
    await db.close();
    const again = await openLevelStore(dir);
    assert.deepEqual(await collect(again.namespace('n').iterate()), ['durable=d', 'plain=p']);
    await again.close();
  });

  it('reports a second open of a locked directory as STORE_IO', async () => {
    const dir = await tempDir();
    const db = await openLevelStore(dir);
    await assert.rejects(openLevelStore(dir), (e: unknown) => e instanceof StoreError && e.code === 'STORE_IO');
    await db.close();
  });
});

describe('values read back', () => {
  it('are plain Uint8Array on both backends (LevelDB hands out Buffers)', async () => {
    for (const [, open] of backends) {
      const db = await open();
      await db.put(s('k'), s('v'));
      assert.equal((await db.get(s('k')))!.constructor, Uint8Array);
      assert.equal(db.getSync(s('k'))!.constructor, Uint8Array);
      for await (const [k, v] of db.iterate()) {
        assert.equal(k.constructor, Uint8Array);
        assert.equal(v.constructor, Uint8Array);
      }
      await db.close();
    }
  });
});
