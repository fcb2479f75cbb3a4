/**
 * JSON for the management API without losing large integers. Balances reach 2^63 − 1, beyond
 * what a JavaScript number holds exactly, and the reference API writes them as plain JSON
 * numbers. `parseJson` reads an integer literal beyond 2^53 − 1 as a bigint (everything else as
 * JSON.parse does); `stringifyJson` writes a bigint as its digits.
 */

import { randomBytes } from 'node:crypto';

export class JsonSyntaxError extends Error {}

const MAX_DEPTH = 64;

export function parseJson(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(`${what} at position ${i}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const value = (depth: number): unknown => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const key = string();
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        Object.defineProperty(out, key, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
        ws();
        const next = text[i++];
        if (next === '}') return out;
        if (next !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        out.push(value(depth + 1));
        ws();
        const next = text[i++];
        if (next === ']') return out;
        if (next !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    return number();
  };
  const string = (): string => {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(text.slice(i));
    if (m === null) return fail('bad string');
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const number = (): number | bigint => {
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (m === null) return fail('unexpected character');
    i += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) return BigInt(m[0]);
    return n;
  };
  const out = value(0);
  ws();
  if (i !== text.length) fail('trailing characters');
  return out;
}

/** JSON.stringify with bigints written as plain integer literals. */
export function stringifyJson(value: unknown, space?: number): string {
  // Each bigint becomes a string holding a random nonce, then that quoted string becomes digits:
  // no string in the value can be mistaken for one (it would have to contain the nonce).
  const nonce = randomBytes(12).toString('hex');
  let found = false;
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    found = true;
    return `${nonce}${v.toString()}`;
  }, space);
  if (!found) return text;
  return text.replace(new RegExp(`"${nonce}(-?\\d+)"`, 'g'), (_m, digits: string) => digits);
}
