/**
 * The beacon light-client extension (only between peers whose Status carries BEACON_STATUS_KEY):
 * a server relays its beacon node's light-client data, which the client verifies itself against
 * its checkpoint and the sync committee, exactly as it would the beacon node's own answers.
 *
 * GetBeaconLightClient (0x08) `[reqID, [query, ...]]`, each query one of
 *   `[0, blockRoot]`             LightClientBootstrap of the block with this 32-byte root
 *   `[1, startPeriod, count]`    LightClientUpdatesByRange, count ≤ MAX_BEACON_UPDATES
 *   `[2]`                        the latest LightClientFinalityUpdate
 *   `[3]`                        the latest LightClientOptimisticUpdate
 * BeaconLightClient (0x09) `[reqID, BV, [answer, ...]]`, one answer per query in order: the UTF-8
 * body the beacon API (`/eth/v1/beacon/light_client/...`) answered, as it answered it (an object
 * `{version, data}`, for updates an array of them), or empty bytes when the node has none.
 *
 * 0x08 and 0x09 are les/1's GetProofs and Proofs, which les/2 and later retired: no other
 * implementation sends them on les/2+, and no peer is sent them unless it announced the key.
 */
import { Code } from './codes.js';
import { checkCount, checkLength, encodeReplyEnvelope, encodeRequestEnvelope, readReplyEnvelope, readRequestEnvelope } from './envelope.js';
import { ProtocolError } from './errors.js';
import { MAX_ITEMS } from './limits.js';
import { type RlpItem, decodeRlp, encodeRlp, encodeUint, readBytes, readList, readUint } from './rlp.js';

const GET = 'GetBeaconLightClient';
const REPLY = 'BeaconLightClient';

/** Status key by which a server says it relays beacon light-client data (value 1). */
export const BEACON_STATUS_KEY = 'lesp/beacon';
export const MAX_BEACON_QUERIES = MAX_ITEMS[Code.GetBeaconLightClient];
/** Updates one query may ask for. */
export const MAX_BEACON_UPDATES = 16;
/** Largest answer: a mainnet-preset update's JSON is about 60 KB. */
export const MAX_BEACON_ANSWER_BYTES = 2 * 1024 * 1024;

export type BeaconQuery =
  | { kind: 'bootstrap'; blockRoot: Uint8Array }
  | { kind: 'updates'; startPeriod: number; count: number }
  | { kind: 'finality_update' }
  | { kind: 'optimistic_update' };

const KIND_ID = { bootstrap: 0, updates: 1, finality_update: 2, optimistic_update: 3 } as const;

export interface GetBeaconLightClient {
  reqID: bigint;
  queries: BeaconQuery[];
}

export interface BeaconLightClient {
  reqID: bigint;
  bv: number;
  /** One per query; empty when the server's beacon node had none. */
  answers: Uint8Array[];
}

export function encodeGetBeaconLightClient(msg: GetBeaconLightClient): Uint8Array {
  checkCount(msg.queries.length, MAX_BEACON_QUERIES, GET, 'queries');
  const queries = msg.queries.map((q, i): RlpItem => {
    const id = encodeUint(KIND_ID[q.kind]);
    if (q.kind === 'bootstrap') return [id, checkLength(q.blockRoot, 32, GET, `queries[${i}].blockRoot`)];
    if (q.kind === 'updates') {
      checkCount(q.count, MAX_BEACON_UPDATES, GET, `queries[${i}].count`);
      return [id, encodeUint(q.startPeriod), encodeUint(q.count)];
    }
    return [id];
  });
  return encodeRequestEnvelope(msg.reqID, encodeRlp(queries), GET);
}

export function getBeaconLightClientFromRlp(item: RlpItem): GetBeaconLightClient {
  const { reqID, data } = readRequestEnvelope(item, GET);
  const queries = readList(data, GET, 'queries', { max: MAX_BEACON_QUERIES }).map((q, i): BeaconQuery => {
    const f = `queries[${i}]`;
    const fields = readList(q, GET, f, { min: 1, max: 3 });
    const kind = readUint(fields[0], GET, `${f}.kind`);
    const arity = kind === 0 ? 2 : kind === 1 ? 3 : 1;
    if (kind > 3) throw new ProtocolError('MALFORMED', GET, `${f}.kind`, `unknown query kind ${kind}`);
    if (fields.length !== arity) throw new ProtocolError('MALFORMED', GET, f, `expected ${arity} items, got ${fields.length}`);
    if (kind === 0) return { kind: 'bootstrap', blockRoot: readBytes(fields[1], GET, `${f}.blockRoot`, { len: 32 }) };
    if (kind === 1) {
      const count = readUint(fields[2], GET, `${f}.count`);
      if (count > MAX_BEACON_UPDATES) throw new ProtocolError('LIMIT', GET, `${f}.count`, `${count} updates exceeds the limit of ${MAX_BEACON_UPDATES}`);
      return { kind: 'updates', startPeriod: readUint(fields[1], GET, `${f}.startPeriod`), count };
    }
    return { kind: kind === 2 ? 'finality_update' : 'optimistic_update' };
  });
  return { reqID, queries };
}

export function decodeGetBeaconLightClient(data: Uint8Array): GetBeaconLightClient {
  return getBeaconLightClientFromRlp(decodeRlp(data, GET));
}

export function encodeBeaconLightClient(msg: BeaconLightClient): Uint8Array {
  return encodeReplyEnvelope(msg.reqID, msg.bv, encodeRlp(msg.answers), REPLY);
}

export function beaconLightClientFromRlp(item: RlpItem): BeaconLightClient {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  const answers = readList(data, REPLY, 'answers', { max: MAX_BEACON_QUERIES }).map((a, i) => readBytes(a, REPLY, `answers[${i}]`, { max: MAX_BEACON_ANSWER_BYTES }));
  return { reqID, bv, answers };
}

export function decodeBeaconLightClient(data: Uint8Array): BeaconLightClient {
  return beaconLightClientFromRlp(decodeRlp(data, REPLY));
}
