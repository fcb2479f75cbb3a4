/**
 * enode URLs: `enode://<128 hex node id>@<ip>:<tcp port>[?discport=<udp port>]`.
 * `?transport=ws` (or `wss`) names an LES server's WebSocket listener instead of its TCP one: the
 * same RLPx session runs over the WebSocket's byte stream (ws-carrier.ts), so the node id still
 * authenticates the server.
 * The node id is the uncompressed secp256k1 public key without its 0x04 prefix. IPv6 hosts are
 * written in brackets, as go-ethereum writes them. A DNS host name (`localhost`, `les.example.org`)
 * is accepted as go-ethereum accepts it, and kept as written: it is resolved when dialed
 * (resolve.ts), so a name that moves to another address is followed.
 */
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { bytesToHex, hexToBytes } from './bytes.js';
import { EnodeError } from './errors.js';
import { isIPv4, isIPv6 } from './ip.js';

export interface Enode {
  /** 64 bytes: the public key without the 0x04 prefix. */
  id: Uint8Array;
  host: string;
  port: number;
  /** UDP discovery port, when it differs from `port`. */
  discport?: number;
  /** The carrier at host:port when it is not RLPx's TCP: a WebSocket, plain or over TLS. */
  transport?: 'ws' | 'wss';
}

const SCHEME = 'enode://';
const NODE_ID_HEX = /^[0-9a-fA-F]{128}$/;
const DECIMAL = /^[0-9]{1,5}$/;

function parsePort(text: string, field: string): number {
  if (!DECIMAL.test(text)) throw new EnodeError(field, `"${text}" is not a decimal port`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new EnodeError(field, `${port} is outside 1..65535`);
  return port;
}

/** Throws EnodeError (field `nodeId`) unless `id` is 64 bytes naming a point on secp256k1. */
export function checkNodeId(id: Uint8Array): void {
  if (!(id instanceof Uint8Array) || id.length !== 64) {
    throw new EnodeError('nodeId', 'expected 64 bytes');
  }
  const uncompressed = new Uint8Array(65);
  uncompressed[0] = 0x04;
  uncompressed.set(id, 1);
  try {
    secp256k1.ProjectivePoint.fromHex(uncompressed).assertValidity();
  } catch (cause) {
    throw new EnodeError('nodeId', `not a secp256k1 public key (${(cause as Error).message})`);
  }
}

/** Parse a node id given as 128 hex digits (optionally 0x-prefixed). */
export function parseNodeId(text: string): Uint8Array {
  return nodeIdFromHex(typeof text === 'string' && text.startsWith('0x') ? text.slice(2) : text);
}

function nodeIdFromHex(hex: string): Uint8Array {
  if (typeof hex !== 'string' || !NODE_ID_HEX.test(hex)) throw new EnodeError('nodeId', 'expected 128 hex digits');
  const id = hexToBytes(hex);
  checkNodeId(id);
  return id;
}

function parseHost(text: string): string {
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new EnodeError('host', 'unterminated IPv6 bracket');
    const ip = text.slice(1, -1);
    if (!isIPv6(ip)) throw new EnodeError('host', `"${ip}" is not an IPv6 address`);
    return ip;
  }
  if (isIPv4(text)) return text;
  if (isHostName(text)) return text.toLowerCase();
  throw new EnodeError('host', `"${text}" is neither an IPv4 address nor a host name (IPv6 goes in brackets)`);
}

/** RFC 1123 host name syntax; the last label not all digits, so a bad dotted quad is no name. */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
function isHostName(text: string): boolean {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return labels.every((l) => LABEL.test(l)) && !/^[0-9]+$/.test(labels[labels.length - 1] as string);
}

export function parseEnode(url: string): Enode {
  if (typeof url !== 'string') throw new EnodeError('url', 'not a string');
  if (!url.toLowerCase().startsWith(SCHEME)) throw new EnodeError('scheme', `must start with ${SCHEME}`);
  const rest = url.slice(SCHEME.length);
  const at = rest.indexOf('@');
  if (at < 0) throw new EnodeError('host', 'missing "@<ip>:<port>"');
  const id = nodeIdFromHex(rest.slice(0, at));

  const afterAt = rest.slice(at + 1);
  const q = afterAt.indexOf('?');
  const hostPort = q < 0 ? afterAt : afterAt.slice(0, q);
  const query = q < 0 ? undefined : afterAt.slice(q + 1);

  const colon = hostPort.lastIndexOf(':');
  if (colon < 0 || (hostPort.startsWith('[') && colon < hostPort.lastIndexOf(']'))) {
    throw new EnodeError('port', 'missing ":<port>"');
  }
  const host = parseHost(hostPort.slice(0, colon));
  const port = parsePort(hostPort.slice(colon + 1), 'port');

  const out: Enode = { id, host, port };
  if (query !== undefined) {
    const params = query.split('&');
    for (const param of params) {
      const eq = param.indexOf('=');
      const key = eq < 0 ? param : param.slice(0, eq);
      if (key === 'transport') {
        const value = eq < 0 ? '' : param.slice(eq + 1);
        if (out.transport !== undefined) throw new EnodeError('transport', 'given twice');
        if (value !== 'ws' && value !== 'wss') throw new EnodeError('transport', `"${value}" is not ws or wss`);
        out.transport = value;
        continue;
      }
      if (key !== 'discport') throw new EnodeError('query', `unknown parameter "${key}"`);
      if (out.discport !== undefined) throw new EnodeError('discport', 'given twice');
      out.discport = parsePort(eq < 0 ? '' : param.slice(eq + 1), 'discport');
    }
  }
  return out;
}

export function formatEnode(node: Enode): string {
  checkNodeId(node.id);
  const isV6 = isIPv6(node.host);
  if (!isV6 && !isIPv4(node.host) && !isHostName(node.host)) throw new EnodeError('host', `"${node.host}" is neither an IP address nor a host name`);
  parsePort(String(node.port), 'port');
  const host = isV6 ? `[${node.host}]` : node.host;
  let url = `${SCHEME}${bytesToHex(node.id)}@${host}:${node.port}`;
  if (node.discport !== undefined && node.discport !== node.port) {
    url += `?discport=${parsePort(String(node.discport), 'discport')}`;
  }
  if (node.transport !== undefined) {
    if (node.transport !== 'ws' && node.transport !== 'wss') throw new EnodeError('transport', `"${String(node.transport)}" is not ws or wss`);
    url += `${url.includes('?') ? '&' : '?'}transport=${node.transport}`;
  }
  return url;
}

/** The node id (64-byte public key, no prefix) belonging to a 32-byte secp256k1 private key. */
export function nodeIdFromPrivateKey(privateKey: Uint8Array): Uint8Array {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !secp256k1.utils.isValidPrivateKey(privateKey)) {
    throw new EnodeError('privateKey', 'not a valid 32-byte secp256k1 private key', 'INVALID_KEY');
  }
  return secp256k1.getPublicKey(privateKey, false).subarray(1);
}
