/**
 * A synthetic beacon chain at any preset, for the devnet and for light-client tests: beacon block headers whose body
 * root commits to an execution payload header and whose state root commits to the finalized
 * checkpoint and the current and next sync committees (at the fork's gindices, other nodes zero),
 * and sync-committee signatures by deterministic keys (period p's member i has secret key
 * p·SIZE + i + 1, so keys are made by point additions and any aggregate signature by one scalar
 * multiplication). Built from the spec's definitions, it checks the verifier at the mainnet
 * preset, which the published minimal vectors cannot. Signing takes one hash-to-curve and one
 * scalar multiplication whatever the committee's size.
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { sha256 } from 'ethereum-cryptography/sha256.js';
import {
  type BeaconConfig,
  DOMAIN_SYNC_COMMITTEE,
  type ExecutionPayloadHeader,
  type LightClientBootstrap,
  type LightClientFinalityUpdate,
  type LightClientHeader,
  type LightClientOptimisticUpdate,
  type LightClientUpdate,
  type SyncCommittee,
  computeDomain,
  computeSigningRoot,
  epochAtSlot,
  forkAtEpoch,
  forkAtLeast,
  forkAtSlot,
  periodAtSlot,
  presetTypes,
} from '../../verify/beacon/index.js';
import { BeaconBlockHeaderType, DenebExecutionPayloadHeaderType } from '../../verify/beacon/types.js';

const DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';
const Z32 = new Uint8Array(32);
const G1 = bls12_381.G1.Point;

/** A sparse Merkle tree: given leaves at generalized indices, other nodes zero. */
function sparseTree(leaves: ReadonlyMap<number, Uint8Array>): { root: Uint8Array; branch: (gindex: number) => Uint8Array[] } {
  const nodes = new Map(leaves);
  let level = [...leaves.keys()];
  while (level.length > 0 && !(level.length === 1 && level[0] === 1)) {
    const parents = new Set<number>();
    const deepest = Math.max(...level.map((g) => Math.floor(Math.log2(g))));
    const next: number[] = [];
    for (const g of level) {
      if (Math.floor(Math.log2(g)) !== deepest) {
        next.push(g);
        continue;
      }
      const p = g >> 1;
      if (parents.has(p)) continue;
      parents.add(p);
      const l = nodes.get(2 * p) ?? Z32;
      const r = nodes.get(2 * p + 1) ?? Z32;
      const h = new Uint8Array(64);
      h.set(l);
      h.set(r, 32);
      nodes.set(p, sha256(h));
      next.push(p);
    }
    level = [...new Set(next)];
  }
  return {
    root: nodes.get(1) as Uint8Array,
    branch: (gindex) => {
      const out: Uint8Array[] = [];
      for (let g = gindex; g > 1; g >>= 1) out.push(nodes.get(g ^ 1) ?? Z32);
      return out;
    },
  };
}

/** How a signature is made: by whom, and under which fork version and domain type (the negative cases change these). */
export interface SignOptions {
  /** Which committee members sign (default all). */
  signers?: readonly boolean[];
  /** The fork version in the signing domain (default the one in force at signature_slot − 1). */
  forkVersion?: Uint8Array;
  /** The domain type (default DOMAIN_SYNC_COMMITTEE). */
  domainType?: Uint8Array;
}

interface Block {
  header: LightClientHeader;
  root: Uint8Array;
  stateTree: ReturnType<typeof sparseTree>;
  finalizedSlot: bigint | undefined;
}

export class SyntheticBeaconChain {
  readonly config: BeaconConfig;
  readonly #size: number;
  readonly #blocks = new Map<bigint, Block>();
  readonly #committees = new Map<bigint, SyncCommittee>();
  #parent: Uint8Array = Z32;

  constructor(config: BeaconConfig) {
    this.config = config;
    this.#size = config.preset.SYNC_COMMITTEE_SIZE;
  }

  /** Period p's committee (keys p·SIZE+1 … p·SIZE+SIZE). */
  committee(period: bigint): SyncCommittee {
    let c = this.#committees.get(period);
    if (c === undefined) {
      const first = period * BigInt(this.#size) + 1n;
      let p = G1.BASE.multiply(first);
      let agg = G1.ZERO;
      const pubkeys: Uint8Array[] = [];
      for (let i = 0; i < this.#size; i++, p = p.add(G1.BASE)) {
        pubkeys.push(p.toBytes(true));
        agg = agg.add(p);
      }
      c = { pubkeys, aggregate_pubkey: agg.toBytes(true) };
      this.#committees.set(period, c);
    }
    return c;
  }

  #gindices(slot: bigint) {
    const electra = forkAtLeast(forkAtSlot(this.config, slot).name, 'electra');
    return electra ? { finalized: 169, current: 86, next: 87 } : { finalized: 105, current: 54, next: 55 };
  }

  /** Adds the block at `slot` (slots ascending) on top of the previous one; `finalizedSlot` names an earlier block as its state's finalized checkpoint. */
  addBlock(slot: bigint, finalizedSlot?: bigint, exec: Partial<ExecutionPayloadHeader> = {}): LightClientHeader {
    const execution: ExecutionPayloadHeader = {
      parent_hash: Z32, fee_recipient: new Uint8Array(20), state_root: Z32, receipts_root: Z32, logs_bloom: new Uint8Array(256),
      prev_randao: Z32, block_number: slot, gas_limit: 30_000_000n, gas_used: 0n, timestamp: 1_700_000_000n + slot * 12n,
      extra_data: new Uint8Array(0), base_fee_per_gas: 7n, block_hash: sha256(Uint8Array.from(new TextEncoder().encode(`block ${slot}`))),
      transactions_root: Z32, withdrawals_root: Z32, blob_gas_used: 0n, excess_blob_gas: 0n, ...exec,
    };
    const body = sparseTree(new Map([[25, DenebExecutionPayloadHeaderType.merkleRoot(execution)]]));
    const g = this.#gindices(slot);
    const period = periodAtSlot(this.config, slot);
    const SC = presetTypes(this.config.preset).SyncCommittee;
    const finalizedRoot = finalizedSlot === undefined ? Z32 : (this.#blocks.get(finalizedSlot) as Block).root;
    const stateTree = sparseTree(
      new Map([
        [g.finalized, finalizedRoot],
        [g.current, SC.merkleRoot(this.committee(period))],
        [g.next, SC.merkleRoot(this.committee(period + 1n))],
      ]),
    );
    const beacon = { slot, proposer_index: 0n, parent_root: this.#parent, state_root: stateTree.root, body_root: body.root };
    const header: LightClientHeader = { beacon, execution, execution_branch: body.branch(25) };
    const root = BeaconBlockHeaderType.merkleRoot(beacon);
    this.#parent = root;
    this.#blocks.set(slot, { header, root, stateTree, finalizedSlot });
    return header;
  }

  root(slot: bigint): Uint8Array {
    return (this.#blocks.get(slot) as Block).root;
  }

  has(slot: bigint): boolean {
    return this.#blocks.has(slot);
  }

  /** Forgets a block no longer served (a long-running devnet stays bounded). */
  forget(slot: bigint): void {
    this.#blocks.delete(slot);
  }

  bootstrap(slot: bigint): LightClientBootstrap {
    const b = this.#blocks.get(slot) as Block;
    return {
      header: b.header,
      current_sync_committee: this.committee(periodAtSlot(this.config, slot)),
      current_sync_committee_branch: b.stateTree.branch(this.#gindices(slot).current),
    };
  }

  /** An update attested at `attested`, signed at `signatureSlot` by `signers` of that period's committee (default all). */
  update(attested: bigint, signatureSlot: bigint, sign: SignOptions | readonly boolean[] = {}): LightClientUpdate {
    const b = this.#blocks.get(attested) as Block;
    const g = this.#gindices(attested);
    const fin = b.finalizedSlot === undefined ? undefined : (this.#blocks.get(b.finalizedSlot) as Block);
    if (fin === undefined) throw new RangeError(`block ${attested} has no finalized checkpoint to prove`);
    return {
      attested_header: b.header,
      next_sync_committee: this.committee(periodAtSlot(this.config, attested) + 1n),
      next_sync_committee_branch: b.stateTree.branch(g.next),
      finalized_header: fin.header,
      finality_branch: b.stateTree.branch(g.finalized),
      sync_aggregate: this.#aggregate(b.root, signatureSlot, Array.isArray(sign) ? { signers: sign } : (sign as SignOptions)),
      signature_slot: signatureSlot,
    };
  }

  finalityUpdate(attested: bigint, signatureSlot: bigint, sign: SignOptions = {}): LightClientFinalityUpdate {
    const { next_sync_committee: _n, next_sync_committee_branch: _b, ...rest } = this.update(attested, signatureSlot, sign);
    return rest;
  }

  optimisticUpdate(attested: bigint, signatureSlot: bigint, sign: SignOptions = {}): LightClientOptimisticUpdate {
    const b = this.#blocks.get(attested) as Block;
    return { attested_header: b.header, sync_aggregate: this.#aggregate(b.root, signatureSlot, sign), signature_slot: signatureSlot };
  }

  #aggregate(attestedRoot: Uint8Array, signatureSlot: bigint, sign: SignOptions) {
    const bits = sign.signers ? [...sign.signers] : new Array<boolean>(this.#size).fill(true);
    const period = periodAtSlot(this.config, signatureSlot);
    const first = period * BigInt(this.#size) + 1n;
    const sk = bits.reduce((s, on, i) => (on ? s + first + BigInt(i) : s), 0n);
    const forkVersionSlot = (signatureSlot > 1n ? signatureSlot : 1n) - 1n;
    const version = sign.forkVersion ?? forkAtEpoch(this.config, epochAtSlot(this.config, forkVersionSlot)).version;
    const domain = computeDomain(sign.domainType ?? DOMAIN_SYNC_COMMITTEE, version, this.config.genesisValidatorsRoot);
    const message = computeSigningRoot(attestedRoot, domain);
    const sigs = bls12_381.longSignatures;
    if (sk === 0n) return { sync_committee_bits: bits, sync_committee_signature: bls12_381.G2.Point.ZERO.toBytes(true) };
    const skBytes = Uint8Array.from({ length: 32 }, (_, i) => Number((sk >> BigInt(8 * (31 - i))) & 0xffn));
    return { sync_committee_bits: bits, sync_committee_signature: sigs.sign(sigs.hash(message, DST), skBytes).toBytes(true) };
  }
}
