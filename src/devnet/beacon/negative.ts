/**
 * Light-client data a verifier must refuse, made from the devnet beacon chain's own blocks: each
 * case differs from an honest update in one thing only, so a test that sees it refused knows which
 * check refused it.
 */
import type { LightClientFinalityUpdate, LightClientOptimisticUpdate, LightClientUpdate } from '../../verify/beacon/index.js';
import type { SignOptions, SyntheticBeaconChain } from './chain.js';

export const NEGATIVE_CASES = ['too-few-signers', 'wrong-fork-version', 'wrong-domain', 'tampered-execution-branch', 'tampered-block-hash'] as const;
export type NegativeCase = (typeof NEGATIVE_CASES)[number];

/** The BeaconError code the verifier answers each case with. */
export const NEGATIVE_CASE_CODE: Readonly<Record<NegativeCase, string>> = {
  'too-few-signers': 'TOO_FEW_SIGNERS',
  'wrong-fork-version': 'BAD_SIGNATURE',
  'wrong-domain': 'BAD_SIGNATURE',
  'tampered-execution-branch': 'BAD_BRANCH',
  'tampered-block-hash': 'BAD_BRANCH',
};

export interface NegativeUpdates {
  update: LightClientUpdate;
  finality: LightClientFinalityUpdate;
  optimistic: LightClientOptimisticUpdate;
}

const flipped = (b: Uint8Array): Uint8Array => {
  const out = b.slice();
  out[0] = (out[0] as number) ^ 0xff;
  return out;
};

function signOptions(chain: SyntheticBeaconChain, which: NegativeCase): SignOptions {
  const size = chain.config.preset.SYNC_COMMITTEE_SIZE;
  switch (which) {
    case 'too-few-signers':
      return { signers: new Array<boolean>(size).fill(false) };
    case 'wrong-fork-version':
      return { forkVersion: Uint8Array.of(0xde, 0xad, 0xbe, 0xef) };
    case 'wrong-domain':
      // DOMAIN_BEACON_ATTESTER: a real domain, not the sync committee's.
      return { domainType: Uint8Array.of(1, 0, 0, 0) };
    default:
      return {};
  }
}

/** The update, finality and optimistic update of block `attested` signed at `signatureSlot`, spoiled as `which` says. */
export function negativeUpdates(chain: SyntheticBeaconChain, which: NegativeCase, attested: bigint, signatureSlot: bigint): NegativeUpdates {
  const sign = signOptions(chain, which);
  const update = chain.update(attested, signatureSlot, sign);
  const optimistic = chain.optimisticUpdate(attested, signatureSlot, sign);
  if (which === 'tampered-execution-branch' || which === 'tampered-block-hash') {
    const h = update.attested_header;
    const header =
      which === 'tampered-block-hash'
        ? { ...h, execution: { ...h.execution, block_hash: flipped(h.execution.block_hash) } }
        : { ...h, execution_branch: h.execution_branch.map((n, i) => (i === 0 ? flipped(n) : n)) };
    update.attested_header = header;
    optimistic.attested_header = header;
  }
  const { next_sync_committee: _n, next_sync_committee_branch: _b, ...finality } = update;
  return { update, finality, optimistic };
}
