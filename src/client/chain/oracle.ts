/**
 * The checkpoint oracle as a trust anchor: its latest signed checkpoint is read from verified
 * chain data only, then its contents are taken from any server and trusted once they hash to it.
 *
 * Assumed layout (go-ethereum's CheckpointOracle contract, `REFERENCE_ORACLE_LAYOUT`):
 *   storage slot 0 admins (mapping), 1 adminList, 2 sectionIndex (uint64, alone in its slot),
 *   3 height (the block that registered it), 4 hash (the checkpoint hash) — read with storage
 *   proofs against the trusted head's stateRoot;
 *   signatures: the contract keeps none in storage; each accepted vote emits
 *   NewCheckpointVote(uint64 indexed index, bytes32 checkpointHash, uint8 v, bytes32 r, bytes32 s)
 *   in the registering block, read from that block's verified receipts (receiptsRoot) — the block
 *   itself is the canonical header at `height`.
 * The layout is a parameter, so another contract (or a test one) can be described the same way.
 * A checkpoint is accepted only with ≥ threshold distinct configured signers (verifyOracleSignatures,
 * EIP-191 digest over oracle address, index and hash).
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { HeaderChainView, Odr, TrustedSection, VerifiedHeader } from '../contracts.js';
import type { CheckpointOracle } from '../../config/network.js';
import { concatBytes, equalBytes, uintBE } from '../../verify/bytes.js';
import { checkpointHash, verifyOracleSignatures } from '../../verify/checkpoint.js';
import { HelperTrieType } from '../../wire/helper-trie.js';
import { servesSection } from '../odr/common.js';
import { chtHeaderKind, sectionEnd, trieRootKind } from '../odr/helper-tries.js';
import { ChainError } from './errors.js';
import type { HeaderChain } from './header-chain.js';

export interface OracleLayout {
  indexSlot: bigint;
  heightSlot: bigint;
  hashSlot: bigint;
  /** topic0 of the vote event; topic1 is the index, data = hash ‖ v ‖ r ‖ s (32 bytes each). */
  voteTopic: Uint8Array;
}

export const REFERENCE_ORACLE_LAYOUT: OracleLayout = {
  indexSlot: 2n,
  heightSlot: 3n,
  hashSlot: 4n,
  voteTopic: keccak256(new TextEncoder().encode('NewCheckpointVote(uint64,bytes32,uint8,bytes32,bytes32)')),
};

export interface OracleCheckpoint {
  index: number;
  /** Block that registered it (where the votes are). */
  height: number;
  hash: Uint8Array;
  signatures: Uint8Array[];
  /** The distinct trusted signers found. */
  signers: Uint8Array[];
}

const U64 = (1n << 64n) - 1n;

/** Reads and checks the oracle's latest checkpoint at the trusted header `at`. */
export async function readOracleCheckpoint(
  odr: Pick<Odr, 'storage' | 'receipts'>,
  chain: Pick<HeaderChainView, 'headerByNumber'>,
  oracle: CheckpointOracle,
  at: VerifiedHeader,
  layout: OracleLayout = REFERENCE_ORACLE_LAYOUT,
): Promise<OracleCheckpoint> {
  const slot = (s: bigint) => uintBE(s, 32);
  const [rawIndex, rawHeight, rawHash] = await Promise.all([
    odr.storage(at, oracle.address, slot(layout.indexSlot)),
    odr.storage(at, oracle.address, slot(layout.heightSlot)),
    odr.storage(at, oracle.address, slot(layout.hashSlot)),
  ]);
  if (rawHash === 0n) throw new ChainError('ORACLE_EMPTY', 'oracle.hash', 'the oracle has no checkpoint');
  const index = rawIndex & U64;
  if (index > BigInt(Number.MAX_SAFE_INTEGER) || rawHeight > BigInt(at.header.number)) {
    throw new ChainError('ORACLE_EMPTY', 'oracle', `index ${index} / height ${rawHeight} out of range at block ${at.header.number}`);
  }
  const hash = uintBE(rawHash, 32);
  const height = Number(rawHeight);
  const receipts = await odr.receipts(await chain.headerByNumber(height));
  const indexTopic = uintBE(index, 32);
  const signatures: Uint8Array[] = [];
  for (const log of receipts.flatMap((r) => r.logs)) {
    const [t0, t1] = log.topics;
    if (!equalBytes(log.address, oracle.address) || t0 === undefined || t1 === undefined) continue;
    if (!equalBytes(t0, layout.voteTopic) || !equalBytes(t1, indexTopic) || log.data.length !== 128) continue;
    if (!equalBytes(log.data.subarray(0, 32), hash)) continue;
    const v = log.data.subarray(32, 64);
    if (v.subarray(0, 31).some((b) => b !== 0)) continue;
    signatures.push(concatBytes(log.data.subarray(64, 96), log.data.subarray(96, 128), v.subarray(31)));
  }
  const signers = verifyOracleSignatures(oracle.address, Number(index), hash, signatures, oracle.signers, oracle.threshold);
  return { index: Number(index), height, hash, signatures, signers };
}

/** Whether checkpoint contents hash to the oracle's signed hash. */
export function matchesOracle(
  reading: Pick<OracleCheckpoint, 'index' | 'hash'>,
  contents: { sectionHead: Uint8Array; chtRoot: Uint8Array; bloomTrieRoot: Uint8Array },
): boolean {
  return equalBytes(checkpointHash({ sectionIndex: reading.index, ...contents }), reading.hash);
}

/**
 * Reads the oracle at the trusted head and, when its checkpoint is newer than the chain's latest
 * section, asks servers one by one for the section's roots and head (CHT entry of its last block)
 * until the contents hash to the signed checkpoint; then trusts that section.
 */
export async function trustOracleCheckpoint(
  chain: HeaderChain,
  odr: Pick<Odr, 'storage' | 'receipts'>,
  layout: OracleLayout = REFERENCE_ORACLE_LAYOUT,
): Promise<TrustedSection | undefined> {
  const oracle = chain.config.checkpointOracle;
  if (oracle === undefined) return undefined;
  const reading = await readOracleCheckpoint(odr, chain, oracle, chain.head(), layout);
  const latest = chain.latestSection();
  if (latest !== undefined && latest.index >= reading.index) return undefined;
  const size = chain.sectionSize;
  const { index } = reading;
  for (const server of chain.retriever.servers().filter((s) => servesSection(s, index, size))) {
    const section = await contentsFrom(chain, index, server.id).catch(() => undefined);
    if (section === undefined || !matchesOracle(reading, section)) continue;
    // A signed checkpoint that contradicts the linked chain is refused here (ANCHOR_MISMATCH).
    await chain.acceptSection(section);
    return section;
  }
  throw new ChainError('ORACLE_CONTENTS', 'oracle', `no server gave contents of checkpoint ${index} that hash to the signed one`);
}

/** One server's claim of section `index`: its CHT and BloomTrie roots, and the head its CHT proves. */
async function contentsFrom(chain: HeaderChain, index: number, server: string): Promise<TrustedSection> {
  const size = chain.sectionSize;
  const opts = { server };
  const [chtRoot, bloomTrieRoot] = await Promise.all([
    chain.retriever.retrieve(trieRootKind, { subType: HelperTrieType.CHT, sectionIndex: index, sectionSize: size }, opts),
    chain.retriever.retrieve(trieRootKind, { subType: HelperTrieType.BloomBits, sectionIndex: index, sectionSize: size }, opts),
  ]);
  const section: TrustedSection = { index, sectionHead: new Uint8Array(32), chtRoot, bloomTrieRoot };
  const head = await chain.retriever.retrieve(chtHeaderKind, { section, sectionSize: size, number: sectionEnd(index, size) }, opts);
  return { ...section, sectionHead: head.hash };
}
