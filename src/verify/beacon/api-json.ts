/**
 * Light-client data in the beacon node API's JSON form (field names as in SSZ, integers as decimal
 * strings, byte vectors and bitvectors as 0x-hex of their SSZ bytes) ↔ the values the light client
 * works on. Walks the fork's own SSZ container, so a field missing, of the wrong length, or out of
 * range is refused with its path; every string and array is length-checked before it is read.
 */
import type { BeaconConfig, ForkName } from './config.js';
import { type LightClientKind, type LightClientValues, denormalizeLightClient, lightClientType, normalizeLightClient } from './decode.js';
import { BeaconError } from './errors.js';
import { lightClientForm } from './types.js';

interface Coder {
  info: { type: string; N?: number; inner?: Coder; fields?: Record<string, Coder> };
  decode(b: Uint8Array): unknown;
  encode(v: unknown): Uint8Array;
}

const UINT_BITS: Record<string, bigint> = { uint8: 8n, uint16: 16n, uint32: 32n, uint64: 64n, uint128: 128n, uint256: 256n };

function bad(path: string, detail: string): never {
  throw new BeaconError('BAD_ENCODING', path, detail);
}

function hexToBytes(v: unknown, path: string, min: number, max: number): Uint8Array {
  if (typeof v !== 'string') bad(path, 'expected a 0x-hex string');
  if (v.length < 2 + 2 * min || v.length > 2 + 2 * max || v.length % 2 !== 0 || !v.startsWith('0x')) {
    bad(path, min === max ? `expected ${min} bytes of 0x-hex` : `expected ${min}..${max} bytes of 0x-hex`);
  }
  if (!/^0x[0-9a-fA-F]*$/.test(v)) bad(path, 'not hex');
  const out = new Uint8Array((v.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(v.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

const bytesToHex = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

function fromJson(coder: Coder, v: unknown, path: string): unknown {
  const { type, N, inner, fields } = coder.info;
  const bits = UINT_BITS[type];
  if (bits !== undefined) {
    if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,77})$/.test(v)) bad(path, 'expected a decimal string');
    const n = BigInt(v);
    if (n >= 1n << bits) bad(path, `does not fit in ${type}`);
    return n;
  }
  switch (type) {
    case 'container': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'expected an object');
      const out: Record<string, unknown> = {};
      for (const [k, c] of Object.entries(fields ?? {})) {
        if (!Object.hasOwn(v, k)) bad(`${path}.${k}`, 'missing');
        out[k] = fromJson(c, (v as Record<string, unknown>)[k], `${path}.${k}`);
      }
      return out;
    }
    case 'vector':
    case 'list': {
      const n = N as number;
      const min = type === 'vector' ? n : 0;
      if (inner?.info.type === 'uint8') return hexToBytes(v, path, min, n);
      if (!Array.isArray(v) || v.length < min || v.length > n) bad(path, type === 'vector' ? `expected ${n} items` : `expected at most ${n} items`);
      return v.map((item, i) => fromJson(inner as Coder, item, `${path}[${i}]`));
    }
    case 'bitVector': {
      const len = Math.ceil((N as number) / 8);
      try {
        return coder.decode(hexToBytes(v, path, len, len));
      } catch (cause) {
        if (cause instanceof BeaconError) throw cause;
        return bad(path, (cause as Error).message);
      }
    }
    default:
      return bad(path, `SSZ type ${type} has no JSON form here`);
  }
}

function toJson(coder: Coder, v: unknown): unknown {
  const { type, inner, fields } = coder.info;
  if (UINT_BITS[type] !== undefined) return BigInt(v as bigint).toString();
  switch (type) {
    case 'container':
      return Object.fromEntries(Object.entries(fields ?? {}).map(([k, c]) => [k, toJson(c, (v as Record<string, unknown>)[k])]));
    case 'vector':
    case 'list':
      return inner?.info.type === 'uint8' ? bytesToHex(v as Uint8Array) : (v as unknown[]).map((x) => toJson(inner as Coder, x));
    case 'bitVector':
      return bytesToHex(coder.encode(v));
    default:
      throw new BeaconError('BAD_ENCODING', type, 'no JSON form');
  }
}

/** The `data` of a beacon API light-client response whose `version` is `fork`. */
export function fromBeaconJson<K extends LightClientKind>(config: BeaconConfig, fork: ForkName, kind: K, data: unknown): LightClientValues[K] {
  const type = lightClientType(config, fork, kind) as unknown as Coder;
  return normalizeLightClient(kind, fromJson(type, data, 'data')) as LightClientValues[K];
}

/** `value` as the beacon API's JSON `data` in `fork`'s form. */
export function toBeaconJson<K extends LightClientKind>(config: BeaconConfig, fork: ForkName, kind: K, value: LightClientValues[K]): unknown {
  const type = lightClientType(config, fork, kind) as unknown as Coder;
  const v = lightClientForm(fork) === 'capella' ? denormalizeLightClient(kind, value) : value;
  return toJson(type, v);
}
