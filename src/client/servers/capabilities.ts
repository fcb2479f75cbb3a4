/**
 * What a server serves and what it charges, from its Status and then from the key/value updates
 * its announces carry (LES spec, Announce: "optionally also a change to some of the values
 * announced at handshake"). Unknown keys are ignored; a known key with a nonsensical value is a
 * ProtocolError (the spec: may lead to disconnection; here it costs score and the announce).
 */
import type { MaxRequestCost } from '../../flow/index.js';
import type { Announce } from '../../wire/announce.js';
import { BEACON_STATUS_KEY } from '../../wire/beacon.js';
import { PREIMAGES_STATUS_KEY } from '../../wire/proofs.js';
import { ProtocolError } from '../../wire/errors.js';
import { type RlpItem, readList, readUint } from '../../wire/rlp.js';
import type { Status } from '../../wire/status.js';
import type { ServeCapabilities } from '../contracts.js';

export interface ServerParams {
  caps: ServeCapabilities;
  /** flowControl/BL and /MRR. */
  bl: number;
  mrr: number;
  mrc: MaxRequestCost[];
}

const MSG = 'Announce';

/** The handshake guarantees the flow-control keys of a server's Status (net checkRemoteStatus). */
export function paramsFromStatus(s: Status): ServerParams {
  const caps: ServeCapabilities = { serveHeaders: s.serveHeaders === true, txRelay: s.txRelay === true };
  if (s.serveChainSince !== undefined) caps.serveChainSince = s.serveChainSince;
  if (s.serveRecentChain !== undefined) caps.serveRecentChain = s.serveRecentChain;
  if (s.serveStateSince !== undefined) caps.serveStateSince = s.serveStateSince;
  if (s.serveRecentState !== undefined) caps.serveRecentState = s.serveRecentState;
  if (s.recentTxLookup !== undefined) caps.recentTxLookup = s.recentTxLookup;
  const flag = (key: string) => s.unknown.some((e) => e.key === key && e.value instanceof Uint8Array && e.value.length === 1 && e.value[0] === 1);
  if (flag(PREIMAGES_STATUS_KEY)) caps.preimages = true;
  if (flag(BEACON_STATUS_KEY)) caps.beacon = true;
  return { caps, bl: s.flowControlBL ?? 0, mrr: s.flowControlMRR ?? 0, mrc: [...(s.flowControlMRC ?? [])] };
}

type Update = (p: ServerParams, value: RlpItem, key: string) => void;

const uintCap =
  (field: 'serveChainSince' | 'serveRecentChain' | 'serveStateSince' | 'serveRecentState' | 'recentTxLookup'): Update =>
  (p, v, key) => {
    p.caps[field] = readUint(v, MSG, key);
  };

// A Map, not an object: announce keys are untrusted strings ("constructor", "__proto__").
const UPDATES: ReadonlyMap<string, Update> = new Map(Object.entries({
  // A flag's presence is its value; an announce cannot withdraw one.
  serveHeaders: (p) => {
    p.caps.serveHeaders = true;
  },
  txRelay: (p) => {
    p.caps.txRelay = true;
  },
  serveChainSince: uintCap('serveChainSince'),
  serveRecentChain: uintCap('serveRecentChain'),
  serveStateSince: uintCap('serveStateSince'),
  serveRecentState: uintCap('serveRecentState'),
  recentTxLookup: uintCap('recentTxLookup'),
  'flowControl/BL': (p, v, key) => {
    p.bl = readUint(v, MSG, key);
  },
  'flowControl/MRR': (p, v, key) => {
    p.mrr = readUint(v, MSG, key);
  },
  'flowControl/MRC': (p, v, key) => {
    p.mrc = readList(v, MSG, key, { max: 64 }).map((row, i) => {
      const [code, base, req] = readList(row, MSG, `${key}[${i}]`, { len: 3 });
      return {
        code: readUint(code, MSG, `${key}[${i}].code`),
        baseCost: readUint(base, MSG, `${key}[${i}].baseCost`),
        reqCost: readUint(req, MSG, `${key}[${i}].reqCost`),
      };
    });
  },
} satisfies Record<string, Update>));

/** `params` with the announce's updates applied (a new object; `params` is untouched). Throws ProtocolError. */
export function applyAnnounceUpdates(params: ServerParams, updates: Announce['updates']): ServerParams {
  const next: ServerParams = { caps: { ...params.caps }, bl: params.bl, mrr: params.mrr, mrc: params.mrc };
  for (const { key, value } of updates) UPDATES.get(key)?.(next, value, key);
  if (next.bl === 0 || next.mrr === 0) {
    throw new ProtocolError('MALFORMED', MSG, next.bl === 0 ? 'flowControl/BL' : 'flowControl/MRR', 'a server cannot announce zero capacity');
  }
  return next;
}

/** Whether (td, number) is above the last head: TD first, number for post-merge chains where TD stays. */
export function isHigherHead(next: { number: number; td: bigint }, last: { number: number; td: bigint }): boolean {
  return next.td > last.td || (next.td === last.td && next.number > last.number);
}
