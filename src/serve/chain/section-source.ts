/**
 * What the section indexers (CHT, BloomBits) read from the chain: the canonical chain's hashes,
 * total difficulties and blooms by number. ChainStore implements it.
 */
export interface SectionSource {
  /** Highest canonical block number stored. */
  headNumber(): number;
  /** Canonical block n: hash, total difficulty and logsBloom (256 bytes). */
  canonicalEntry(n: number): Promise<{ hash: Uint8Array; td: bigint; logsBloom: Uint8Array } | undefined>;
}
