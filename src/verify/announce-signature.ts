/**
 * Signed announces (announceType 2): the server's node key signs
 * keccak256(rlp([headHash, headNumber, headTd])) and the client checks the signer is the node
 * it is connected to.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type Announce, announceSigningPayload } from '../wire/announce.js';
import { equalBytes, requireBytes } from './bytes.js';
import { VerificationError } from './errors.js';
import { recoverPublicKey, signDigest } from './signature.js';

export type AnnouncedHead = Pick<Announce, 'headHash' | 'headNumber' | 'headTd'>;

/** 65 bytes [r ‖ s ‖ v], v = 0/1, as go-ethereum's crypto.Sign writes it. */
export function signAnnounce(privateKey: Uint8Array, head: AnnouncedHead): Uint8Array {
  return signDigest(privateKey, keccak256(announceSigningPayload(head)));
}

/** `nodeId` is the server's 64-byte public key (uncompressed, without the 0x04 prefix). */
export function verifyAnnounceSignature(announce: AnnouncedHead & { signature?: Uint8Array }, nodeId: Uint8Array): void {
  requireBytes(nodeId, 64, 'nodeId');
  if (announce.signature === undefined) throw new VerificationError('BAD_SIGNATURE', 'sign', 'announce is not signed');
  const signer = recoverPublicKey(keccak256(announceSigningPayload(announce)), announce.signature, 'sign');
  if (!equalBytes(signer, nodeId)) throw new VerificationError('BAD_SIGNATURE', 'sign', 'signed by another key than the node');
}
