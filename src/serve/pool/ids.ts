/**
 * Client identities and address groups of the client pool.
 *
 * A client is known by its node ID as the reference server's `les_*` API names it: the 32-byte
 * keccak256 of the 64-byte public key (go-ethereum's enode.ID, "v4" identity scheme), written as
 * 64 lowercase hex digits without 0x (the keys of les_clientInfo's map). Inputs may carry 0x and
 * may also be the 128-hex public key itself (an enode's id part), which is hashed.
 *
 * Negative balances are kept per IP address; anti-DoS groups are the IPv4 /24 or IPv6 /64 the
 * address lies in (an IPv4-mapped IPv6 address counts as IPv4).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { PoolError } from './errors.js';

const ID_HEX = /^[0-9a-f]{64}$/;
const PUBKEY_HEX = /^[0-9a-f]{128}$/;

/** The 32-byte client ID (64 hex digits) of a peer whose node id (public key) is 128 hex digits. */
export function clientIdOf(publicKeyHex: string): string {
  return Buffer.from(keccak256(Buffer.from(publicKeyHex, 'hex'))).toString('hex');
}

/** Parses a client ID: 64 hex digits (or a 128-hex public key), optionally 0x-prefixed. Throws POOL_BAD_PARAM naming `field`. */
export function parseClientId(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new PoolError('POOL_BAD_PARAM', `${field}: expected a hex node ID string`, { field });
  const hex = (value.startsWith('0x') || value.startsWith('0X') ? value.slice(2) : value).toLowerCase();
  if (ID_HEX.test(hex)) return hex;
  if (PUBKEY_HEX.test(hex)) return clientIdOf(hex);
  throw new PoolError('POOL_BAD_PARAM', `${field}: expected a node ID of 64 hex digits (or a 128-hex public key)`, { field });
}

/** The address without an IPv4-mapped prefix. */
export function plainAddress(host: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  return m?.[1] ?? host;
}

/** The /24 (IPv4) or /64 (IPv6) subnet of an address, as text; the address itself when it is neither. */
export function addressGroup(host: string): string {
  const ip = plainAddress(host);
  if (isIPv4(ip)) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  if (isIPv6(ip)) return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
  return ip;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros. */
function expandIPv6(ip: string): string[] {
  const noZone = ip.split('%')[0] as string;
  let text = noZone;
  // A trailing dotted quad (::1.2.3.4) is two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad !== null) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16));
}
