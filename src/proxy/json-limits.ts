/**
 * Bounds on JSON from callers, checked before anything walks it: the body must be valid UTF-8
 * (a strict JSON reader refuses anything else; decoding would turn bad bytes into U+FFFD and the
 * answer would not echo what was sent), the text may nest at most MAX_JSON_DEPTH levels (what
 * go-ethereum's JSON decoder allows), and a call's params at most MAX_PARAMS_DEPTH — far beyond
 * any method's shape, far below what a recursive walk (JSON.stringify, error messages,
 * forwarding upstream) survives. Both checks are iterative and linear.
 */

export const MAX_JSON_DEPTH = 10_000;
export const MAX_PARAMS_DEPTH = 64;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a body, or undefined when it is not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** Whether brackets outside strings nest deeper than `max` in `text` (which need not be valid JSON). */
export function textNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--;
  }
  return false;
}

/** Whether a value from JSON.parse (no cycles) nests deeper than `max` arrays/objects (the value itself is level 1). */
export function valueNestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
