/**
 * What the state tracker persists beside the trie nodes, and where:
 *   code/       codeHash → code
 *   blocks/     blockHash → rlp([number, parentHash, stateRoot, computedRoot, servable])
 *   meta/head   rlp([number, hash]) of the last block applied on the followed chain
 *   meta/start  rlp([number, hash, source]) of the loaded start state
 *   known-acc/  address → ''            (preimages: addresses seen, for repairs)
 *   known-slot/ address ‖ slot → ''     (storage slots seen per address)
 * Everything for one block goes in one atomic batch with its trie nodes.
 */
import { RLP } from '@ethereumjs/rlp';
import type { KvOp, KvStore } from '../../store/kv.js';
import { bigToBytes, bytesToBig, fromHexKey, hexKey } from './account.js';
import type { StateDiff } from './diff.js';
import { StateError } from './errors.js';
import type { RepairTarget } from './repair.js';

export interface BlockStateRecord {
  number: number;
  hash: Uint8Array;
  parentHash: Uint8Array;
  /** The header's stateRoot. */
  stateRoot: Uint8Array;
  /** The root this server computed; equals stateRoot exactly when servable. */
  computedRoot: Uint8Array;
  /** True when computedRoot equals the header's stateRoot: proofs from this state can be served. */
  servable: boolean;
}

export interface StartRecord {
  number: number;
  hash: Uint8Array;
  source: string;
}

const HEAD = new TextEncoder().encode('head');
const START = new TextEncoder().encode('start');

export class StateRecords {
  readonly nodes: KvStore;
  readonly code: KvStore;
  private readonly blocks: KvStore;
  private readonly meta: KvStore;
  private readonly knownAcc: KvStore;
  private readonly knownSlot: KvStore;

  constructor(store: KvStore) {
    this.nodes = store.namespace('nodes');
    this.code = store.namespace('code');
    this.blocks = store.namespace('blocks');
    this.meta = store.namespace('meta');
    this.knownAcc = store.namespace('known-acc');
    this.knownSlot = store.namespace('known-slot');
  }

  async getBlock(hash: Uint8Array): Promise<BlockStateRecord | undefined> {
    const raw = await this.blocks.get(hash);
    if (raw === undefined) return undefined;
    const items = decodeList(raw, 'blocks', 5);
    const [number, parentHash, stateRoot, computedRoot, servable] = items as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    return { number: Number(bytesToBig(number)), hash, parentHash, stateRoot, computedRoot, servable: servable.length === 1 && servable[0] === 1 };
  }

  blockOps(r: BlockStateRecord): KvOp[] {
    const value = RLP.encode([bigToBytes(BigInt(r.number)), r.parentHash, r.stateRoot, r.computedRoot, r.servable ? Uint8Array.of(1) : new Uint8Array(0)]);
    return [{ type: 'put', key: r.hash, value, ns: this.blocks }];
  }

  async getHead(): Promise<{ number: number; hash: Uint8Array } | undefined> {
    const raw = await this.meta.get(HEAD);
    if (raw === undefined) return undefined;
    const [number, hash] = decodeList(raw, 'meta/head', 2) as [Uint8Array, Uint8Array];
    return { number: Number(bytesToBig(number)), hash };
  }

  headOps(r: { number: number; hash: Uint8Array }): KvOp[] {
    return [{ type: 'put', key: HEAD, value: RLP.encode([bigToBytes(BigInt(r.number)), r.hash]), ns: this.meta }];
  }

  async getStart(): Promise<StartRecord | undefined> {
    const raw = await this.meta.get(START);
    if (raw === undefined) return undefined;
    const [number, hash, source] = decodeList(raw, 'meta/start', 3) as [Uint8Array, Uint8Array, Uint8Array];
    return { number: Number(bytesToBig(number)), hash, source: new TextDecoder().decode(source) };
  }

  startOps(r: StartRecord): KvOp[] {
    const value = RLP.encode([bigToBytes(BigInt(r.number)), r.hash, new TextEncoder().encode(r.source)]);
    return [{ type: 'put', key: START, value, ns: this.meta }];
  }

  codeOps(codes: ReadonlyMap<string, Uint8Array>): KvOp[] {
    return [...codes].map(([hash, code]) => ({ type: 'put' as const, key: fromHexKey(hash), value: code, ns: this.code }));
  }

  /** Remembers every address and slot the diff writes, so a later repair can ask the node about them. */
  preimageOps(diff: StateDiff): KvOp[] {
    const ops: KvOp[] = [];
    const empty = new Uint8Array(0);
    for (const [addrHex, w] of diff.accounts) {
      ops.push({ type: 'put', key: w.address, value: empty, ns: this.knownAcc });
      for (const slotHex of w.storage.keys()) ops.push({ type: 'put', key: fromHexKey(addrHex + slotHex), value: empty, ns: this.knownSlot });
    }
    return ops;
  }

  async knownSlots(address: Uint8Array): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    for await (const [k] of this.knownSlot.iterate({ prefix: address })) out.push(k.slice(20));
    return out;
  }

  /** Known addresses with their known slots, at most `limit` accounts; `complete` false if cut. */
  async knownTargets(limit: number): Promise<{ targets: RepairTarget[]; complete: boolean }> {
    const targets: RepairTarget[] = [];
    for await (const [address] of this.knownAcc.iterate({ limit: limit + 1 })) {
      if (targets.length === limit) return { targets, complete: false };
      targets.push({ address, slots: await this.knownSlots(address) });
    }
    return { targets, complete: true };
  }

  /** Known slots of one address, merged with extra slots (hex keys deduplicated). */
  async withKnownSlots(address: Uint8Array, extra: Iterable<string>): Promise<RepairTarget> {
    const all = new Set<string>(extra);
    for (const s of await this.knownSlots(address)) all.add(hexKey(s));
    return { address, slots: [...all].map(fromHexKey) };
  }
}

function decodeList(raw: Uint8Array, where: string, len: number): Uint8Array[] {
  let items: unknown;
  try {
    items = RLP.decode(raw);
  } catch (cause) {
    throw new StateError('STATE_CORRUPT_RECORD', `${where} record is not RLP`, { field: where, cause });
  }
  if (!Array.isArray(items) || items.length !== len || !items.every((i) => i instanceof Uint8Array)) {
    throw new StateError('STATE_CORRUPT_RECORD', `${where} record is not a list of ${len} byte strings`, { field: where });
  }
  return items as Uint8Array[];
}
