// Shared test helpers for the verify tests: hex, error matching, and proofs from
// @ethereumjs/trie — an independent trie implementation used as the source of expected values.
import assert from 'node:assert/strict';
import type { Trie } from '@ethereumjs/trie';
import { VerificationError } from '../../../src/verify/errors.js';

export function hex(s: string): Uint8Array {
  const h = s.startsWith('0x') ? s.slice(2) : s;
  return Uint8Array.from(Buffer.from(h, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return `0x${Buffer.from(b).toString('hex')}`;
}

/** Assert `fn` throws a VerificationError with `code` (and `field`, when given). */
export function assertRejects(fn: () => unknown, code: string, field?: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VerificationError, `expected a VerificationError, got ${String(e)}`);
    assert.equal(e.code, code, `code (message: ${e.message})`);
    if (typeof field === 'string') assert.equal(e.field, field, `field (message: ${e.message})`);
    else if (field instanceof RegExp) assert.match(e.field ?? '', field);
    return true;
  });
}

/** A copy of `b` with the byte at `i` changed. */
export function flipByte(b: Uint8Array, i: number): Uint8Array {
  const c = b.slice();
  c[i] = (c[i] as number) ^ 0x01;
  return c;
}

/**
 * A minimal proof from @ethereumjs/trie: its createProof lists every node of the path, and the
 * LES proof set (like go-ethereum's) keeps only the root and nodes referenced by hash.
 */
export async function minimalProof(trie: Trie, key: Uint8Array): Promise<Uint8Array[]> {
  const nodes = await trie.createProof(key);
  return nodes.filter((n, i) => i === 0 || n.length >= 32);
}

/** Union of several proofs, without duplicates (a ProofsV2 answer for a batch). */
export function mergeProofs(...proofs: Uint8Array[][]): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const p of proofs) {
    for (const n of p) {
      const k = Buffer.from(n).toString('hex');
      if (!seen.has(k)) {
        seen.add(k);
        out.push(n);
      }
    }
  }
  return out;
}

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(next: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}
