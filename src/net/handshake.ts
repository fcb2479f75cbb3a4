/**
 * The Status checks of the LES handshake, as pure functions. Both sides send Status first; the
 * remote one must speak the agreed version, be on our network and genesis, carry a forkID on
 * les/4, and, when we are the client, be a server (announce the flow-control keys). Its forkID
 * is validated by EIP-2124's rules when the caller gives a fork filter (the net layer has no fork
 * schedule of its own; config/forkid.ts has the rules).
 */
import { bytesToHex, equalBytes } from './bytes.js';
import type { ForkFilter } from '../config/forkid.js';
import type { LesVersion } from '../wire/codes.js';
import type { Status } from '../wire/status.js';
import { HandshakeError } from './errors.js';

export type Role = 'server' | 'client';

/** Our Status as sent on a connection of `version`: the version written in, checked for shape. */
export function localStatusFor(status: Status, version: LesVersion, role: Role): Status {
  const out: Status = { ...status, protocolVersion: version };
  if (version >= 4 && out.forkID === undefined) {
    throw new HandshakeError('LOCAL_STATUS', 'our Status lacks forkID, mandatory on les/4', { field: 'forkID' });
  }
  if (role === 'server') {
    for (const [field, key] of FLOW_CONTROL_KEYS) {
      if (out[field] === undefined) {
        throw new HandshakeError('LOCAL_STATUS', `our server Status lacks ${key}`, { field: key });
      }
    }
  }
  return out;
}

const FLOW_CONTROL_KEYS = [
  ['flowControlBL', 'flowControl/BL'],
  ['flowControlMRR', 'flowControl/MRR'],
  ['flowControlMRC', 'flowControl/MRC'],
] as const;

/**
 * Throws HandshakeError (code and Status key) unless `remote` may talk to `local` on `version`;
 * with `forkFilter`, also unless the remote forkID passes it (FORKID_REJECTED).
 */
export function checkRemoteStatus(local: Status, remote: Status, version: LesVersion, role: Role, forkFilter?: ForkFilter): void {
  if (remote.protocolVersion !== version) {
    throw new HandshakeError(
      'VERSION_MISMATCH',
      `remote Status says protocolVersion ${remote.protocolVersion}, the connection is les/${version}`,
      { field: 'protocolVersion' },
    );
  }
  // Messages read remote first ("networkId 31337 ≠ 1"): what the other side is, then what we expected.
  if (remote.networkId !== local.networkId) {
    throw new HandshakeError('NETWORK_MISMATCH', `networkId ${remote.networkId} ≠ ${local.networkId}`, {
      field: 'networkId',
      remote: remote.networkId,
      local: local.networkId,
    });
  }
  if (!equalBytes(remote.genesisHash, local.genesisHash)) {
    const [theirs, ours] = [hex0x(remote.genesisHash), hex0x(local.genesisHash)];
    throw new HandshakeError('GENESIS_MISMATCH', `genesis differs (theirs ${theirs}, ours ${ours})`, { field: 'genesisHash', remote: theirs, local: ours });
  }
  if (version >= 4 && remote.forkID === undefined) {
    throw new HandshakeError('MISSING_FORKID', 'remote Status lacks forkID, mandatory on les/4', { field: 'forkID' });
  }
  const rejected = remote.forkID === undefined ? undefined : forkFilter?.(remote.forkID);
  if (rejected !== undefined) {
    const kind = rejected.code === 'REMOTE_STALE' ? 'remote needs update' : 'local incompatible or needs update';
    throw new HandshakeError('FORKID_REJECTED', `forkID rejected, ${kind}: ${rejected.reason}`, { field: 'forkID' });
  }
  if (role === 'client') {
    for (const [field, key] of FLOW_CONTROL_KEYS) {
      if (remote[field] === undefined) {
        throw new HandshakeError('NOT_A_SERVER', `remote Status lacks ${key}: not an LES server`, { field: key });
      }
    }
  }
}

const hex0x = (b: Uint8Array): string => `0x${bytesToHex(b)}`;
