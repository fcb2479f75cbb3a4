/** LightClientHeader checks and roots: is_valid_light_client_header, get_lc_execution_root, hash_tree_root of the beacon header. */
import { type BeaconConfig, epochAtSlot, forkAtLeast, forkAtSlot } from './config.js';
import { BeaconError } from './errors.js';
import { isValidMerkleBranch, isZero, isZeroBranch } from './merkle.js';
import {
  BeaconBlockHeaderType,
  CapellaExecutionPayloadHeaderType,
  DenebExecutionPayloadHeaderType,
  EXECUTION_PAYLOAD_GINDEX,
  type LightClientHeader,
  floorlog2,
} from './types.js';

export const beaconRoot = (header: LightClientHeader): Uint8Array => BeaconBlockHeaderType.merkleRoot(header.beacon);

/** get_lc_execution_root: the root of the execution payload header in the form of the header's own fork. */
export function executionRoot(config: BeaconConfig, header: LightClientHeader): Uint8Array {
  const fork = forkAtSlot(config, header.beacon.slot).name;
  if (forkAtLeast(fork, 'deneb')) return DenebExecutionPayloadHeaderType.merkleRoot(header.execution);
  if (forkAtLeast(fork, 'capella')) {
    const { blob_gas_used: _b, excess_blob_gas: _e, ...capella } = header.execution;
    return CapellaExecutionPayloadHeaderType.merkleRoot(capella);
  }
  throw new BeaconError('UNSUPPORTED_FORK', 'beacon.slot', `slot ${header.beacon.slot} (epoch ${epochAtSlot(config, header.beacon.slot)}) is before capella`);
}

/** is_valid_light_client_header, as an assertion naming the header (`field`) at fault. */
export function assertValidHeader(config: BeaconConfig, header: LightClientHeader, field: string): void {
  const fork = forkAtSlot(config, header.beacon.slot).name;
  if (!forkAtLeast(fork, 'capella')) {
    throw new BeaconError('UNSUPPORTED_FORK', `${field}.beacon.slot`, `${fork} header: no execution payload to anchor to`);
  }
  if (!forkAtLeast(fork, 'deneb') && (header.execution.blob_gas_used !== 0n || header.execution.excess_blob_gas !== 0n)) {
    throw new BeaconError('FIELD_MISMATCH', `${field}.execution`, 'blob gas in a header before deneb');
  }
  const depth = floorlog2(EXECUTION_PAYLOAD_GINDEX);
  const index = EXECUTION_PAYLOAD_GINDEX % 2 ** depth;
  if (!isValidMerkleBranch(executionRoot(config, header), header.execution_branch, depth, index, header.beacon.body_root)) {
    throw new BeaconError('BAD_BRANCH', `${field}.execution_branch`, 'the execution payload header is not in the block body');
  }
}

/** Whether `header` is the default LightClientHeader() (all zero), which stands for "absent". */
export function isDefaultHeader(header: LightClientHeader): boolean {
  const b = header.beacon;
  const e = header.execution;
  if (b.slot !== 0n || b.proposer_index !== 0n || !isZero(b.parent_root) || !isZero(b.state_root) || !isZero(b.body_root)) return false;
  if (e.block_number !== 0n || e.gas_limit !== 0n || e.gas_used !== 0n || e.timestamp !== 0n || e.base_fee_per_gas !== 0n) return false;
  if (e.blob_gas_used !== 0n || e.excess_blob_gas !== 0n || e.extra_data.length !== 0) return false;
  for (const k of ['parent_hash', 'fee_recipient', 'state_root', 'receipts_root', 'logs_bloom', 'prev_randao', 'block_hash', 'transactions_root', 'withdrawals_root'] as const) {
    if (!isZero(e[k])) return false;
  }
  return isZeroBranch(header.execution_branch);
}

/** The default LightClientHeader(): what a finality-less update carries as its finalized header. */
export function defaultHeader(): LightClientHeader {
  const z = (n: number) => new Uint8Array(n);
  return {
    beacon: { slot: 0n, proposer_index: 0n, parent_root: z(32), state_root: z(32), body_root: z(32) },
    execution: {
      parent_hash: z(32), fee_recipient: z(20), state_root: z(32), receipts_root: z(32), logs_bloom: z(256), prev_randao: z(32),
      block_number: 0n, gas_limit: 0n, gas_used: 0n, timestamp: 0n, extra_data: z(0), base_fee_per_gas: 0n,
      block_hash: z(32), transactions_root: z(32), withdrawals_root: z(32), blob_gas_used: 0n, excess_blob_gas: 0n,
    },
    execution_branch: Array.from({ length: floorlog2(EXECUTION_PAYLOAD_GINDEX) }, () => z(32)),
  };
}
