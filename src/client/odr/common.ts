/**
 * What the ODR kinds share: the availability windows of a server (LES spec, Status keys
 * serveChainSince/serveRecentChain and serveStateSince/serveRecentState), the conversion of a
 * verified header's RLP into a VerifiedHeader, and the checks on a reply's item count.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { ServerView, VerifiedHeader } from '../contracts.js';
import { ProtocolError } from '../../wire/errors.js';
import { type RlpItem, decodeNestedRlp } from '../../wire/rlp.js';
import { toHex } from '../../verify/bytes.js';
import type { BlockHeader } from '../../verify/header.js';

export { toHex };

/**
 * Whether `number` lies in a window `[max(since, head − recent + 1), head]`; a server that did not
 * announce `since` does not serve that kind of data at all.
 */
function inWindow(number: number, head: number, since: number | undefined, recent: number | undefined): boolean {
  if (since === undefined || number > head || number < since) return false;
  return recent === undefined || number >= head - recent + 1;
}

/** Bodies and receipts of block `number`. */
export function servesChain(server: ServerView, number: number): boolean {
  return inWindow(number, server.head.number, server.caps.serveChainSince, server.caps.serveRecentChain);
}

/** State proofs and contract codes at block `number`. */
export function servesState(server: ServerView, number: number): boolean {
  return inWindow(number, server.head.number, server.caps.serveStateSince, server.caps.serveRecentState);
}

/** Helper-trie data of `section`: the server serves headers and its head is past the section. */
export function servesSection(server: ServerView, sectionIndex: number, sectionSize: number): boolean {
  return server.caps.serveHeaders && server.head.number >= (sectionIndex + 1) * sectionSize - 1;
}

export function verifiedHeader(header: BlockHeader, rlp: Uint8Array, hash: Uint8Array = keccak256(rlp), td?: bigint): VerifiedHeader {
  return td === undefined ? { header, hash, rlp } : { header, hash, rlp, td };
}

/** A reply may answer fewer items than asked (soft size limit), never more. */
export function checkReplyCount(got: number, asked: number, messageName: string, field: string): void {
  if (got > asked) throw new ProtocolError('MALFORMED', messageName, field, `${got} answers to ${asked} requests`);
}

/**
 * The wire item of a transaction or receipt held in canonical form (what src/verify's root
 * checks take): legacy = the decoded list, typed = the envelope bytes.
 */
export function wireItemOf(canonical: Uint8Array, messageName: string, field: string): RlpItem {
  return (canonical[0] ?? 0) >= 0xc0 ? decodeNestedRlp(canonical, messageName, field) : canonical;
}

/** One answer per item: the first `answered` from `fn`, the rest unanswered. */
export function answersFor<I, R>(items: readonly I[], answered: number, fn: (item: I, i: number) => R): Array<R | undefined> {
  return items.map((item, i) => (i < answered ? fn(item, i) : undefined));
}
