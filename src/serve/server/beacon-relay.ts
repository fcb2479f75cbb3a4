/**
 * Light-client data from the server's beacon node, for the beacon extension (wire/beacon.ts): the
 * beacon API's answer bodies, fetched with a time limit and a size bound and passed on as they came.
 * The server checks nothing in them (each client verifies against its own checkpoint); it keeps
 * the latest finality and optimistic update for half a slot, so many clients cost one fetch.
 */
import type { BeaconQuery } from '../../wire/index.js';
import { MAX_BEACON_ANSWER_BYTES } from '../../wire/index.js';

export interface BeaconRelayOptions {
  /** The beacon node's REST API (http:// or https://). */
  url: string;
  timeoutMs?: number;
  /** How long the latest updates are reused, ms (default 2000). */
  cacheMs?: number;
  fetch?: typeof fetch;
}

const EMPTY = new Uint8Array(0);

export class BeaconRelay {
  readonly url: string;
  readonly #timeoutMs: number;
  readonly #cacheMs: number;
  readonly #fetch: typeof fetch;
  readonly #latest = new Map<string, { at: number; body: Promise<Uint8Array> }>();

  constructor(o: BeaconRelayOptions) {
    this.url = o.url.replace(/\/+$/, '');
    this.#timeoutMs = o.timeoutMs ?? 5000;
    this.#cacheMs = o.cacheMs ?? 2000;
    this.#fetch = o.fetch ?? fetch;
  }

  /** The answer to one query: the beacon API's body, empty when the node has none (404). Throws when the node fails. */
  answer(q: BeaconQuery): Promise<Uint8Array> {
    const base = '/eth/v1/beacon/light_client';
    if (q.kind === 'bootstrap') return this.#get(`${base}/bootstrap/0x${Buffer.from(q.blockRoot).toString('hex')}`);
    if (q.kind === 'updates') return this.#get(`${base}/updates?start_period=${q.startPeriod}&count=${q.count}`);
    const path = `${base}/${q.kind}`;
    const now = Date.now();
    const hit = this.#latest.get(path);
    if (hit !== undefined && now - hit.at < this.#cacheMs) return hit.body;
    const body = this.#get(path);
    this.#latest.set(path, { at: now, body });
    body.catch(() => this.#latest.delete(path));
    return body;
  }

  async #get(path: string): Promise<Uint8Array> {
    const res = await this.#fetch(`${this.url}${path}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.#timeoutMs) });
    if (res.status === 404) {
      await res.body?.cancel();
      return EMPTY;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`beacon node answered HTTP ${res.status} for ${path}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_BEACON_ANSWER_BYTES) {
      await res.body?.cancel();
      throw new Error(`beacon node's answer for ${path} declares ${declared} bytes, over ${MAX_BEACON_ANSWER_BYTES}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of res.body ?? []) {
      size += (chunk as Uint8Array).length;
      if (size > MAX_BEACON_ANSWER_BYTES) throw new Error(`beacon node's answer for ${path} is over ${MAX_BEACON_ANSWER_BYTES} bytes`);
      chunks.push(chunk as Uint8Array);
    }
    return Buffer.concat(chunks);
  }
}
