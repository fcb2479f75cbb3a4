/**
 * Builds a BlockHeader from an `eth_getBlockByNumber` JSON object (hex quantities and data), as
 * the server's backend reads it from its execution node. The result is only trusted once
 * `headerHash` of it equals the node's `hash` — this file checks shapes, not truth.
 */
import { VerificationError } from './errors.js';
import type { BlockHeader } from './header.js';
import { hexToBytes } from '../bytes.js';

const HEX_RE = /^0x[0-9a-fA-F]*$/;

function str(json: Record<string, unknown>, key: string): string {
  const v = json[key];
  if (typeof v !== 'string' || !HEX_RE.test(v)) {
    throw new VerificationError('BAD_ENCODING', `header.${key}`, v === undefined ? 'missing' : 'expected a 0x-prefixed hex string');
  }
  return v;
}

function data(json: Record<string, unknown>, key: string, len?: number): Uint8Array {
  const s = str(json, key);
  if (s.length % 2 !== 0) throw new VerificationError('BAD_ENCODING', `header.${key}`, 'odd number of hex digits');
  const n = (s.length - 2) / 2;
  if (len !== undefined && n !== len) throw new VerificationError('BAD_ENCODING', `header.${key}`, `expected ${len} bytes, got ${n}`);
  return hexToBytes(s);
}

function quantity(json: Record<string, unknown>, key: string, maxBytes: number): bigint {
  const s = str(json, key);
  if (s.length === 2) throw new VerificationError('BAD_ENCODING', `header.${key}`, 'empty quantity');
  const v = BigInt(s);
  if (v >= 1n << BigInt(8 * maxBytes)) throw new VerificationError('BAD_ENCODING', `header.${key}`, `exceeds ${maxBytes} bytes`);
  return v;
}

function safe(json: Record<string, unknown>, key: string): number {
  const v = quantity(json, key, 8);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new VerificationError('BAD_ENCODING', `header.${key}`, 'exceeds 2^53-1');
  return Number(v);
}

/**
 * Optional fields are taken when present and not null; `encodeHeader`/`headerHash` then refuse
 * combinations that no fork produces.
 */
export function headerFromRpc(json: unknown): BlockHeader {
  if (typeof json !== 'object' || json === null) throw new VerificationError('BAD_ENCODING', 'header', 'expected a JSON object');
  const j = json as Record<string, unknown>;
  const has = (k: string) => j[k] !== undefined && j[k] !== null;
  const h: BlockHeader = {
    parentHash: data(j, 'parentHash', 32),
    uncleHash: data(j, 'sha3Uncles', 32),
    coinbase: data(j, 'miner', 20),
    stateRoot: data(j, 'stateRoot', 32),
    transactionsRoot: data(j, 'transactionsRoot', 32),
    receiptsRoot: data(j, 'receiptsRoot', 32),
    logsBloom: data(j, 'logsBloom', 256),
    difficulty: quantity(j, 'difficulty', 32),
    number: safe(j, 'number'),
    gasLimit: quantity(j, 'gasLimit', 8),
    gasUsed: quantity(j, 'gasUsed', 8),
    timestamp: safe(j, 'timestamp'),
    extraData: data(j, 'extraData'),
    mixHash: data(j, 'mixHash', 32),
    nonce: data(j, 'nonce', 8),
  };
  if (has('baseFeePerGas')) h.baseFeePerGas = quantity(j, 'baseFeePerGas', 32);
  if (has('withdrawalsRoot')) h.withdrawalsRoot = data(j, 'withdrawalsRoot', 32);
  if (has('blobGasUsed')) h.blobGasUsed = quantity(j, 'blobGasUsed', 8);
  if (has('excessBlobGas')) h.excessBlobGas = quantity(j, 'excessBlobGas', 8);
  if (has('parentBeaconBlockRoot')) h.parentBeaconBlockRoot = data(j, 'parentBeaconBlockRoot', 32);
  if (has('requestsHash')) h.requestsHash = data(j, 'requestsHash', 32);
  return h;
}
