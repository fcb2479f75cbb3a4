/**
 * The request handlers over an in-memory backend whose chain the test builds: a canonical chain
 * of 30 blocks and a side branch forking at block 20. Header walks (number/hash, skip, reverse,
 * branches, head, soft size), empty entries for unknown bodies/receipts/codes, proof batches that
 * stop at state not served, helper-trie stop conditions, and the recentTxLookup window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { HANDLERS, type ServeBackend, type ServeContext, type ServedHeader } from '../../../src/serve/index.js';
import { inTxLookupWindow } from '../../../src/serve/server/handlers/tx.js';
import { collectHeaders } from '../../../src/serve/server/handlers/headers.js';
import { Code, TxState, codecOf, encodeRlp, encodeUint, type GetBlockHeaders } from '../../../src/wire/index.js';

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
const key = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A header stand-in of 15 fields: rlp([number, parentHash, tag, padding, 11 × empty]); its hash is keccak256 of that. */
function header(number: number, parent: Uint8Array, tag: string, pad = 0): ServedHeader {
  const rlp = encodeRlp([encodeUint(number), parent, new TextEncoder().encode(tag), new Uint8Array(pad), ...Array.from({ length: 11 }, () => new Uint8Array(0))]);
  return { rlp, hash: keccak256(rlp), number, parentHash: parent };
}

function chain(length = 30, fork = 20, pad = 0) {
  const canonical: ServedHeader[] = [];
  let parent: Uint8Array = new Uint8Array(32);
  for (let n = 0; n < length; n++) {
    const h = header(n, parent, 'main', pad);
    canonical.push(h);
    parent = h.hash;
  }
  const side: ServedHeader[] = [];
  parent = canonical[fork - 1]!.hash;
  for (let n = fork; n < fork + 5; n++) {
    const h = header(n, parent, 'side', pad);
    side.push(h);
    parent = h.hash;
  }
  const byHash = new Map([...canonical, ...side].map((h) => [key(h.hash), h]));
  return { canonical, side, byHash };
}

function backend(c = chain(), extra: Partial<ServeBackend> = {}): ServeBackend {
  const head = c.canonical[c.canonical.length - 1]!;
  return {
    chain: {
      genesisHash: () => c.canonical[0]!.hash,
      head: () => ({ hash: head.hash, number: head.number, td: 1n, timestamp: 0 }),
      headerByHash: async (h) => c.byHash.get(key(h)),
      headerByNumber: async (n) => c.canonical[n],
      canonicalHash: async (n) => c.canonical[n]?.hash,
      getBody: async (h) => (c.byHash.has(key(h)) ? { transactions: [Uint8Array.of(0x02, 0xc0)], uncles: [] } : undefined),
      getReceipts: async (h) => (c.byHash.has(key(h)) ? [Uint8Array.of(0x02, 0xc0)] : undefined),
      txLookup: async (h) => (h[0] === 0xaa ? { blockHash: head.hash, blockNumber: h[1] as number, txIndex: 0 } : undefined),
    },
    state: {
      startBlock: () => 10,
      recentState: () => 0,
      stateAt: async (h) => {
        const hd = c.byHash.get(key(h));
        return hd !== undefined && hd.number >= 10 ? { number: hd.number, hash: hd.hash, stateRoot: hd.hash } : undefined;
      },
      // A "proof" names the root and the key: two nodes, the first shared by every key of a root.
      // A key starting 0x99 has no known preimage: the backend's answer stops before it.
      proofs: async (st, items) => {
        const end = items.findIndex((it) => it.accountKey[0] === 0x99);
        return items.slice(0, end < 0 ? items.length : end).map((it) => [encodeRlp([st.stateRoot]), encodeRlp([st.stateRoot, it.accountKey, it.storageKey])]);
      },
      codes: async (_st, items) => {
        const end = items.findIndex((it) => it.accountKey[0] === 0x99);
        return items.slice(0, end < 0 ? items.length : end).map((it) => (it.accountKey[0] === 0xcc ? Uint8Array.of(0x60, 0x00) : new Uint8Array(0)));
      },
    },
    helperTries: {
      sectionCount: () => 2,
      sectionSize: () => 8,
      chtRoot: async (s) => new Uint8Array(32).fill(s + 1),
      bloomTrieRoot: async (s) => new Uint8Array(32).fill(s + 0x11),
      chtProof: async (s, k) => [encodeRlp([Uint8Array.of(s)]), encodeRlp([k])],
      bloomTrieProof: async (s, k) => [encodeRlp([Uint8Array.of(s)]), encodeRlp([k])],
    },
    txPool: {
      send: async (tx) => (tx[1] === 0xee ? { ok: false, error: 'insufficient funds' } : { ok: true }),
      pending: async (hs) => hs.map((h) => h[0] === 0xbb),
    },
    ...extra,
  };
}

function ctx(b = backend(), policy: Partial<ServeContext['policy']> = {}): ServeContext {
  return { backend: b, policy: { recentState: 0, recentTxLookup: 0, txRelay: true, ...policy }, log: { debug() {}, info() {}, warn() {}, error() {} } };
}

async function serveAndDecode<C extends keyof typeof HANDLERS>(code: C, c: ServeContext, msg: Parameters<(typeof HANDLERS)[C]['serve']>[1]) {
  const handler = HANDLERS[code] as unknown as { serve(c: ServeContext, m: unknown): Promise<{ encode(reqID: bigint, bv: number): Uint8Array; refused: number }>; replyCode: number };
  const served = await handler.serve(c, msg);
  const codec = codecOf(handler.replyCode);
  assert.ok(codec !== undefined);
  return { reply: codec.decode(served.encode(9n, 1234)) as never, refused: served.refused };
}

const numbersOf = (hs: Uint8Array[], c: ReturnType<typeof chain>) => hs.map((rlp) => c.byHash.get(key(keccak256(rlp)))!.number);
const q = (origin: GetBlockHeaders['origin'], amount: number, skip = 0, reverse = false) => ({ origin, amount, skip, reverse });

describe('GetBlockHeaders walks', () => {
  const c = chain();
  const b = backend(c);
  it('by number, rising with skip, stopping at the head', async () => {
    assert.deepEqual(numbersOf(await collectHeaders(b.chain, q({ number: 0 }, 4, 2)), c), [0, 3, 6, 9]);
    assert.deepEqual(numbersOf(await collectHeaders(b.chain, q({ number: 25 }, 10, 1)), c), [25, 27, 29]);
    assert.deepEqual(await collectHeaders(b.chain, q({ number: 30 }, 3)), []);
    assert.deepEqual(await collectHeaders(b.chain, q({ number: 3 }, 0)), []);
  });
  it('by number, falling, stopping at genesis', async () => {
    assert.deepEqual(numbersOf(await collectHeaders(b.chain, q({ number: 7 }, 10, 2, true)), c), [7, 4, 1]);
  });
  it('by hash: canonical origin walks either way; a side-branch origin walks back through its parents', async () => {
    assert.deepEqual(numbersOf(await collectHeaders(b.chain, q({ hash: c.canonical[5]!.hash }, 3, 4)), c), [5, 10, 15]);
    const tip = c.side[4]!;
    const back = await collectHeaders(b.chain, q({ hash: tip.hash }, 5, 1, true));
    assert.deepEqual(numbersOf(back, c), [24, 22, 20, 18, 16]);
    assert.ok(eq(keccak256(back[1]!), c.side[2]!.hash), 'block 22 of the side branch, not the canonical one');
    assert.ok(eq(keccak256(back[3]!), c.canonical[18]!.hash));
  });
  it('by hash forwards from a side-branch header gives only that header', async () => {
    assert.deepEqual(numbersOf(await collectHeaders(b.chain, q({ hash: c.side[0]!.hash }, 5)), c), [20]);
  });
  it('an unknown hash gives nothing', async () => {
    assert.deepEqual(await collectHeaders(b.chain, q({ hash: new Uint8Array(32).fill(1) }, 5)), []);
  });
  it('stops once the reply passes the soft size (2 MiB)', async () => {
    const big = chain(200, 150, 100_000);
    const got = await collectHeaders(backend(big).chain, q({ number: 0 }, 192));
    const size = big.canonical[0]!.rlp.length;
    assert.equal(got.length, Math.ceil((2 * 1024 * 1024) / size));
  });
  it('replies carry the BV it is given', async () => {
    const { reply } = await serveAndDecode(Code.GetBlockHeaders, ctx(b), { reqID: 1n, ...q({ number: 1 }, 2) });
    assert.deepEqual({ reqID: (reply as { reqID: bigint }).reqID, bv: (reply as { bv: number }).bv }, { reqID: 9n, bv: 1234 });
  });
});

describe('bodies, receipts and codes keep one entry per request', () => {
  const c = chain();
  it('an unknown block gets an empty body / receipt list at its position', async () => {
    const hashes = [c.canonical[3]!.hash, new Uint8Array(32).fill(4), c.side[1]!.hash];
    const { reply: bodies, refused } = await serveAndDecode(Code.GetBlockBodies, ctx(), { reqID: 1n, hashes });
    const bs = (bodies as { bodies: Array<{ transactions: Uint8Array[] }> }).bodies;
    assert.deepEqual(bs.map((x) => x.transactions.length), [1, 0, 1]);
    assert.equal(refused, 1);
    const { reply: receipts } = await serveAndDecode(Code.GetReceipts, ctx(), { reqID: 1n, hashes });
    assert.deepEqual((receipts as { receipts: Uint8Array[][] }).receipts.map((r) => r.length), [1, 0, 1]);
  });
  it('codes: contract code, no code, absent account → code or empty; the batch stops at a state not served', async () => {
    const block = c.canonical[15]!.hash;
    const reqs = [
      { blockHash: block, accountKey: new Uint8Array(32).fill(0xcc) },
      { blockHash: block, accountKey: new Uint8Array(32).fill(0xee) },
      { blockHash: block, accountKey: new Uint8Array(32).fill(0x01) },
      { blockHash: c.canonical[2]!.hash, accountKey: new Uint8Array(32).fill(0xcc) },
    ];
    const { reply, refused } = await serveAndDecode(Code.GetContractCodes, ctx(), { reqID: 1n, reqs: [...reqs, reqs[0]!] });
    assert.deepEqual((reply as { codes: Uint8Array[] }).codes.map((x) => Buffer.from(x).toString('hex')), ['6000', '', '']);
    assert.equal(refused, 2);
  });
});

describe('GetProofsV2 batches', () => {
  const c = chain();
  const req = (h: Uint8Array, k: number) => ({ blockHash: h, accountKey: new Uint8Array(32).fill(k), storageKey: new Uint8Array(0), fromLevel: 0 });
  it('one node list for the batch, without repeats across blocks', async () => {
    const a = c.canonical[12]!.hash;
    const b2 = c.canonical[13]!.hash;
    const { reply, refused } = await serveAndDecode(Code.GetProofsV2, ctx(), { reqID: 1n, reqs: [req(a, 1), req(a, 2), req(b2, 1), req(a, 3)] });
    const nodes = (reply as { nodes: Uint8Array[] }).nodes.map(key);
    assert.equal(refused, 0);
    assert.equal(new Set(nodes).size, nodes.length, 'no node twice');
    // Roots a and b2, plus one leaf per (root, key): a/1, a/2, b2/1, a/3.
    assert.equal(nodes.length, 6);
  });
  it('stops the batch at a block whose state is not served', async () => {
    const ok = c.canonical[12]!.hash;
    const { reply, refused } = await serveAndDecode(Code.GetProofsV2, ctx(), { reqID: 1n, reqs: [req(ok, 1), req(c.canonical[3]!.hash, 1), req(ok, 2)] });
    assert.equal((reply as { nodes: Uint8Array[] }).nodes.length, 2);
    assert.equal(refused, 2);
  });
  it('stops the batch at an item the state cannot serve (an unknown preimage), counted refused', async () => {
    const ok = c.canonical[12]!.hash;
    const { reply, refused } = await serveAndDecode(Code.GetProofsV2, ctx(), { reqID: 1n, reqs: [req(ok, 1), req(ok, 0x99), req(ok, 2)] });
    assert.equal((reply as { nodes: Uint8Array[] }).nodes.length, 2);
    assert.equal(refused, 2);
  });
});

describe('GetHelperTrieProofs', () => {
  const cht = (s: number, n: number, auxReq = 0) => ({ subType: 0 as const, sectionIdx: s, key: Buffer.from(n.toString(16).padStart(16, '0'), 'hex'), fromLevel: 0, auxReq });
  const bits = (s: number, bit: number, sec: number) => ({ subType: 1 as const, sectionIdx: s, key: Uint8Array.from([bit >> 8, bit & 255, 0, 0, 0, 0, 0, 0, 0, sec]), fromLevel: 0, auxReq: 0 });
  it('CHT with headers (auxReq 2), roots (auxReq 1, no nodes), BloomBits; deduplicated nodes', async () => {
    const c = chain();
    const { reply, refused } = await serveAndDecode(Code.GetHelperTrieProofs, ctx(backend(c)), {
      reqID: 1n,
      reqs: [cht(1, 3, 2), cht(1, 12, 2), cht(0, 0, 1), bits(1, 2047, 0), bits(1, 5, 1)],
    });
    const r = reply as { nodes: Uint8Array[]; auxData: Uint8Array[] };
    assert.equal(refused, 0);
    assert.equal(r.auxData.length, 3);
    assert.ok(eq(r.auxData[0]!, c.canonical[3]!.rlp));
    assert.ok(eq(r.auxData[1]!, c.canonical[12]!.rlp));
    assert.ok(eq(r.auxData[2]!, new Uint8Array(32).fill(1)));
    // Section-1 node once, plus one per key.
    assert.equal(r.nodes.length, 1 + 4);
  });
  it('stops the batch at a section not built, a CHT key past its section, an unknown auxReq, a BloomBits section past the trie', async () => {
    for (const bad of [cht(2, 3), cht(0, 8), cht(0, 3, 3), bits(0, 1, 1), bits(0, 2048, 0)]) {
      const { reply, refused } = await serveAndDecode(Code.GetHelperTrieProofs, ctx(), { reqID: 1n, reqs: [cht(0, 1, 2), bad, cht(0, 2, 2)] });
      assert.equal((reply as { auxData: Uint8Array[] }).auxData.length, 1, JSON.stringify(bad));
      assert.equal(refused, 2);
    }
  });
});

describe('transactions', () => {
  it('recentTxLookup: 0 all, 1 none, N the N−1 latest blocks', () => {
    assert.equal(inTxLookupWindow(0, 1, 100), true);
    assert.equal(inTxLookupWindow(1, 100, 100), false);
    assert.equal(inTxLookupWindow(3, 100, 100), true);
    assert.equal(inTxLookupWindow(3, 99, 100), true);
    assert.equal(inTxLookupWindow(3, 98, 100), false);
  });
  it('GetTxStatus: included inside the window, pending from the node, else unknown', async () => {
    const inc = Uint8Array.from([0xaa, 27, ...new Uint8Array(30)]);
    const old = Uint8Array.from([0xaa, 2, ...new Uint8Array(30)]);
    const pend = new Uint8Array(32).fill(0xbb);
    const none = new Uint8Array(32).fill(0x01);
    const { reply } = await serveAndDecode(Code.GetTxStatus, ctx(backend(), { recentTxLookup: 10 }), { reqID: 1n, hashes: [inc, old, pend, none] });
    assert.deepEqual((reply as { statuses: Array<{ status: number }> }).statuses.map((s) => s.status), [TxState.Included, TxState.Unknown, TxState.Pending, TxState.Unknown]);
  });
  it('SendTxV2: accepted → pending, refused → the node\'s message; not served without txRelay', async () => {
    const { reply } = await serveAndDecode(Code.SendTxV2, ctx(), { reqID: 1n, txs: [Uint8Array.of(0x02, 0xc1, 0x01), Uint8Array.of(0x02, 0xee)] });
    assert.deepEqual((reply as { statuses: unknown[] }).statuses, [{ status: TxState.Pending }, { status: TxState.Error, error: 'insufficient funds' }]);
    assert.equal(HANDLERS[Code.SendTxV2].served(ctx(backend(), { txRelay: false })), false);
    assert.equal(HANDLERS[Code.SendTxV2].served(ctx()), true);
  });
});
