export interface SectionSource {
  /** Highest canonical block number stored. */
  headNumber(): number;
  /** Canonical block n: hash, total difficulty and logsBloom (256 bytes). */
  canonicalEntry(n: number): Promise<{ hash: Uint8Array; td: bigint; logsBloom: Uint8Array } | undefined>;
}
