/**
 * Turns trusted servers' announces into head changes. The server pool calls `onAnnounce` for every
 * announce it received (with whether that server is trusted); for a trusted server the signature
 * (announceType 2) is checked here again against its node id, so a forged announce never votes.
 * The announced header and its parents back to known headers are fetched (from that server first)
 * and cached, so that "descends from" is a local walk; then HeadVotes decides whether enough
 * trusted servers stand behind a head, and the chain adopts it (linking, reorg rollback).
 *
 * `reorgDepth` of an announce only widens the first fetch back; the rollback itself comes from
 * linking the agreed head to the window's common ancestor.
 */
import type { Retriever, VerifiedHeader } from '../contracts.js';
import type { Announce } from '../../wire/announce.js';
import { MAX_HEADERS } from '../../wire/headers.js';
import { verifyAnnounceSignature } from '../../verify/announce-signature.js';
import { VerificationError } from '../../verify/errors.js';
import { type AdoptResult, type HeaderChain } from './header-chain.js';
import { HeadVotes, type QuorumOptions, TrustQuorum } from './agreement.js';
import { ChainError } from './errors.js';

/** What one announce did. */
export type AnnounceOutcome =
  /** From a server that is not trusted: does not vote. */
  | 'untrusted'
  /** Missing or wrong signature: ignored. */
  | 'forged'
  /** Its header could not be fetched and linked: the vote is dropped. */
  | 'unlinked'
  /** Counted; no new head is agreed yet. */
  | 'recorded'
  /** A new head was agreed and adopted. */
  | 'adopted'
  /** The agreed head contradicts a trust anchor (ChainError ANCHOR_MISMATCH): not adopted. */
  | 'refused';

/** The server pool's side: verified announces in, disconnects in. */
export interface AnnounceSink {
  onAnnounce(serverId: string, trusted: boolean, announce: Announce): Promise<AnnounceOutcome>;
  serverGone(serverId: string): void;
}

function nodeIdBytes(serverId: string): Uint8Array | undefined {
  return /^[0-9a-fA-F]{128}$/.test(serverId) ? Uint8Array.from(Buffer.from(serverId, 'hex')) : undefined;
}

export class HeadTracker implements AnnounceSink {
  readonly votes: HeadVotes;
  private queue: Promise<unknown> = Promise.resolve();

  readonly quorum: TrustQuorum;

  constructor(
    private readonly chain: HeaderChain,
    private readonly retriever: Retriever,
    quorum: QuorumOptions,
  ) {
    this.quorum = new TrustQuorum(quorum);
    this.votes = new HeadVotes(this.quorum);
  }

  /** Ids of the trusted servers connected now. */
  connectedTrusted(): string[] {
    return this.retriever
      .servers()
      .filter((s) => s.trusted)
      .map((s) => s.id);
  }

  /** Announces are handled one at a time, in arrival order. */
  onAnnounce(serverId: string, trusted: boolean, announce: Announce): Promise<AnnounceOutcome> {
    const run = this.queue.then(() => this.handle(serverId, trusted, announce));
    this.queue = run.catch(() => undefined);
    return run;
  }

  serverGone(serverId: string): void {
    this.votes.drop(serverId);
  }

  private async handle(serverId: string, trusted: boolean, a: Announce): Promise<AnnounceOutcome> {
    if (!trusted) return 'untrusted';
    const nodeId = nodeIdBytes(serverId);
    if (nodeId === undefined) return 'forged';
    try {
      verifyAnnounceSignature(a, nodeId);
    } catch (e) {
      if (e instanceof VerificationError) return 'forged';
      throw e;
    }
    try {
      await this.link(a, serverId);
    } catch {
      this.votes.drop(serverId);
      return 'unlinked';
    }
    this.votes.record(serverId, { hash: a.headHash, number: a.headNumber, td: a.headTd });
    try {
      return (await this.evaluate()) === undefined ? 'recorded' : 'adopted';
    } catch (e) {
      if (e instanceof ChainError && e.code === 'ANCHOR_MISMATCH') return 'refused';
      throw e;
    }
  }

  /** Fetches the announced header and its parents until they meet known headers (or the window size). */
  private async link(a: Announce, serverId: string): Promise<void> {
    if (this.chain.isKnown(a.headHash)) return;
    const head = this.chain.head().header.number;
    let amount = Math.min(MAX_HEADERS, a.headNumber + 1, Math.max(1, a.headNumber - head + a.reorgDepth + 1));
    let hash = a.headHash;
    let number = a.headNumber;
    for (let fetched = 0; fetched < this.chain.windowSize; ) {
      const run = await this.fetch(hash, number, amount, serverId);
      fetched += run.length;
      const last = run[run.length - 1] as VerifiedHeader;
      if (this.chain.parentKnown(last) || last.header.number === 0) return;
      hash = last.header.parentHash;
      number = last.header.number - 1;
      amount = Math.min(MAX_HEADERS, number + 1);
    }
  }

  private async fetch(hash: Uint8Array, number: number, amount: number, serverId: string): Promise<VerifiedHeader[]> {
    try {
      return await this.chain.fetchRun(hash, number, amount, { server: serverId });
    } catch {
      return this.chain.fetchRun(hash, number, amount);
    }
  }

  /** Adopts the agreed head, if there is one and it is new. */
  async evaluate(): Promise<AdoptResult | undefined> {
    const agreed = this.votes.agreed(this.connectedTrusted(), (from, ancestor) => this.chain.descends(from.hash, ancestor));
    if (agreed === undefined) return undefined;
    const header = await this.chain.localHeader(agreed.hash);
    if (header === undefined) return undefined;
    return this.chain.adopt(header);
  }
}
