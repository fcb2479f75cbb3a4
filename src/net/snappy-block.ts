/** Reading a raw snappy block's declared length and first bytes without decompressing it (no Node built-ins). */
/**
 * The uncompressed length a snappy block declares in its leading varint, or -1 when the varint
 * is unreadable. (Raw snappy block format: the length comes first, as a little-endian base-128
 * varint of at most 5 bytes.)
 */
export function snappyDeclaredLength(block: Uint8Array): number {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    const b = block[i] as number;
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return length;
  }
  return -1;
}

/**
 * The first `n` bytes (fewer if the block is shorter) a snappy block decompresses to, decoding no
 * further; undefined when those elements are malformed. Raw snappy block format: after the length
 * varint, elements tagged by their low two bits: 0 literal (length-1 in the tag's upper six bits,
 * or in the 1-4 bytes after it when those read 60-63), 1 copy of 4-11 bytes with an 11-bit offset,
 * 2 and 3 copies of 1-64 bytes with 2- and 4-byte little-endian offsets.
 */
export function snappyHead(block: Uint8Array, n: number): Uint8Array | undefined {
  const declared = snappyDeclaredLength(block);
  if (declared < 0) return undefined;
  let at = 0;
  while ((block[at] as number) >= 0x80) at++;
  at++;
  const want = Math.min(n, declared);
  const out = new Uint8Array(want);
  let len = 0;
  const le = (from: number, bytes: number): number => {
    let v = 0;
    for (let i = bytes - 1; i >= 0; i--) v = v * 256 + (block[from + i] as number);
    return v;
  };
  while (len < want) {
    const tag = block[at];
    if (tag === undefined) return undefined;
    let copy: number;
    let offset: number;
    if ((tag & 3) === 0) {
      let lit = (tag >> 2) + 1;
      at++;
      if (lit > 60) {
        const bytes = lit - 60;
        if (at + bytes > block.length) return undefined;
        lit = le(at, bytes) + 1;
        at += bytes;
      }
      if (at + lit > block.length) return undefined;
      const take = Math.min(lit, want - len);
      out.set(block.subarray(at, at + take), len);
      len += take;
      at += lit;
      continue;
    }
    if ((tag & 3) === 1) {
      if (at + 2 > block.length) return undefined;
      copy = 4 + ((tag >> 2) & 7);
      offset = ((tag >> 5) << 8) | (block[at + 1] as number);
      at += 2;
    } else {
      const bytes = (tag & 3) === 2 ? 2 : 4;
      if (at + 1 + bytes > block.length) return undefined;
      copy = (tag >> 2) + 1;
      offset = le(at + 1, bytes);
      at += 1 + bytes;
    }
    if (offset === 0 || offset > len) return undefined;
    for (let i = 0; i < copy && len < want; i++, len++) out[len] = out[len - offset] as number;
  }
  return out;
}
