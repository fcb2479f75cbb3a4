/**
 * Block contents by hash, batched (many hashes in one message):
 *   body      GetBlockBodies → BlockBodies: transactions root, uncle hash and (Shanghai on)
 *             withdrawals root must equal the verified header's;
 *   receipts  GetReceipts → Receipts: receipts root must equal the header's.
 * The n-th answer belongs to the n-th hash; a reply may stop early (the rest is asked again).
 */
import type { OdrKind, VerifiedBody, VerifiedHeader } from '../contracts.js';
import { decodeBlockBodies, encodeGetBlockBodies, MAX_BODIES } from '../../wire/bodies.js';
import { Code } from '../../wire/codes.js';
import { decodeNestedRlp } from '../../wire/rlp.js';
import { MAX_RECEIPT_BLOCKS, decodeReceipts, encodeGetReceipts } from '../../wire/receipts.js';
import type { Receipt } from '../../verify/receipts.js';
import { equalBytes } from '../../verify/bytes.js';
import { EMPTY_UNCLE_HASH, verifyBody, verifyReceipts } from '../../verify/roots.js';
import { EMPTY_TRIE_ROOT } from '../../verify/trie-builder.js';
import { answersFor, checkReplyCount, servesChain, toHex, wireItemOf } from './common.js';

export interface BlockItem {
  header: VerifiedHeader;
}

/** A block whose body is empty by its header's roots (no transactions, uncles or withdrawals). */
export function isEmptyBlock(header: VerifiedHeader): boolean {
  const h = header.header;
  return (
    equalBytes(h.transactionsRoot, EMPTY_TRIE_ROOT) &&
    equalBytes(h.uncleHash, EMPTY_UNCLE_HASH) &&
    (h.withdrawalsRoot === undefined || equalBytes(h.withdrawalsRoot, EMPTY_TRIE_ROOT))
  );
}

export const bodyKind: OdrKind<BlockItem, VerifiedBody> = {
  name: 'body',
  code: Code.GetBlockBodies,
  maxItems: MAX_BODIES,
  units: () => 1,
  canServe: (server, item) => servesChain(server, item.header.header.number),
  blockOf: (item) => item.header.header.number,
  key: (item) => `body:${toHex(item.header.hash)}`,
  encode: (reqID, items) => encodeGetBlockBodies({ reqID, hashes: items.map((i) => i.header.hash) }),
  verify(items, payload) {
    const { bodies } = decodeBlockBodies(payload);
    checkReplyCount(bodies.length, items.length, 'BlockBodies', 'bodies');
    return answersFor(items, bodies.length, (item, i) => {
      const body = bodies[i] as (typeof bodies)[number];
      // The empty entry is how a server says "unknown block"; asked only for non-empty blocks, it is unanswered.
      if (body.transactions.length === 0 && body.uncles.length === 0 && (body.withdrawals?.length ?? 0) === 0 && !isEmptyBlock(item.header)) return undefined;
      const f = `bodies[${i}]`;
      // src/verify checks wire items (legacy tx = list, typed = envelope; uncles and withdrawals lists).
      verifyBody(
        {
          transactions: body.transactions.map((t, j) => wireItemOf(t, 'BlockBodies', `${f}.transactions[${j}]`)),
          uncles: body.uncles.map((u, j) => decodeNestedRlp(u, 'BlockBodies', `${f}.uncles[${j}]`)),
          ...(body.withdrawals === undefined
            ? {}
            : { withdrawals: body.withdrawals.map((w, j) => decodeNestedRlp(w, 'BlockBodies', `${f}.withdrawals[${j}]`)) }),
        },
        item.header.header,
      );
      const out: VerifiedBody = { transactions: body.transactions, uncles: body.uncles };
      if (body.withdrawals !== undefined) out.withdrawals = body.withdrawals;
      return out;
    });
  },
};

export const receiptsKind: OdrKind<BlockItem, Receipt[]> = {
  name: 'receipts',
  code: Code.GetReceipts,
  maxItems: MAX_RECEIPT_BLOCKS,
  units: () => 1,
  canServe: (server, item) => servesChain(server, item.header.header.number),
  blockOf: (item) => item.header.header.number,
  key: (item) => `receipts:${toHex(item.header.hash)}`,
  encode: (reqID, items) => encodeGetReceipts({ reqID, hashes: items.map((i) => i.header.hash) }),
  verify(items, payload) {
    const { receipts } = decodeReceipts(payload);
    checkReplyCount(receipts.length, items.length, 'Receipts', 'receipts');
    return answersFor(items, receipts.length, (item, i) => {
      const list = receipts[i] as Uint8Array[];
      if (list.length === 0 && !equalBytes(item.header.header.receiptsRoot, EMPTY_TRIE_ROOT)) return undefined;
      return verifyReceipts(
        list.map((r, j) => wireItemOf(r, 'Receipts', `receipts[${i}][${j}]`)),
        item.header.header,
      );
    });
  },
};
