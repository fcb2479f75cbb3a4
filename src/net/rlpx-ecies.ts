/**
 * The initiator's side of the RLPx handshake (devp2p rlpx.md) in pure JavaScript, for carriers
 * where devp2p's Peer cannot run (it needs node:crypto): ECIES as RLPx uses it (secp256k1 ECDH,
 * NIST concat-KDF over SHA-256, AES-128-CTR, HMAC-SHA256), the EIP-8 auth message and the ack's
 * decryption, and the session secrets. Only the initiator: browsers dial, they do not listen.
 * The recipient stays devp2p's, on the server, so every handshake byte we produce is checked
 * by a second implementation.
 */
import { ctr } from '@noble/ciphers/aes.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { RLP } from '@ethereumjs/rlp';
import { FramingError } from './errors.js';

/** RLPx's auth-vsn / ack-vsn. */
const VERSION = 4;
/** Bytes of an ECIES envelope around the plaintext: R (65), IV (16), tag (32). */
const ECIES_OVERHEAD = 65 + 16 + 32;

/** The uncompressed secp256k1 point (0x04 prefix) of a 64-byte node id. */
export function idToPoint(id: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0x04), id);
}

/** The x coordinate of privateKey × point: RLPx's ECDH output. */
export function ecdhX(privateKey: Uint8Array, point: Uint8Array): Uint8Array {
  return secp256k1.getSharedSecret(privateKey, point, true).subarray(1);
}

function xor(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/** NIST SP 800-56 concatenation KDF with SHA-256, 32 bytes (one round), no other info. */
function kdf(secret: Uint8Array): Uint8Array {
  return sha256(concatBytes(Uint8Array.of(0, 0, 0, 1), secret));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

/** ECIES-encrypt `message` to `remotePoint`, authenticating `macData` (EIP-8's size prefix) too. */
export function eciesEncrypt(remotePoint: Uint8Array, message: Uint8Array, macData: Uint8Array): Uint8Array {
  const r = secp256k1.utils.randomSecretKey();
  const key = kdf(ecdhX(r, remotePoint));
  const ekey = key.subarray(0, 16);
  const mkey = sha256(key.subarray(16, 32));
  const iv = randomBytes(16);
  const c = ctr(ekey, iv).encrypt(message);
  const tag = hmac(sha256, mkey, concatBytes(iv, c, macData));
  return concatBytes(secp256k1.getPublicKey(r, false), iv, c, tag);
}

/** The reverse of eciesEncrypt under our `privateKey`; throws HandshakeError on a bad tag or shape. */
export function eciesDecrypt(privateKey: Uint8Array, data: Uint8Array, macData: Uint8Array): Uint8Array {
  if (data.length < ECIES_OVERHEAD || data[0] !== 0x04) throw new FramingError('BAD_ACK', `RLPx ack: ${data.length} bytes are no ECIES message`);
  let shared: Uint8Array;
  try {
    shared = ecdhX(privateKey, data.subarray(0, 65));
  } catch {
    throw new FramingError('BAD_ACK', 'RLPx ack: its ephemeral key is not on secp256k1');
  }
  const key = kdf(shared);
  const mkey = sha256(key.subarray(16, 32));
  const iv = data.subarray(65, 81);
  const c = data.subarray(81, data.length - 32);
  const tag = data.subarray(data.length - 32);
  if (!constantTimeEqual(hmac(sha256, mkey, concatBytes(iv, c, macData)), tag)) {
    throw new FramingError('BAD_ACK', 'RLPx ack: MAC mismatch (not from the node we dialed)');
  }
  return ctr(key.subarray(0, 16), iv).decrypt(c);
}

export interface AuthState {
  privateKey: Uint8Array;
  ephemeralKey: Uint8Array;
  nonce: Uint8Array;
  remotePoint: Uint8Array;
  /** The auth packet as sent (size prefix included): the egress MAC starts from it. */
  packet: Uint8Array;
}

/** Our EIP-8 auth packet to the node `remoteId`, signed with a fresh ephemeral key. */
export function makeAuth(privateKey: Uint8Array, remoteId: Uint8Array): AuthState {
  const remotePoint = idToPoint(remoteId);
  const ephemeralKey = secp256k1.utils.randomSecretKey();
  const nonce = randomBytes(32);
  const staticShared = ecdhX(privateKey, remotePoint);
  // rlpx.md: sig = sign(ephemeral-privk, static-shared-secret ^ nonce), as r || s || v.
  const rec = secp256k1.sign(xor(staticShared, nonce), ephemeralKey, { prehash: false, format: 'recovered' });
  const sig = concatBytes(rec.subarray(1), rec.subarray(0, 1));
  const ourId = secp256k1.getPublicKey(privateKey, false).subarray(1);
  // EIP-8: random padding, at least 100 bytes, so the packet size says nothing.
  const body = concatBytes(RLP.encode([sig, ourId, nonce, VERSION]), randomBytes(100 + (randomBytes(1)[0] as number)));
  const size = body.length + ECIES_OVERHEAD;
  const prefix = Uint8Array.of(size >> 8, size & 0xff);
  const packet = concatBytes(prefix, eciesEncrypt(remotePoint, body, prefix));
  return { privateKey, ephemeralKey, nonce, remotePoint, packet };
}

export interface Secrets {
  aesSecret: Uint8Array;
  macSecret: Uint8Array;
  /** keccak256 states, fed as rlpx.md says (egress from our auth, ingress from their ack). */
  egressMac: ReturnType<typeof keccak_256.create>;
  ingressMac: ReturnType<typeof keccak_256.create>;
}

/** Read the recipient's EIP-8 ack packet (prefix included) and derive the session secrets. */
export function readAck(auth: AuthState, ackPacket: Uint8Array): Secrets {
  const prefix = ackPacket.subarray(0, 2);
  const body = eciesDecrypt(auth.privateKey, ackPacket.subarray(2), prefix);
  let fields: unknown;
  try {
    // EIP-8: list elements after the known ones, and bytes after the list, are ignored.
    fields = RLP.decode(body, true).data;
  } catch {
    throw new FramingError('BAD_ACK', 'RLPx ack: body is not RLP');
  }
  if (!Array.isArray(fields) || !(fields[0] instanceof Uint8Array) || fields[0].length !== 64 || !(fields[1] instanceof Uint8Array) || fields[1].length !== 32) {
    throw new FramingError('BAD_ACK', 'RLPx ack: expected [ephemeral key (64), nonce (32), version]');
  }
  const remoteEphemeral = idToPoint(fields[0]);
  const remoteNonce = fields[1];
  let ephemeralShared: Uint8Array;
  try {
    ephemeralShared = ecdhX(auth.ephemeralKey, remoteEphemeral);
  } catch {
    throw new FramingError('BAD_ACK', 'RLPx ack: ephemeral key is not on secp256k1');
  }
  const sharedSecret = keccak_256(concatBytes(ephemeralShared, keccak_256(concatBytes(remoteNonce, auth.nonce))));
  const aesSecret = keccak_256(concatBytes(ephemeralShared, sharedSecret));
  const macSecret = keccak_256(concatBytes(ephemeralShared, aesSecret));
  const egressMac = keccak_256.create().update(concatBytes(xor(macSecret, remoteNonce), auth.packet));
  const ingressMac = keccak_256.create().update(concatBytes(xor(macSecret, auth.nonce), ackPacket));
  return { aesSecret, macSecret, egressMac, ingressMac };
}
