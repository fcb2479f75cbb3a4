/**
 * The LES spec's CompressBytes for BloomBits vectors, and its inverse.
 *
 *   all-zero data        → empty
 *   len(data) ≤ 1        → data
 *   otherwise            → compress(nonZeroBitset(data)) ‖ nonZeroBytes(data)
 *
 * where nonZeroBitset has one bit per byte of data (MSB first). The result is kept only when it
 * is shorter than the data; otherwise the data is stored raw, so a value exactly as long as the
 * target is raw. Decompression refuses what the reference decoder refuses: data longer than the
 * target, a bitset naming more non-zero bytes than present or a slot past the target, bytes left
 * over, and a zero where the bitset promises a non-zero byte.
 */
import { VerificationError } from './errors.js';

function encode(data: Uint8Array): Uint8Array {
  if (data.length === 0) return data;
  if (data.length === 1) return data[0] === 0 ? new Uint8Array(0) : Uint8Array.of(data[0] as number);
  const bitset = new Uint8Array((data.length + 7) >> 3);
  const nonZero: number[] = [];
  for (let i = 0; i < data.length; i++) {
    const b = data[i] as number;
    if (b !== 0) {
      nonZero.push(b);
      (bitset[i >> 3] as number) |= 0x80 >> (i & 7);
    }
  }
  if (nonZero.length === 0) return new Uint8Array(0);
  const head = encode(bitset);
  const out = new Uint8Array(head.length + nonZero.length);
  out.set(head, 0);
  out.set(nonZero, head.length);
  return out;
}

export function compressBloomBits(data: Uint8Array): Uint8Array {
  const out = encode(data);
  return out.length < data.length ? out : data.slice();
}

function bad(detail: string): VerificationError {
  return new VerificationError('BAD_ENCODING', 'bloomBits', detail);
}

/** Decode a prefix of `data` into `target` bytes; returns the bytes consumed. */
function decodePartial(data: Uint8Array, target: number): { out: Uint8Array; used: number } {
  const out = new Uint8Array(target);
  if (target === 0 || data.length === 0) return { out, used: 0 };
  if (target === 1) {
    out[0] = data[0] as number;
    return { out, used: out[0] !== 0 ? 1 : 0 };
  }
  const { out: bitset, used } = decodePartial(data, (target + 7) >> 3);
  let ptr = used;
  for (let i = 0; i < bitset.length * 8; i++) {
    if (((bitset[i >> 3] as number) & (0x80 >> (i & 7))) === 0) continue;
    if (ptr >= data.length) throw bad('the bitset names more non-zero bytes than the data holds');
    if (i >= target) throw bad(`the bitset names byte ${i}, past the target length ${target}`);
    const b = data[ptr] as number;
    if (b === 0) throw bad(`a zero byte where the bitset promises a non-zero one (offset ${ptr})`);
    out[i] = b;
    ptr++;
  }
  return { out, used: ptr };
}

export function decompressBloomBits(data: Uint8Array, targetLength: number): Uint8Array {
  if (!Number.isSafeInteger(targetLength) || targetLength < 0) throw new RangeError(`bad target length ${targetLength}`);
  if (data.length > targetLength) throw bad(`${data.length} bytes exceeds the target length ${targetLength}`);
  if (data.length === targetLength) return data.slice();
  const { out, used } = decodePartial(data, targetLength);
  if (used !== data.length) throw bad(`${data.length - used} trailing byte(s) no bit refers to`);
  return out;
}
