/**
 * LES servers as a BeaconSource: the beacon extension (wire/beacon.ts) asks servers that announced
 * "lesp/beacon" for the light-client data their beacon node serves. The answers are the beacon
 * API's JSON bodies, read exactly as RestBeaconSource reads a beacon node's; nothing a server says
 * is trusted: the anchor verifies every bootstrap and update as it does any source's. The requests
 * go through the client's scheduler, so they are flow-controlled and priced like any other.
 */
import type { OdrKind, Retriever } from '../contracts.js';
import {
  type BeaconConfig,
  type LightClientKind,
  type LightClientValues,
} from '../../verify/beacon/index.js';
import { Code } from '../../wire/codes.js';
import { type BeaconQuery, MAX_BEACON_QUERIES, MAX_BEACON_UPDATES, decodeBeaconLightClient, encodeGetBeaconLightClient } from '../../wire/beacon.js';
import { ProtocolError } from '../../wire/errors.js';
import { type BeaconSource, BeaconSourceError, versionedLightClient } from './beacon-source.js';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** One query to a beacon-relaying server; the answer is the beacon API's body, empty when its node has none. */
export const beaconQueryKind: OdrKind<BeaconQuery, Uint8Array> = {
  name: 'beacon-light-client',
  code: Code.GetBeaconLightClient,
  maxItems: MAX_BEACON_QUERIES,
  units: (q) => (q.kind === 'updates' ? Math.max(1, q.count) : 1),
  canServe: (server) => server.caps.beacon === true,
  key: (q) => (q.kind === 'bootstrap' ? `bootstrap:${hex(q.blockRoot)}` : q.kind === 'updates' ? `updates:${q.startPeriod}:${q.count}` : q.kind),
  encode: (reqID, queries) => encodeGetBeaconLightClient({ reqID, queries: [...queries] }),
  verify(queries, payload) {
    const { answers } = decodeBeaconLightClient(payload);
    if (answers.length > queries.length) throw new ProtocolError('MALFORMED', 'BeaconLightClient', 'answers', `${answers.length} answers to ${queries.length} queries`);
    // Checked by the anchor, not here: the answer is only bytes until it is parsed and verified.
    return queries.map((_, i) => answers[i]);
  },
};

export interface LesBeaconSourceOptions {
  /** Per query. Default 10 s. */
  readonly timeoutMs?: number;
  readonly name?: string;
}

export class LesBeaconSource implements BeaconSource {
  readonly name: string;
  readonly #retriever: () => Retriever | undefined;
  readonly #config: BeaconConfig;
  readonly #timeoutMs: number;

  /** `retriever` may be given late (a function), as the client's scheduler exists only once it starts. */
  constructor(retriever: Retriever | (() => Retriever | undefined), config: BeaconConfig, options: LesBeaconSourceOptions = {}) {
    this.#retriever = typeof retriever === 'function' ? retriever : () => retriever;
    this.#config = config;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.name = options.name ?? 'les';
  }

  /** Whether any connected server announced the extension. */
  available(): boolean {
    return this.#retriever()?.servers().some((s) => s.caps.beacon === true) ?? false;
  }

  async bootstrap(blockRoot: Uint8Array, signal?: AbortSignal) {
    const v = await this.#ask({ kind: 'bootstrap', blockRoot }, signal);
    return this.#data(v, 'LightClientBootstrap', (d) => d.header.beacon.slot);
  }

  async updates(startPeriod: number, count: number, signal?: AbortSignal) {
    const n = Math.min(Math.max(1, Math.floor(count)), MAX_BEACON_UPDATES);
    const v = await this.#ask({ kind: 'updates', startPeriod, count: n }, signal);
    if (!Array.isArray(v) || v.length > n) throw new BeaconSourceError('BAD_RESPONSE', this.name, `updates: expected an array of at most ${n}`);
    return v.map((item) => this.#data(item, 'LightClientUpdate', (d) => d.attested_header.beacon.slot));
  }

  async finalityUpdate(signal?: AbortSignal) {
    const v = await this.#ask({ kind: 'finality_update' }, signal);
    return this.#data(v, 'LightClientFinalityUpdate', (d) => d.attested_header.beacon.slot);
  }

  async optimisticUpdate(signal?: AbortSignal) {
    const v = await this.#ask({ kind: 'optimistic_update' }, signal);
    return this.#data(v, 'LightClientOptimisticUpdate', (d) => d.attested_header.beacon.slot);
  }

  async #ask(q: BeaconQuery, signal?: AbortSignal): Promise<unknown> {
    const retriever = this.#retriever();
    if (retriever === undefined) throw new BeaconSourceError('SOURCE_FAILED', this.name, `${q.kind}: not connected to LES servers yet`);
    let bytes: Uint8Array;
    try {
      bytes = await retriever.retrieve(beaconQueryKind, q, { timeoutMs: this.#timeoutMs, signal });
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      throw new BeaconSourceError('SOURCE_FAILED', this.name, `${q.kind}: ${(cause as Error).message}`, { cause });
    }
    if (bytes.length === 0) throw new BeaconSourceError('NOT_FOUND', this.name, `${q.kind}: the server's beacon node has none`);
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (cause) {
      throw new BeaconSourceError('BAD_RESPONSE', this.name, `${q.kind}: not JSON`, { cause });
    }
  }

  #data<K extends LightClientKind>(v: unknown, kind: K, slotOf: (d: LightClientValues[K]) => bigint): LightClientValues[K] {
    return versionedLightClient(this.#config, this.name, v, kind, slotOf);
  }
}
