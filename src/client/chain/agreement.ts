/**
 * Head agreement among trusted servers (DESIGN §5, trust anchors). Each connected trusted server's
 * latest signed announce is its vote. A head is agreed once at least ⌈fraction × n⌉ of the n
 * connected trusted servers announced it or a descendant of it (default fraction 0.75: 3 of 4).
 * Candidates are tried heaviest first (TD, then number, as post-merge TD stays constant), so the
 * highest head enough servers stand behind wins. Whether one head descends from another is a
 * question for the header chain (it links announced heads to its window), passed in here.
 */
import { toHex } from '../../verify/bytes.js';

export interface Vote {
  hash: Uint8Array;
  number: number;
  td: bigint;
}

export const DEFAULT_TRUSTED_FRACTION = 0.75;

/** Servers needed for agreement among `n` connected trusted servers (at least one). */
export function requiredVotes(fraction: number, n: number): number {
  // The epsilon keeps 0.75 × 4 at 3 despite floating point.
  return Math.max(1, Math.ceil(fraction * n - 1e-9));
}

export class HeadVotes {
  private readonly votes = new Map<string, Vote>();

  constructor(readonly fraction: number = DEFAULT_TRUSTED_FRACTION) {
    if (!(fraction > 0 && fraction <= 1)) throw new RangeError(`trusted fraction ${fraction} is not in (0, 1]`);
  }

  /** Records a server's latest head (a later announce replaces its earlier vote). */
  record(serverId: string, vote: Vote): void {
    this.votes.set(serverId, vote);
  }

  drop(serverId: string): void {
    this.votes.delete(serverId);
  }

  vote(serverId: string): Vote | undefined {
    return this.votes.get(serverId);
  }

  /**
   * The heaviest head that ⌈fraction × n⌉ of the `connected` trusted servers support, where a
   * server supports a candidate when its vote is the candidate or descends from it.
   */
  agreed(connected: readonly string[], descends: (from: Vote, ancestor: Vote) => boolean): Vote | undefined {
    const need = requiredVotes(this.fraction, connected.length);
    const voters = connected.flatMap((id) => {
      const v = this.votes.get(id);
      return v === undefined ? [] : [v];
    });
    if (voters.length < need) return undefined;
    const candidates = new Map<string, Vote>();
    for (const v of voters) candidates.set(toHex(v.hash), v);
    const ordered = [...candidates.values()].sort((a, b) => (a.td !== b.td ? (a.td > b.td ? -1 : 1) : b.number - a.number));
    for (const c of ordered) {
      let support = 0;
      for (const v of voters) if (v.number >= c.number && (v === c || toHex(v.hash) === toHex(c.hash) || descends(v, c))) support++;
      if (support >= need) return c;
    }
    return undefined;
  }
}
