/**
 * RLP bombs: small in bytes, huge or deep once decoded. Built by hand (not by an encoder) so the
 * bytes are exactly what a hostile server would send.
 */

/** The RLP head of a list (0xc0) or string (0x80) whose content is `len` bytes. */
function head(len: number, offset: 0x80 | 0xc0): number[] {
  if (len < 56) return [offset + len];
  const bytes: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return [offset + 55 + bytes.length, ...bytes];
}

/** rlp(list of `items` single bytes 0x01): `items` items from about as many bytes. */
export function wideList(items: number): Uint8Array {
  const h = head(items, 0xc0);
  const out = new Uint8Array(h.length + items).fill(1);
  out.set(h, 0);
  return out;
}

/** `levels` lists nested in one another around an empty list. */
export function deepList(levels: number): Uint8Array {
  // Inside-out: each level wraps the previous encoding.
  const heads: number[][] = [];
  let len = 0;
  for (let i = 0; i < levels; i++) {
    const h = head(len, 0xc0);
    heads.push(h);
    len += h.length;
  }
  const out = new Uint8Array(len);
  let at = 0;
  for (let i = heads.length - 1; i >= 0; i--) {
    const h = heads[i] as number[];
    out.set(h, at);
    at += h.length;
  }
  return out;
}

/** A typed (EIP-1559, 0x02) receipt envelope whose body is `body`. */
export function typedEnvelope(body: Uint8Array, type = 2): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = type;
  out.set(body, 1);
  return out;
}

/** The 4,000,000-item list found in one receipt (4 MB on the wire). */
export const BOMB_ITEMS = 4_000_000;
/** Nesting past what any decoder should follow. */
export const BOMB_DEPTH = 5_000;
