/**
 * Combining the tx statuses several servers report. A status cannot be proven; an "included"
 * claim is believed only after `checkIncluded` (the block is a verified header at that number,
 * canonical as far as the chain knows, and its verified body holds the transaction at that
 * index). The answer is the most advanced believed status (included > pending > queued > error >
 * unknown), and says whether the servers disagreed.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { HeaderChainView, VerifiedBody, VerifiedHeader } from '../contracts.js';
import { equalBytes, toHex } from '../../verify/bytes.js';
import { type TxLookup, type TxStatusEntry, TxState } from '../../wire/tx.js';

/** A combined status: the best believed entry, and how the servers answered. */
export interface TxStatusReport extends TxStatusEntry {
  /** Servers that answered. */
  answers: number;
  /** The servers' (believed) statuses differ, or an "included" claim did not hold. */
  disagreement: boolean;
  /** Servers whose "included" claim failed the body check. */
  refuted: number;
}

const RANK: Readonly<Record<TxState, number>> = {
  [TxState.Included]: 4,
  [TxState.Pending]: 3,
  [TxState.Queued]: 2,
  [TxState.Error]: 1,
  [TxState.Unknown]: 0,
};

export interface InclusionDeps {
  chain: Pick<HeaderChainView, 'headerByHash' | 'isCanonical' | 'head'>;
  body(header: VerifiedHeader): Promise<VerifiedBody>;
}

/** Whether `lookup` really places `txHash` in a canonical block. */
export async function checkIncluded(deps: InclusionDeps, txHash: Uint8Array, lookup: TxLookup): Promise<boolean> {
  if (lookup.blockNumber > deps.chain.head().header.number) return false;
  const header = await deps.chain.headerByHash(lookup.blockHash);
  if (header.header.number !== lookup.blockNumber) return false;
  if (!(await deps.chain.isCanonical(header.hash, lookup.blockNumber))) return false;
  const tx = (await deps.body(header)).transactions[lookup.txIndex];
  return tx !== undefined && equalBytes(keccak256(tx), txHash);
}

/** Combines the answers for one transaction (each already checked: `believed` false = refuted). */
export function combineStatuses(answers: ReadonlyArray<{ entry: TxStatusEntry; believed: boolean }>): TxStatusReport {
  const believed = answers.filter((a) => a.believed).map((a) => a.entry);
  const refuted = answers.length - believed.length;
  let best: TxStatusEntry = { status: TxState.Unknown };
  for (const e of believed) if (RANK[e.status] > RANK[best.status]) best = e;
  const kinds = new Set(believed.map((e) => (e.lookup === undefined ? String(e.status) : `${toHex(e.lookup.blockHash)}:${e.lookup.txIndex}`)));
  return { ...best, answers: answers.length, disagreement: refuted > 0 || kinds.size > 1, refuted };
}
