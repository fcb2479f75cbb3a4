/**
 * Helper-trie kinds (GetHelperTrieProofs → HelperTrieProofs), against roots of a TrustedSection:
 *   chtHeader   subType 0, key BE64(number), auxReq 2: the CHT proof gives [hash, td] and the
 *               auxData header must hash to it and carry the number; the block must lie inside
 *               the section's CHT (0 .. (index+1)·sectionSize − 1).
 *   bloomBits   subType 1, key BE16(bit) ‖ BE64(section), auxReq 0: the compressed vector
 *               proven against the BloomTrie root (absent = zeros), decompressed to
 *               sectionSize bits. The trie (a cumulative one) may be newer than the data section.
 *   trieRoot    auxReq 1: a server's claimed root of its CHT or BloomTrie for a section. It proves
 *               nothing on its own; the header chain trusts a root only when enough trusted
 *               servers agree (chain/sections.ts).
 * A batch shares one node set, walked for every item and then required to be fully used.
 */
import type { OdrKind, TrustedSection, VerifiedHeader } from '../contracts.js';
import { Code } from '../../wire/codes.js';
import { ProtocolError } from '../../wire/errors.js';
import {
  AuxReq,
  HelperTrieType,
  MAX_HELPER_REQS,
  decodeHelperTrieProofs,
  encodeGetHelperTrieProofs,
} from '../../wire/helper-trie.js';
import { equalBytes } from '../../verify/bytes.js';
import { VerificationError } from '../../verify/errors.js';
import { bloomTrieKey, checkChtHeader, chtKey, readBloomBits, readChtEntry } from '../../verify/helper-tries.js';
import { ProofNodeSet } from '../../verify/proof.js';
import { EMPTY_TRIE_ROOT } from '../../verify/trie-builder.js';
import { answersFor, checkReplyCount, servesSection, toHex, verifiedHeader } from './common.js';
import { OdrError } from './errors.js';

const REPLY = 'HelperTrieProofs';

export interface ChtHeaderItem {
  section: TrustedSection;
  sectionSize: number;
  number: number;
}

export interface BloomBitsItem {
  /** The trusted section whose BloomTrie root proves the vector (index ≥ sectionIndex). */
  trie: TrustedSection;
  sectionSize: number;
  /** The section of blocks the vector covers. */
  sectionIndex: number;
  /** Bloom bit 0..2047. */
  bitIndex: number;
}

export interface TrieRootItem {
  subType: HelperTrieType;
  sectionIndex: number;
  sectionSize: number;
}

/** The last block a section's CHT covers. */
export function sectionEnd(index: number, sectionSize: number): number {
  return (index + 1) * sectionSize - 1;
}

function checkChtItem(item: ChtHeaderItem, i: number): void {
  const end = sectionEnd(item.section.index, item.sectionSize);
  if (!Number.isSafeInteger(item.number) || item.number < 0 || item.number > end) {
    throw new OdrError('BAD_ITEM', `items[${i}].number`, `block ${item.number} is outside CHT section ${item.section.index} (0..${end})`);
  }
}

function checkBloomItem(item: BloomBitsItem, i: number): void {
  if (!Number.isInteger(item.bitIndex) || item.bitIndex < 0 || item.bitIndex > 2047) {
    throw new OdrError('BAD_ITEM', `items[${i}].bitIndex`, `${item.bitIndex} is not 0..2047`);
  }
  if (!Number.isSafeInteger(item.sectionIndex) || item.sectionIndex < 0 || item.sectionIndex > item.trie.index) {
    throw new OdrError('BAD_ITEM', `items[${i}].sectionIndex`, `section ${item.sectionIndex} is not covered by BloomTrie ${item.trie.index}`);
  }
}

function decodeReply(payload: Uint8Array, asked: number) {
  const reply = decodeHelperTrieProofs(payload);
  checkReplyCount(reply.auxData.length, asked, REPLY, 'auxData');
  return reply;
}

export const chtHeaderKind: OdrKind<ChtHeaderItem, VerifiedHeader> = {
  name: 'chtHeader',
  code: Code.GetHelperTrieProofs,
  maxItems: MAX_HELPER_REQS,
  units: () => 1,
  canServe: (server, item) => servesSection(server, item.section.index, item.sectionSize),
  blockOf: (item) => sectionEnd(item.section.index, item.sectionSize),
  key: (item) => `cht:${item.section.index}:${toHex(item.section.chtRoot)}:${item.number}`,
  encode(reqID, items) {
    items.forEach(checkChtItem);
    const reqs = items.map((item) => ({
      subType: HelperTrieType.CHT,
      sectionIdx: item.section.index,
      key: chtKey(item.number),
      fromLevel: 0,
      auxReq: AuxReq.Header,
    }));
    return encodeGetHelperTrieProofs({ reqID, reqs });
  },
  /** The k-th auxData header answers the k-th item; items past the last header are unanswered. */
  verify(items, payload) {
    items.forEach(checkChtItem);
    const { nodes, auxData } = decodeReply(payload, items.length);
    const set = new ProofNodeSet(nodes, `${REPLY}.nodes`);
    const results = answersFor(items, auxData.length, (item, i) => {
      const entry = readChtEntry(set, item.section.chtRoot, item.number, { field: `cht[${i}]` });
      const rlp = auxData[i] as Uint8Array;
      const header = checkChtHeader(entry, item.number, rlp);
      return verifiedHeader(header, rlp, entry.hash, entry.td);
    });
    set.assertAllUsed();
    return results;
  },
};

export const bloomBitsKind: OdrKind<BloomBitsItem, Uint8Array> = {
  name: 'bloomBits',
  code: Code.GetHelperTrieProofs,
  maxItems: MAX_HELPER_REQS,
  units: () => 1,
  canServe: (server, item) => servesSection(server, item.trie.index, item.sectionSize),
  blockOf: (item) => sectionEnd(item.trie.index, item.sectionSize),
  key: (item) => `bloomBits:${item.trie.index}:${toHex(item.trie.bloomTrieRoot)}:${item.sectionIndex}:${item.bitIndex}`,
  encode(reqID, items) {
    items.forEach(checkBloomItem);
    const reqs = items.map((item) => ({
      subType: HelperTrieType.BloomBits,
      sectionIdx: item.trie.index,
      key: bloomTrieKey(item.bitIndex, item.sectionIndex),
      fromLevel: 0,
      auxReq: AuxReq.None,
    }));
    return encodeGetHelperTrieProofs({ reqID, reqs });
  },
  /** No per-item boundary in the node set: an empty set is "nothing answered", else all must verify. */
  verify(items, payload) {
    items.forEach(checkBloomItem);
    const { nodes, auxData } = decodeReply(payload, items.length);
    if (auxData.length > 0) throw new ProtocolError('MALFORMED', REPLY, 'auxData', 'auxData for requests without auxReq');
    if (nodes.length === 0 && items.some((item) => !equalBytes(item.trie.bloomTrieRoot, EMPTY_TRIE_ROOT))) {
      return items.map(() => undefined);
    }
    const set = new ProofNodeSet(nodes, `${REPLY}.nodes`);
    const results = items.map((item, i) =>
      readBloomBits(set, item.trie.bloomTrieRoot, item.bitIndex, item.sectionIndex, item.sectionSize, { field: `bloomBits[${i}]` }),
    );
    set.assertAllUsed();
    return results;
  },
};

/** The key a root request carries: any key of the trie's shape (the spec adds no nodes for auxReq 1). */
function rootKey(item: TrieRootItem): Uint8Array {
  return item.subType === HelperTrieType.CHT ? chtKey(sectionEnd(item.sectionIndex, item.sectionSize)) : bloomTrieKey(0, item.sectionIndex);
}

export const trieRootKind: OdrKind<TrieRootItem, Uint8Array> = {
  name: 'trieRoot',
  code: Code.GetHelperTrieProofs,
  maxItems: MAX_HELPER_REQS,
  units: () => 1,
  canServe: (server, item) => servesSection(server, item.sectionIndex, item.sectionSize),
  blockOf: (item) => sectionEnd(item.sectionIndex, item.sectionSize),
  key: (item) => `trieRoot:${item.subType}:${item.sectionIndex}`,
  encode: (reqID, items) =>
    encodeGetHelperTrieProofs({
      reqID,
      reqs: items.map((item) => ({ subType: item.subType, sectionIdx: item.sectionIndex, key: rootKey(item), fromLevel: 0, auxReq: AuxReq.Root })),
    }),
  verify(items, payload) {
    const { nodes, auxData } = decodeReply(payload, items.length);
    if (nodes.length > 0) throw new VerificationError('UNUSED_PROOF_NODES', `${REPLY}.nodes`, `${nodes.length} node(s) in a reply to root requests`);
    return answersFor(items, auxData.length, (_item, i) => {
      const root = auxData[i] as Uint8Array;
      if (root.length !== 32) throw new ProtocolError('MALFORMED', REPLY, `auxData[${i}]`, `a trie root is 32 bytes, got ${root.length}`);
      return root;
    });
  },
};
