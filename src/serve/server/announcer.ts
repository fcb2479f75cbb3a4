/**
 * Announces: on every new canonical head, each client gets an Announce of the kind it asked for
 * in its Status (announceType 0 none, 1 simple, 2 signed with the node key).
 *
 * Heads are ordered by (TD, number): post-merge chains keep TD constant, so TD alone would never
 * rise again. A client is never announced a head that is not higher by that order than the last
 * one it got from us (its Status head first); a reorg to a chain that is not higher (same TD and
 * number, or lower) is therefore not announced — the client learns of it from the next higher head.
 *
 * reorgDepth is per client: how many blocks to roll back from the last head *that client* was
 * announced to reach the new canonical chain (0 when that head is still canonical). It is found by
 * walking that head's parents until one is canonical; when the walk cannot finish (headers
 * missing, or too deep) the chain's own reorg depth for this head event is used.
 */
import { Code, type Announce, AnnounceType, encodeAnnounce } from '../../wire/index.js';
import { signAnnounce } from '../../verify/announce-signature.js';
import { equalBytes, toHex } from '../../verify/bytes.js';
import type { ChainReader, HeadEvent } from './backend.js';
import type { ServeLog } from './handlers/types.js';
import type { AnnouncedHead, ClientSession } from './session.js';

/** Parent links followed to find a client's common ancestor with the new chain. */
export const MAX_REORG_WALK = 1024;

/** (td, number) order: positive when `a` is higher than `b`. */
export function compareHeads(a: Pick<AnnouncedHead, 'td' | 'number'>, b: Pick<AnnouncedHead, 'td' | 'number'>): number {
  if (a.td !== b.td) return a.td > b.td ? 1 : -1;
  return a.number - b.number;
}

/** Blocks to roll back from `last` to the canonical chain, or undefined when it cannot be told. */
export async function reorgDepthFrom(chain: ChainReader, last: AnnouncedHead): Promise<number | undefined> {
  let hash = last.hash;
  let number = last.number;
  for (let steps = 0; steps <= MAX_REORG_WALK; steps++) {
    const canonical = await chain.canonicalHash(number);
    if (canonical !== undefined && equalBytes(canonical, hash)) return last.number - number;
    if (number === 0) return undefined;
    const header = await chain.headerByHash(hash);
    if (header === undefined) return undefined;
    hash = header.parentHash;
    number--;
  }
  return undefined;
}

export class Announcer {
  readonly #chain: ChainReader;
  readonly #nodeKey: Uint8Array;
  readonly #log: ServeLog;
  /** Announces sent, by type. */
  readonly totals = { simple: 0, signed: 0, skippedNotHigher: 0 };

  constructor(chain: ChainReader, nodeKey: Uint8Array, log: ServeLog) {
    this.#chain = chain;
    this.#nodeKey = nodeKey;
    this.#log = log;
  }

  /** Announces `head` to every session that wants announces and has not seen a higher head. */
  async announce(head: HeadEvent, sessions: Iterable<ClientSession>): Promise<void> {
    let signature: Uint8Array | undefined;
    const depths = new Map<string, number>();
    for (const s of sessions) {
      if (s.closed || s.announceType === AnnounceType.None) continue;
      const last = s.lastAnnounced;
      if (last !== undefined && compareHeads(head, last) <= 0) {
        this.totals.skippedNotHigher++;
        continue;
      }
      let reorgDepth = 0;
      if (last !== undefined) {
        const key = toHex(last.hash);
        let depth = depths.get(key);
        if (depth === undefined) {
          depth = (await reorgDepthFrom(this.#chain, last)) ?? head.reorgDepth;
          depths.set(key, depth);
        }
        reorgDepth = depth;
      }
      // Re-checked after the awaits above: another head may have been announced meanwhile.
      if (s.closed || (s.lastAnnounced !== undefined && compareHeads(head, s.lastAnnounced) <= 0)) continue;
      const msg: Announce = { headHash: head.hash, headNumber: head.number, headTd: head.td, reorgDepth, updates: [] };
      if (s.announceType === AnnounceType.Signed) {
        signature ??= signAnnounce(this.#nodeKey, { headHash: head.hash, headNumber: head.number, headTd: head.td });
        msg.signature = signature;
      }
      try {
        s.send(Code.Announce, encodeAnnounce(msg));
      } catch (err) {
        this.#log.warn({ err, client: s.id.slice(0, 16) }, 'serve: announce could not be sent');
        continue;
      }
      s.lastAnnounced = { hash: head.hash, number: head.number, td: head.td };
      s.counters.announces++;
      if (msg.signature !== undefined) this.totals.signed++;
      else this.totals.simple++;
    }
  }
}
