/**
 * A beacon node's REST API as a BeaconSource (the beacon-APIs light_client endpoints, JSON form,
 * each answer `{version, data}`). Each request has a timeout; a body longer than maxResponseBytes
 * is refused unread; the `version` must be the fork of the data's own slot.
 */
import {
  type BeaconConfig,
  type LightClientKind,
  type LightClientValues,
} from '../../verify/beacon/index.js';
import { type BeaconSource, BeaconSourceError, versionedLightClient } from './beacon-source.js';

export interface RestBeaconSourceOptions {
  /** Per request. Default 10 s. */
  readonly timeoutMs?: number;
  /** Largest body read. Default 8 MiB (a mainnet update is about 60 kB of JSON). */
  readonly maxResponseBytes?: number;
}

const hex = (b: Uint8Array): string => `0x${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;

/** The light-client request limit of the beacon-APIs (MAX_REQUEST_LIGHT_CLIENT_UPDATES). */
export const MAX_REQUEST_LIGHT_CLIENT_UPDATES = 128;

export class RestBeaconSource implements BeaconSource {
  readonly name: string;
  readonly #base: string;
  readonly #config: BeaconConfig;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;

  constructor(url: string, config: BeaconConfig, options: RestBeaconSourceOptions = {}) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new BeaconSourceError('SOURCE_FAILED', url, 'not a URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new BeaconSourceError('SOURCE_FAILED', url, 'must be an http(s):// URL');
    this.#base = u.href.replace(/\/+$/, '');
    this.name = `${u.protocol}//${u.host}`;
    this.#config = config;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxBytes = options.maxResponseBytes ?? 8 * 1024 * 1024;
  }

  async bootstrap(blockRoot: Uint8Array, signal?: AbortSignal) {
    const v = await this.#get(`/eth/v1/beacon/light_client/bootstrap/${hex(blockRoot)}`, signal);
    return this.#data(v, 'LightClientBootstrap', (d) => d.header.beacon.slot);
  }

  async updates(startPeriod: number, count: number, signal?: AbortSignal) {
    const n = Math.min(Math.max(1, Math.floor(count)), MAX_REQUEST_LIGHT_CLIENT_UPDATES);
    const v = await this.#get(`/eth/v1/beacon/light_client/updates?start_period=${startPeriod}&count=${n}`, signal);
    if (!Array.isArray(v) || v.length > n) throw new BeaconSourceError('BAD_RESPONSE', this.name, `updates: expected an array of at most ${n}`);
    return v.map((item) => this.#data(item, 'LightClientUpdate', (d) => d.attested_header.beacon.slot));
  }

  async finalityUpdate(signal?: AbortSignal) {
    const v = await this.#get('/eth/v1/beacon/light_client/finality_update', signal);
    return this.#data(v, 'LightClientFinalityUpdate', (d) => d.attested_header.beacon.slot);
  }

  async optimisticUpdate(signal?: AbortSignal) {
    const v = await this.#get('/eth/v1/beacon/light_client/optimistic_update', signal);
    return this.#data(v, 'LightClientOptimisticUpdate', (d) => d.attested_header.beacon.slot);
  }

  #data<K extends LightClientKind>(v: unknown, kind: K, slotOf: (d: LightClientValues[K]) => bigint): LightClientValues[K] {
    return versionedLightClient(this.#config, this.name, v, kind, slotOf);
  }

  /**
   * One GET. A request that fails at the connection (not a timeout, not an HTTP status) is sent
   * once more: a kept-alive connection the node closed while this side was busy verifying fails
   * that way, and a GET is safe to repeat.
   */
  async #get(path: string, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const both = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let text: string | undefined;
    for (let attempt = 1; text === undefined; attempt++) {
      try {
        const res = await fetch(this.#base + path, { headers: { accept: 'application/json' }, signal: both });
        if (res.status === 404) {
          await res.body?.cancel();
          throw new BeaconSourceError('NOT_FOUND', this.name, `${path}: HTTP 404`);
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw new BeaconSourceError('SOURCE_FAILED', this.name, `${path}: HTTP ${res.status}`);
        }
        text = await this.#readBounded(res, path);
      } catch (cause) {
        if (cause instanceof BeaconSourceError) throw cause;
        if (signal?.aborted) throw signal.reason;
        if (!timeout.aborted && attempt < 2) continue;
        const what = timeout.aborted ? `no answer in ${this.#timeoutMs} ms` : 'no answer';
        throw new BeaconSourceError('SOURCE_FAILED', this.name, `${path}: ${what}`, { cause });
      }
    }
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new BeaconSourceError('BAD_RESPONSE', this.name, `${path}: not JSON`, { cause });
    }
  }

  async #readBounded(res: Response, path: string): Promise<string> {
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > this.#maxBytes) {
      await res.body?.cancel();
      throw new BeaconSourceError('TOO_LARGE', this.name, `${path}: ${declared} bytes, more than ${this.#maxBytes}`);
    }
    if (res.body === null) return '';
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > this.#maxBytes) {
        await reader.cancel();
        throw new BeaconSourceError('TOO_LARGE', this.name, `${path}: more than ${this.#maxBytes} bytes`);
      }
      chunks.push(value);
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  }
}
