/**
 * Fuzz/property test of every wire decoder. Payloads: random bytes, valid messages with bytes
 * flipped / truncated / extended, random nested RLP, and valid messages with one RLP sub-item
 * replaced, wrapped, unwrapped, resized or repeated past a limit. Each payload goes to every
 * decoder, which must return or throw ProtocolError — nothing else. When a decode succeeds,
 * fromRlp must agree and the value must survive encode → decode unchanged.
 * Replay a failure with LESP_FUZZ_SEED=<seed printed below>; LESP_FUZZ_N sets the payload count.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from '../../../src/wire/errors.js';
import { type AnyMessageCodec, MESSAGES } from '../../../src/wire/messages.js';
import { decodeRlp } from '../../../src/wire/rlp.js';

type Item = Uint8Array | Item[];

const SEED = Number(process.env.LESP_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32));
const PAYLOADS = Number(process.env.LESP_FUZZ_N ?? 100_000);

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(256));
const enc = (x: unknown) => RLP.encode(x as never);
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const hash = (b: number) => new Uint8Array(32).fill(b);

// Seeds are kept small (the wire layer checks shapes, not field contents) so a parse is cheap.
const header = enc(Array.from({ length: 17 }, (_, i) => Uint8Array.of(i + 1)));
const legacyTx = hex(
  'f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b3800ccf555c9f3dc64214b297fb1966a3b6d83',
);
const typedTx = Uint8Array.from([0x02, ...enc([hex('01'), hex('02'), hash(3)])]);
const node = enc([hash(1), hash(2)]);
const branch = enc(Array.from({ length: 17 }, (_, i) => (i % 8 === 0 ? hash(i) : new Uint8Array(0))));

/** One valid typed value per message (several for some), encoded by the table's own encoders. */
const VALID: Record<string, unknown[]> = {
  Status: [
    {
      protocolVersion: 4, networkId: 1n, headTd: 10n ** 22n, headHash: hash(1), headNum: 17034870, genesisHash: hash(2),
      forkID: { hash: hex('dce96c2d'), next: 0n }, serveHeaders: true, serveChainSince: 0, serveStateSince: 0, txRelay: true,
      recentTxLookup: 0, flowControlBL: 96_000_000, flowControlMRR: 16_000,
      flowControlMRC: [{ code: 2, baseCost: 150_000, reqCost: 30_000 }], unknown: [],
    },
  ],
  Announce: [
    { headHash: hash(5), headNumber: 100, headTd: 1000n, reorgDepth: 0, updates: [] },
    { headHash: hash(5), headNumber: 100, headTd: 1000n, reorgDepth: 2, signature: bytes(65), updates: [{ key: 'txRelay', value: new Uint8Array(0) }] },
  ],
  GetBlockHeaders: [
    { reqID: 1n, origin: { hash: hash(1) }, amount: 192, skip: 0, reverse: false },
    { reqID: 2n ** 63n, origin: { number: 123456 }, amount: 5, skip: 2, reverse: true },
  ],
  BlockHeaders: [{ reqID: 1n, bv: 1000, headers: [header, header] }],
  GetBlockBodies: [{ reqID: 3n, hashes: [hash(1), hash(2)] }],
  BlockBodies: [
    { reqID: 3n, bv: 5, bodies: [{ transactions: [legacyTx, typedTx], uncles: [header], withdrawals: [enc([hex('01'), hex('02'), bytes(20), hex('03')])] }, { transactions: [], uncles: [] }] },
  ],
  GetReceipts: [{ reqID: 4n, hashes: [hash(1)] }],
  Receipts: [{ reqID: 4n, bv: 9, receipts: [[enc([hex('01'), hex('5208'), bytes(8), [[bytes(20), [hash(7)], hex('aa')]]]), typedTx], []] }],
  GetContractCodes: [{ reqID: 5n, reqs: [{ blockHash: hash(1), accountKey: hash(2) }] }],
  ContractCodes: [{ reqID: 5n, bv: 1, codes: [hex('602a60005260206000f3'), new Uint8Array(0)] }],
  GetProofsV2: [{ reqID: 6n, reqs: [{ blockHash: hash(1), accountKey: hash(2), storageKey: new Uint8Array(0), fromLevel: 0 }, { blockHash: hash(1), accountKey: hash(2), storageKey: hash(3), fromLevel: 1 }] }],
  ProofsV2: [{ reqID: 6n, bv: 2, nodes: [branch, node] }],
  GetHelperTrieProofs: [{ reqID: 7n, reqs: [{ subType: 0, sectionIdx: 3, key: bytes(8), fromLevel: 0, auxReq: 2 }, { subType: 1, sectionIdx: 1, key: bytes(10), fromLevel: 0, auxReq: 0 }] }],
  HelperTrieProofs: [{ reqID: 7n, bv: 3, nodes: [branch, node], auxData: [header] }],
  SendTxV2: [{ reqID: 8n, txs: [legacyTx, typedTx] }],
  GetTxStatus: [{ reqID: 9n, hashes: [hash(1), hash(2)] }],
  TxStatus: [{ reqID: 9n, bv: 4, statuses: [{ status: 0 }, { status: 3, lookup: { blockHash: hash(1), blockNumber: 7, txIndex: 1 } }, { status: 4, error: 'nonce too low' }] }],
  StopMsg: [undefined],
  ResumeMsg: [{ bv: 5000 }],
};

const CODECS = MESSAGES as readonly AnyMessageCodec[];
const encodeWith = (c: AnyMessageCodec, v: unknown) => (c.encode as (v: unknown) => Uint8Array)(v);
const SEEDS: Uint8Array[] = CODECS.flatMap((c) => (VALID[c.name] ?? []).map((v) => encodeWith(c, v)));
// The reference server's TxStatus shape and bare-BV ResumeMsg, as seeds too.
SEEDS.push(enc([9, 4, [[3, [hash(1), 7, 1], ''], [0, [], 'x']]]), enc(5000));

function randomItem(depth = 0): Item {
  if (depth > 4 || rand() < 0.45) {
    const r = rand();
    if (r < 0.3) return bytes(int(3));
    if (r < 0.5) return bytes(pick([8, 10, 20, 32, 65, 256]));
    if (r < 0.7) return RLP.decode(enc(int(2 ** 31))) as Uint8Array;
    return bytes(int(70));
  }
  // Mostly short lists; sometimes a long list of leaves (to cross count limits) — never long and deep.
  if (rand() < 0.05) return Array.from({ length: 1 + int(300) }, () => bytes(int(3)));
  return Array.from({ length: int(5) }, () => randomItem(depth + 1));
}

/** Every path to a sub-item of `item`. */
function paths(item: Item, at: number[] = [], out: number[][] = []): number[][] {
  out.push(at);
  if (Array.isArray(item)) item.forEach((x, i) => paths(x, [...at, i], out));
  return out;
}

function replaceAt(item: Item, path: number[], f: (x: Item) => Item): Item {
  if (path.length === 0) return f(item);
  const list = (item as Item[]).slice();
  const [i, ...rest] = path as [number, ...number[]];
  list[i] = replaceAt(list[i] as Item, rest, f);
  return list;
}

const SUBITEM_MUTATIONS: Array<(x: Item) => Item> = [
  () => randomItem(),
  (x) => [x],
  (x) => (Array.isArray(x) ? (x[0] ?? new Uint8Array(0)) : enc(x)),
  (x) => (Array.isArray(x) ? x.slice(0, int(x.length + 1)) : x.subarray(0, int(x.length + 1))),
  (x) => (Array.isArray(x) ? [...x, randomItem()] : Uint8Array.from([...x, int(256)])),
  // Past a limit: repeat a small element (the first if small, else an empty string) just enough.
  (x) => {
    if (!Array.isArray(x)) return x;
    const first = x[0];
    const small = first !== undefined && enc(first).length <= 40 ? first : new Uint8Array(0);
    return Array.from({ length: pick([17, 33, 65, 129, 193, 257, 16385]) }, () => small);
  },
  (x) => (x instanceof Uint8Array ? Uint8Array.from([0, ...x]) : x),
  () => RLP.decode(enc(pick([2n ** 53n, 2n ** 64n, 2n ** 64n - 1n, 193n, 5n, 0n]))) as Uint8Array,
];

function mutateBytes(data: Uint8Array): Uint8Array {
  const out = Uint8Array.from(data);
  const op = int(4);
  if (op === 0 || out.length === 0) {
    const extended = new Uint8Array(out.length + 1 + int(8));
    extended.set(out);
    extended.set(bytes(extended.length - out.length), out.length);
    return extended;
  }
  if (op === 1) return out.subarray(0, int(out.length));
  for (let k = 1 + int(4); k > 0; k--) {
    const i = int(out.length);
    out[i] = rand() < 0.5 ? (out[i] as number) ^ (1 << int(8)) : int(256);
  }
  return out;
}

/** Payloads stay small (a few KiB, rarely ~50 KiB) so 100,000 of them × every decoder fit in a minute. */
const MAX_FUZZ_PAYLOAD = 64 * 1024;

function nextPayload(): Uint8Array {
  for (;;) {
    const p = candidatePayload();
    if (p.length <= MAX_FUZZ_PAYLOAD) return p;
  }
}

function candidatePayload(): Uint8Array {
  const r = rand();
  if (r < 0.15) return bytes(int(rand() < 0.9 ? 64 : 600));
  if (r < 0.45) return mutateBytes(pick(SEEDS));
  if (r < 0.6) return enc(rand() < 0.5 ? randomItem() : [randomItem(3), randomItem(3), randomItem(1)]);
  const base = RLP.decode(pick(SEEDS)) as Item;
  let item = base;
  for (let k = 1 + int(2); k > 0; k--) item = replaceAt(item, pick(paths(item)), pick(SUBITEM_MUTATIONS));
  return enc(item);
}

describe('wire decoders under fuzzing', () => {
  it(`return or throw ProtocolError for ${PAYLOADS} random and mutated payloads each (seed ${SEED})`, () => {
    console.log(`wire fuzz: seed ${SEED}, ${PAYLOADS} payloads x ${CODECS.length} decoders (replay: LESP_FUZZ_SEED=${SEED})`);
    const started = performance.now();
    const accepted = new Map<string, number>();
    const refused = new Map<string, number>();
    // Stack traces of the ~2 million expected ProtocolErrors are not needed and cost a fifth of the run.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      for (let n = 0; n < PAYLOADS; n++) {
        const payload = nextPayload();
        let item: ReturnType<typeof decodeRlp> | undefined;
        try {
          item = decodeRlp(payload, 'fuzz');
        } catch {
          item = undefined;
        }
        for (const codec of CODECS) {
          const where = () => `seed ${SEED}, payload #${n} to ${codec.name}: ${Buffer.from(payload).toString('hex').slice(0, 400)}`;
          let value: unknown;
          try {
            value = codec.decode(payload);
          } catch (err) {
            if (!(err instanceof ProtocolError)) assert.fail(`${where()} threw ${String(err)}`);
            refused.set(err.code, (refused.get(err.code) ?? 0) + 1);
            continue;
          }
          accepted.set(codec.name, (accepted.get(codec.name) ?? 0) + 1);
          if (item === undefined) assert.fail(`decode accepted what decodeRlp refused: ${where()}`);
          try {
            assert.deepEqual(codec.fromRlp(item), value, 'fromRlp disagrees with decode');
            assert.deepEqual(codec.decode(encodeWith(codec, value)), value, 'encode → decode changed the value');
          } catch (err) {
            assert.fail(`${String(err)}\n${where()}`);
          }
        }
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`wire fuzz: ${seconds} s; accepted ${JSON.stringify(Object.fromEntries(accepted))}; refused ${JSON.stringify(Object.fromEntries(refused))}`);
    // Mutations must reach past the outer shape: every decoder accepted some payloads.
    for (const codec of CODECS) assert.ok((accepted.get(codec.name) ?? 0) > 0, `${codec.name} never accepted a payload`);
  });
});
