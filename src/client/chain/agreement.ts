/**
 * Head agreement among trusted servers (DESIGN §5, trust anchors). Each connected trusted server's
 * latest signed announce is its vote. A head is agreed once the quorum's number of votes — at least
 * ⌈fraction × n⌉ of the n CONFIGURED trusted servers (default fraction 0.75: 3 of 4), and at least
 * `minVotes` — stands behind it: a vote counts for a candidate that is the voted head or an
 * ancestor of it. The count is of configured servers, not of those connected now, so knocking
 * trusted servers off the network never lets fewer voices decide; with too few connected, no head
 * is agreed (the head stops advancing and the client says so). Candidates are tried heaviest first
 * (TD, then number, as post-merge TD stays constant), so the highest head enough servers stand
 * behind wins. Whether one head descends from another is a question for the header chain (it
 * links announced heads to its window), passed in here.
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

export interface QuorumOptions {
  /** Trusted servers configured (not merely connected). */
  configured: number;
  /** Fraction of them whose votes agree a head (default 0.75). */
  fraction?: number;
  /** Fewest votes that ever agree a head, whatever the fraction (default 1). */
  minVotes?: number;
}

/** How many trusted votes agree a head or a section, and whether enough trusted servers are connected. */
export class TrustQuorum {
  readonly configured: number;
  readonly fraction: number;
  readonly minVotes: number;
  /** Votes needed: max(minVotes, ⌈fraction × configured⌉). */
  readonly needed: number;

  constructor(o: QuorumOptions) {
    this.configured = o.configured;
    this.fraction = o.fraction ?? DEFAULT_TRUSTED_FRACTION;
    this.minVotes = o.minVotes ?? 1;
    if (!(this.fraction > 0 && this.fraction <= 1)) throw new RangeError(`trusted fraction ${this.fraction} is not in (0, 1]`);
    if (!Number.isSafeInteger(this.configured) || this.configured < 1) throw new RangeError(`configured trusted servers ${this.configured} is not 1 or more`);
    if (!Number.isSafeInteger(this.minVotes) || this.minVotes < 1) throw new RangeError(`minVotes ${this.minVotes} is not 1 or more`);
    this.needed = Math.max(this.minVotes, requiredVotes(this.fraction, this.configured));
  }

  /** Why no head can be agreed with `connected` trusted servers, or undefined when enough are there. */
  shortfall(connected: number): string | undefined {
    if (connected >= this.needed) return undefined;
    return `${connected} of ${this.configured} trusted servers connected; ${this.needed} must agree on a head`;
  }
}

export class HeadVotes {
  private readonly votes = new Map<string, Vote>();

  constructor(readonly quorum: TrustQuorum) {}

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
   * The heaviest head that the quorum's number of the `connected` trusted servers support, where a
   * server supports a candidate when its vote is the candidate or descends from it.
   */
  agreed(connected: readonly string[], descends: (from: Vote, ancestor: Vote) => boolean): Vote | undefined {
    const need = this.quorum.needed;
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

  /**
   * The highest number that as many connected trusted voters as the quorum needs have announced
   * (each at or above it): how far the chain is known to go, by trusted word alone — what
   * eth_syncing compares the head with. Undefined while fewer vote.
   */
  highest(connected: readonly string[]): number | undefined {
    const numbers = connected.flatMap((id) => this.votes.get(id)?.number ?? []).sort((a, b) => b - a);
    return numbers[this.quorum.needed - 1];
  }
}
