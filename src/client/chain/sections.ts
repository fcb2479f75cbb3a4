/**
 * Trusting helper-trie sections after the checkpoint. The trust rule:
 *
 *   Section i is accepted when (1) the trusted head is at least useConfirmations past its last
 *   block (i+1)·sectionSize − 1; (2) as many trusted servers as the quorum needs (of the CONFIGURED ones, agreement.ts)
 *   report the same CHT root and the same BloomTrie root for it (GetHelperTrieProofs auxReq 1);
 *   (3) the section head — the CHT entry of its last block, proven against the agreed CHT root —
 *   equals the canonical hash the client already has at that number (window, CHT, anchors), when
 *   it has one; and (4) the previous trusted section's head is in the new (cumulative) CHT too.
 *
 * CHTs and BloomTries are cumulative, so only the newest eligible section is tried.
 */
import type { Retriever, TrustedSection } from '../contracts.js';
import { HelperTrieType } from '../../wire/helper-trie.js';
import { equalBytes, hex0x, toHex } from '../../verify/bytes.js';
import { chtHeaderKind, sectionEnd, trieRootKind } from '../odr/helper-tries.js';
import { servesSection } from '../odr/common.js';
import { ChainError } from './errors.js';
import type { HeaderChain } from './header-chain.js';
import type { TrustQuorum } from './agreement.js';

export interface SectionRoots {
  chtRoot: Uint8Array;
  bloomTrieRoot: Uint8Array;
}

/** The roots as many trusted servers as the quorum needs report for section `index`, if any. */
export async function agreedSectionRoots(
  retriever: Retriever,
  index: number,
  sectionSize: number,
  quorum: TrustQuorum,
): Promise<SectionRoots | undefined> {
  const trusted = retriever.servers().filter((s) => s.trusted);
  const need = quorum.needed;
  if (trusted.length < need) return undefined;
  const asked = trusted.filter((s) => servesSection(s, index, sectionSize));
  const answers = await Promise.allSettled(
    asked.map(async (s) => {
      const [cht, bloom] = await Promise.all([
        retriever.retrieve(trieRootKind, { subType: HelperTrieType.CHT, sectionIndex: index, sectionSize }, { server: s.id }),
        retriever.retrieve(trieRootKind, { subType: HelperTrieType.BloomBits, sectionIndex: index, sectionSize }, { server: s.id }),
      ]);
      return { chtRoot: cht, bloomTrieRoot: bloom };
    }),
  );
  const tally = new Map<string, { roots: SectionRoots; count: number }>();
  for (const a of answers) {
    if (a.status !== 'fulfilled') continue;
    const key = toHex(a.value.chtRoot) + toHex(a.value.bloomTrieRoot);
    const entry = tally.get(key) ?? { roots: a.value, count: 0 };
    entry.count++;
    tally.set(key, entry);
  }
  for (const { roots, count } of tally.values()) if (count >= need) return roots;
  return undefined;
}

/** The newest section the head has confirmed by `useConfirmations`, or −1. */
export function eligibleSection(headNumber: number, sectionSize: number, useConfirmations: number): number {
  return Math.floor((headNumber - useConfirmations + 1) / sectionSize) - 1;
}

/**
 * Tries to trust the newest eligible section under the rule above. Returns it when accepted,
 * `undefined` when nothing is new or the servers do not agree; throws ANCHOR_MISMATCH when the
 * agreed roots contradict what the chain knows.
 */
export async function updateSections(chain: HeaderChain, quorum: TrustQuorum): Promise<TrustedSection | undefined> {
  const size = chain.sectionSize;
  const index = eligibleSection(chain.head().header.number, size, chain.config.useConfirmations);
  const latest = chain.latestSection();
  if (index < 0 || (latest !== undefined && latest.index >= index)) return undefined;
  const roots = await agreedSectionRoots(chain.retriever, index, size, quorum);
  if (roots === undefined) return undefined;
  const candidate: TrustedSection = { index, sectionHead: new Uint8Array(32), ...roots };
  const end = sectionEnd(index, size);
  const head = await chain.retriever.retrieve(chtHeaderKind, { section: candidate, sectionSize: size, number: end });
  const known = chain.knownCanonical(end);
  if (known !== undefined && known !== toHex(head.hash)) {
    throw new ChainError('ANCHOR_MISMATCH', `sections[${index}].sectionHead`, `CHT says ${hex0x(head.hash)}, the chain has 0x${known}`);
  }
  if (latest !== undefined) {
    const prevEnd = sectionEnd(latest.index, size);
    const prev = await chain.retriever.retrieve(chtHeaderKind, { section: candidate, sectionSize: size, number: prevEnd });
    if (!equalBytes(prev.hash, latest.sectionHead)) {
      throw new ChainError('ANCHOR_MISMATCH', `sections[${index}].chtRoot`, `its entry for ${prevEnd} contradicts trusted section ${latest.index}`);
    }
  }
  const section: TrustedSection = { ...candidate, sectionHead: head.hash };
  await chain.acceptSection(section);
  return section;
}
