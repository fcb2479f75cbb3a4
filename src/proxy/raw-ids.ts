/**
 * The exact JSON text of the `id` member of each top-level request object, for ids that a double
 * cannot carry unchanged. Runs only on text JSON.parse has accepted, so it does not validate; it
 * is iterative (no recursion on hostile nesting) and linear in the text.
 */

const WS = new Set([' ', '\t', '\n', '\r']);

class Cursor {
  constructor(
    readonly text: string,
    public pos = 0,
  ) {}

  skipWs(): void {
    while (this.pos < this.text.length && WS.has(this.text[this.pos] as string)) this.pos++;
  }

  peek(): string {
    return this.text[this.pos] ?? '';
  }

  /** Skips a string starting at the opening quote; returns its end (exclusive). */
  skipString(): number {
    this.pos++;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === '\\') this.pos += 2;
      else if (c === '"') return ++this.pos;
      else this.pos++;
    }
    return this.pos;
  }

  /** Skips any value; returns its [start, end). */
  skipValue(): [number, number] {
    const start = this.pos;
    const c = this.peek();
    if (c === '"') return [start, this.skipString()];
    if (c === '{' || c === '[') {
      let depth = 0;
      while (this.pos < this.text.length) {
        const d = this.text[this.pos];
        if (d === '"') {
          this.skipString();
          continue;
        }
        if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') depth--;
        this.pos++;
        if (depth === 0) break;
      }
      return [start, this.pos];
    }
    while (this.pos < this.text.length && !WS.has(this.peek()) && !',]}'.includes(this.peek())) this.pos++;
    return [start, this.pos];
  }
}

/** The raw `id` text of the object at the cursor (the last `id` member wins, as in JSON.parse). */
function objectId(cur: Cursor): string | undefined {
  if (cur.peek() !== '{') {
    cur.skipValue();
    return undefined;
  }
  cur.pos++;
  let id: string | undefined;
  for (;;) {
    cur.skipWs();
    const c = cur.peek();
    if (c === '}' || c === '') {
      cur.pos++;
      return id;
    }
    if (c === ',') {
      cur.pos++;
      continue;
    }
    const keyStart = cur.pos;
    const keyEnd = cur.skipString();
    const key = JSON.parse(cur.text.slice(keyStart, keyEnd)) as string;
    cur.skipWs();
    cur.pos++; // ':'
    cur.skipWs();
    const [s, e] = cur.skipValue();
    if (key === 'id') id = cur.text.slice(s, e);
  }
}

/** Index → raw id text (index 0 for a single request; per element for a batch). */
export function rawIdTexts(text: string): Map<number, string> {
  const out = new Map<number, string>();
  const cur = new Cursor(text);
  cur.skipWs();
  if (cur.peek() !== '[') {
    const id = objectId(cur);
    if (id !== undefined) out.set(0, id);
    return out;
  }
  cur.pos++;
  for (let i = 0; ; i++) {
    cur.skipWs();
    const c = cur.peek();
    if (c === ']' || c === '') return out;
    const id = objectId(cur);
    if (id !== undefined) out.set(i, id);
    cur.skipWs();
    if (cur.peek() === ',') cur.pos++;
  }
}
