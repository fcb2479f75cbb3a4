/**
 * The sync committee's signature: the signing domain (fork version and genesis validators root)
 * and FastAggregateVerify over BLS12-381 (@noble/curves, pure JS; keys in G1, signatures in G2,
 * hashed to G2 with the proof-of-possession suite Ethereum uses).
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { concatBytes } from '../../bytes.js';
import { ForkDataType, SigningDataType } from './types.js';

export const DOMAIN_SYNC_COMMITTEE = Uint8Array.of(7, 0, 0, 0);
const DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';

export const computeForkDataRoot = (version: Uint8Array, genesisValidatorsRoot: Uint8Array): Uint8Array =>
  ForkDataType.merkleRoot({ current_version: version, genesis_validators_root: genesisValidatorsRoot });

export const computeForkDigest = (version: Uint8Array, genesisValidatorsRoot: Uint8Array): Uint8Array =>
  computeForkDataRoot(version, genesisValidatorsRoot).slice(0, 4);

export const computeDomain = (domainType: Uint8Array, version: Uint8Array, genesisValidatorsRoot: Uint8Array): Uint8Array =>
  concatBytes(domainType, computeForkDataRoot(version, genesisValidatorsRoot).slice(0, 28));

export const computeSigningRoot = (objectRoot: Uint8Array, domain: Uint8Array): Uint8Array =>
  SigningDataType.merkleRoot({ object_root: objectRoot, domain });

type G1Point = ReturnType<typeof bls12_381.G1.Point.fromBytes>;

/**
 * A committee's public keys, decompressed (with the subgroup check) on first use and kept: about
 * 1.2 ms a key here, so a 512-key committee is paid for once per period, not once per update.
 */
export class CommitteeKeys {
  readonly #pubkeys: readonly Uint8Array[];
  readonly #points: Array<G1Point | null | undefined>;

  constructor(pubkeys: readonly Uint8Array[]) {
    this.#pubkeys = pubkeys;
    this.#points = new Array<G1Point | null | undefined>(pubkeys.length);
  }

  /** The key at `i`, or null when its bytes are not a valid key (KeyValidate: on the curve, in G1, not the identity). */
  point(i: number): G1Point | null {
    let p = this.#points[i];
    if (p === undefined) {
      try {
        p = bls12_381.G1.Point.fromBytes(this.#pubkeys[i] as Uint8Array);
        if (p.is0()) p = null;
      } catch {
        p = null;
      }
      this.#points[i] = p;
    }
    return p;
  }
}

/** FastAggregateVerify of the participants (`bits`) of `keys` over `message`. False on any invalid key or signature. */
export function fastAggregateVerify(keys: CommitteeKeys, bits: readonly boolean[], message: Uint8Array, signature: Uint8Array): boolean {
  let agg: G1Point | undefined;
  for (let i = 0; i < bits.length; i++) {
    if (!bits[i]) continue;
    const p = keys.point(i);
    if (p === null) return false;
    agg = agg === undefined ? p : agg.add(p);
  }
  if (agg === undefined || agg.is0()) return false;
  try {
    const sig = bls12_381.longSignatures.Signature.fromBytes(signature);
    return bls12_381.longSignatures.verify(sig, bls12_381.longSignatures.hash(message, DST), agg);
  } catch {
    return false;
  }
}
