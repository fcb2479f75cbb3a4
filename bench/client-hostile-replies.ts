/**
 * What a hostile server's bytes cost the client's CPU, against the old unbounded path.
 *   - receipt bomb: a block whose one typed receipt holds a 4,000,000-item list (4 MB). Ours:
 *     verifyReceipts (receipt root over the raw bytes, refused, nothing decoded). Baseline:
 *     @ethereumjs/rlp decoding that receipt, as verify did before checking the root. Goal ≤ 0.2.
 *   - unknown-reqID reply: a 9.5 MiB BlockHeaders reply no request waits for, snappy-compressed
 *     as RLPx v5 carries it. Ours: snappyHead (first 32 bytes) + readReplyHead. Baseline: snappy
 *     decompression of the whole reply + decoding it, as the peer did before looking up the reqID.
 *     Goal ≤ 0.01.
 *   node --import tsx bench/client-hostile-replies.ts [rounds=3]
 */
import { RLP } from '@ethereumjs/rlp';
import * as snappy from 'snappyjs';
import { readReplyHead } from '../src/net/envelope.js';
import { snappyHead } from '../src/net/les-protocol.js';
import { type BlockHeader, EMPTY_UNCLE_HASH, verifyReceipts } from '../src/verify/index.js';
import { Code } from '../src/wire/codes.js';
import { decodeRlp, encodeRlp, encodeUint } from '../src/wire/rlp.js';
import { BOMB_ITEMS, typedEnvelope, wideList } from '../test/helpers/rlp-bombs.js';
import { emit, load1 } from './lib/report.js';

const rounds = Number(process.argv[2] ?? 3);

/** Median CPU ms of `fn` over `rounds` runs (it may throw). */
function cpuMs(fn: () => unknown): number {
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const c0 = process.cpuUsage();
    try {
      fn();
    } catch {
      // refusals are the point
    }
    const c = process.cpuUsage(c0);
    out.push((c.user + c.system) / 1000);
  }
  return out.sort((a, b) => a - b)[Math.floor(out.length / 2)] as number;
}

const receipt = typedEnvelope(wideList(BOMB_ITEMS));
const header = { receiptsRoot: new Uint8Array(32).fill(1), uncleHash: EMPTY_UNCLE_HASH } as BlockHeader;
let load: [number, number] = [load1(), 0];
const oursBomb = cpuMs(() => verifyReceipts([receipt], header));
const baseBomb = cpuMs(() => RLP.decode(receipt.subarray(1)));
load[1] = load1();
emit({ bench: 'client-hostile-replies', metric: 'CPU to refuse a 4,000,000-item typed receipt', value: oursBomb, baseline: baseBomb, unit: 'ms', ratio: oursBomb / baseBomb, goal: { op: '<=', target: 0.2 }, load });

const items = Array.from({ length: Math.floor((9.5 * 2 ** 20) / 33) }, (_, i) => new Uint8Array(32).fill(i & 0xff));
const reply = encodeRlp([encodeUint(1_000_000), encodeUint(1), items]);
const block = snappy.compress(reply);
console.log(`unknown-reqID reply: ${(reply.length / 2 ** 20).toFixed(1)} MiB, ${(block.length / 2 ** 10).toFixed(0)} KiB compressed`);
load = [load1(), 0];
const oursDrop = cpuMs(() => readReplyHead(Code.BlockHeaders, snappyHead(block, 32) as Uint8Array, reply.length));
const baseDrop = cpuMs(() => decodeRlp(snappy.uncompress(block), 'BlockHeaders'));
load[1] = load1();
emit({ bench: 'client-hostile-replies', metric: 'CPU to drop a 9.5 MiB unknown-reqID reply', value: oursDrop, baseline: baseDrop, unit: 'ms', ratio: oursDrop / baseDrop, goal: { op: '<=', target: 0.01 }, load });
