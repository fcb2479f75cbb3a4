/**
 * The state the server can prove: its own copy of the state and storage tries, kept in step with
 * an execution node block by block, every block checked against its header's stateRoot.
 *
 * - Start: a dump of the node (anvil_dumpState) or a genesis alloc, at a known block.
 * - Each block: the prestate tracer's diff (debug_traceBlockByHash), then the changes made outside
 *   transactions (system.ts), applied on top of the *parent's* root. Tries are immutable by root,
 *   so a reorg needs no undo: the replaced branch's states stay readable by their block hash.
 * - Check: computed root = header.stateRoot, else the mismatch is reported ('mismatch' event and an
 *   error log) and repaired in stages — (1) the touched accounts re-derived from the node with
 *   eth_getProof at that block, (2) every account and slot whose preimage we hold; a block still
 *   wrong after that is recorded not servable ('unservable'). Following continues on the computed
 *   root; a later block can come right again through stage (2), and with `redumpOnFailure` an
 *   unservable head is replaced by a fresh dump at the node's head.
 * - Persistence: nodes, code, block records, preimages and the head in one atomic batch per block;
 *   reopening resumes from the stored head without loading the start state again.
 *
 * No pruning yet: every node is kept. A pruner for `serveRecentState` = N would need: the block
 * records with number > head − N (their computedRoots are the roots to retain, plus the head's
 * ancestors a reorg could return to); a mark phase walking every node reachable from those roots,
 * including each account leaf's storageRoot and codeHash (nodes are shared between roots and
 * between account and storage tries, so per-trie deletes are wrong); a sweep of unmarked nodes,
 * code and old block records; and a way to keep nodes written during the sweep (pause following,
 * or a generation tag per write) plus an announce of the raised serveStateSince ≥ 10 s ahead.
 */
import { EventEmitter } from 'node:events';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { KvStore } from '../../store/kv.js';
import { TrieNodeStore } from '../../store/trie-nodes.js';
import { type RpcBlockHead, fetchBlockHead } from '../rpc/block.js';
import type { NodeRpcClient } from '../rpc/client.js';
import { toHex } from '../rpc/hex.js';
import { type Account, EMPTY_CODE_HASH, equalBytes, hexKey } from './account.js';
import { StateDiff } from './diff.js';
import { StateError } from './errors.js';
import { type ProofRequest, StateProver } from './prover.js';
import { type BlockStateRecord, StateRecords } from './records.js';
import { type NodeStateRules, detectStateRules, fetchAccessTrace, keepAccessed } from './quirks.js';
import { fetchProvenAccounts, overrideFromProofs } from './repair.js';
import { parseGenesisAlloc, takeAnvilDump } from './start.js';
import { applyOutOfTxChanges } from './system.js';
import { applyTrace } from './trace.js';
import { buildState, reachableNew } from './bulk.js';
import { type AppliedDiff, applyDiff } from './writer.js';

export type { BlockStateRecord } from './records.js';

/** pino-compatible. */
export interface StateLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export type StartSource = { kind: 'dump' } | { kind: 'alloc'; alloc: unknown; atBlock?: number };

export interface StateTrackerOptions {
  /** A namespace of the server's store, used by this tracker only. */
  store: KvStore;
  rpc: NodeRpcClient;
  /** Where the first state comes from when the store holds none. Default: the node's dump. */
  start?: StartSource;
  /** Bytes of raw trie nodes cached in front of the store. Default 64 MiB. */
  nodeCacheBytes?: number;
  /** Decoded trie nodes cached by the proof builder. Default 50 000. */
  proofCacheNodes?: number;
  /** Most known accounts re-derived in repair stage 2. Default 10 000. */
  maxRepairAccounts?: number;
  /** Replace an unservable head by a fresh dump of the node. Default: true when starting from a dump. */
  redumpOnFailure?: boolean;
  /** How the node shapes its trie (quirks.ts). Default: detected from web3_clientVersion. */
  rules?: NodeStateRules;
  log?: StateLog;
}

export type RepairStage = 'touched' | 'known';
export interface RootMismatch {
  number: number;
  hash: string;
  expected: string;
  computed: string;
}

export interface StateTrackerEvents {
  block: [BlockStateRecord];
  start: [BlockStateRecord & { source: string }];
  mismatch: [RootMismatch & { stage: 'trace' | RepairStage }];
  repaired: [{ number: number; hash: string; stage: RepairStage }];
  unservable: [RootMismatch];
  reorg: [{ from: { number: number; hash: string }; ancestor: { number: number; hash: string } }];
}

const silent: StateLog = { info() {}, warn() {}, error() {} };
const PRESTATE_DIFF = { tracer: 'prestateTracer', tracerConfig: { diffMode: true } };

export class StateTracker extends EventEmitter<StateTrackerEvents> {
  readonly prover: StateProver;
  readonly records: StateRecords;
  /** Per process: how often the start state was loaded, blocks applied, repairs tried. */
  readonly stats = { startLoads: 0, blocksApplied: 0, repairs: 0, unservable: 0 };
  private readonly store: KvStore;
  private readonly rpc: NodeRpcClient;
  private readonly nodes: TrieNodeStore;
  private readonly log: StateLog;
  private readonly maxRepairAccounts: number;
  private readonly redump: boolean;
  private rules!: NodeStateRules;
  private current: BlockStateRecord | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(options: StateTrackerOptions) {
    super();
    this.store = options.store;
    this.rpc = options.rpc;
    this.records = new StateRecords(options.store);
    this.nodes = new TrieNodeStore(this.records.nodes, { cacheBytes: options.nodeCacheBytes });
    this.prover = new StateProver(this.nodes, this.records.code, { decodedNodes: options.proofCacheNodes });
    this.log = options.log ?? silent;
    this.maxRepairAccounts = options.maxRepairAccounts ?? 10_000;
    this.redump = options.redumpOnFailure ?? (options.start ?? { kind: 'dump' }).kind === 'dump';
  }

  /** Resumes from the store, or loads the start state if the store holds none. */
  static async open(options: StateTrackerOptions): Promise<StateTracker> {
    const t = new StateTracker(options);
    t.rules = options.rules ?? (await detectStateRules(options.rpc));
    const head = await t.records.getHead();
    if (head !== undefined) {
      const rec = await t.records.getBlock(head.hash);
      if (rec === undefined) throw new StateError('STATE_CORRUPT_RECORD', 'the stored head has no block record', { field: 'meta/head' });
      t.current = rec;
      t.log.info({ number: rec.number, hash: toHex(rec.hash) }, 'state: resumed from store');
    } else {
      await t.loadStart(options.start ?? { kind: 'dump' });
    }
    return t;
  }

  /** The last block applied on the followed chain. */
  get head(): BlockStateRecord {
    if (this.current === undefined) throw new StateError('STATE_NOT_FOUND', 'no state loaded');
    return this.current;
  }

  async blockState(hash: Uint8Array): Promise<BlockStateRecord | undefined> {
    return this.records.getBlock(hash);
  }

  /** The header stateRoot of a block whose state this server holds and has checked; else undefined. */
  async servableStateRoot(blockHash: Uint8Array): Promise<Uint8Array | undefined> {
    const r = await this.records.getBlock(blockHash);
    return r?.servable === true ? r.stateRoot : undefined;
  }

  buildProofs(stateRoot: Uint8Array, reqs: readonly ProofRequest[]): Uint8Array[] {
    return this.prover.buildProofs(stateRoot, reqs);
  }

  getAccount(stateRoot: Uint8Array, accountKey: Uint8Array): Account | undefined {
    return this.prover.getAccount(stateRoot, accountKey);
  }

  async getCode(codeHash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.prover.getCode(codeHash);
  }

  /** Follows the node to its head: rolls back to the common ancestor on a reorg, applies new blocks. */
  async sync(): Promise<BlockStateRecord> {
    return this.exclusive(async () => {
      for (let round = 0; round < 8; round++) {
        const target = await fetchBlockHead(this.rpc, 'latest');
        if (target === undefined) throw new StateError('STATE_NOT_FOUND', 'the node has no head block');
        await this.rollBackToCanonical(target.number);
        let applied: BlockStateRecord | undefined;
        let raced = false;
        for (let n = this.head.number + 1; n <= target.number; n++) {
          const b = await fetchBlockHead(this.rpc, n);
          if (b === undefined || !equalBytes(b.parentHash, this.head.hash)) {
            raced = true; // the chain changed under us: start over from the ancestor search
            break;
          }
          applied = await this.applyBlockNow(b);
        }
        if (raced) continue;
        if (applied !== undefined && !applied.servable && this.redump) {
          this.log.warn({ number: applied.number }, 'state: head not servable; reloading a dump of the node');
          await this.loadStart({ kind: 'dump' });
        }
        return this.head;
      }
      throw new StateError('STATE_DUMP_RACE', 'the node kept reorganising during sync');
    });
  }

  /** Applies one block whose parent state is held (for a follower that drives block by block). */
  async applyBlock(block: RpcBlockHead): Promise<BlockStateRecord> {
    return this.exclusive(() => this.applyBlockNow(block));
  }

  /** Waits for running work. The store belongs to the caller, who closes it. */
  async close(): Promise<void> {
    await this.queue.catch(() => {});
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Walks our head back until it is on the node's canonical chain. */
  private async rollBackToCanonical(targetNumber: number): Promise<void> {
    const from = this.head;
    let head = from;
    for (;;) {
      const b = head.number <= targetNumber ? await fetchBlockHead(this.rpc, head.number) : undefined;
      if (b !== undefined && equalBytes(b.hash, head.hash)) break;
      const parent = await this.records.getBlock(head.parentHash);
      if (parent === undefined) {
        if (!this.redump) throw new StateError('STATE_UNKNOWN_PARENT', `reorg below the start state (block ${head.number})`, { field: 'parentHash' });
        this.log.warn({ number: head.number }, 'state: reorg below the start state; reloading a dump');
        await this.loadStart({ kind: 'dump' });
        return;
      }
      head = parent;
    }
    if (head !== from) {
      await this.store.batch(this.records.headOps(head));
      this.current = head;
      const ev = { from: { number: from.number, hash: toHex(from.hash) }, ancestor: { number: head.number, hash: toHex(head.hash) } };
      this.log.warn(ev, 'state: reorg, rolled back to the common ancestor');
      this.emit('reorg', ev);
    }
  }

  private async applyBlockNow(block: RpcBlockHead): Promise<BlockStateRecord> {
    const known = await this.records.getBlock(block.hash);
    if (known !== undefined) {
      // Already applied (a reorg back onto a branch we followed before): its state is still here.
      await this.store.batch(this.records.headOps(known));
      this.current = known;
      return known;
    }
    const parent = await this.records.getBlock(block.parentHash);
    if (parent === undefined) {
      throw new StateError('STATE_UNKNOWN_PARENT', `no state for the parent of block ${block.number}`, { field: 'parentHash' });
    }
    const base = parent.computedRoot;
    const diff = new StateDiff((a) => this.prover.getAccount(base, keccak256(a)));
    // One trace after the other: anvil 1.7.1 answers two concurrent traces slower than in turn.
    applyTrace(diff, await this.rpc.call('debug_traceBlockByHash', [toHex(block.hash), PRESTATE_DIFF]));
    if (this.rules.keepAccessed) keepAccessed(await fetchAccessTrace(this.rpc, block.hash), diff, this.parentView(base));
    await applyOutOfTxChanges(this.rpc, block, diff, (a) => this.hasCode(base, diff, a));
    const apply = { deleteEmpty: this.rules.deleteEmptyAccounts, deleteZeroSlots: this.rules.deleteZeroSlots };
    let overlay = this.nodes.overlay();
    let result = await applyDiff(overlay, base, diff, apply);
    if (!equalBytes(result.root, block.stateRoot)) {
      this.reportMismatch(block, result.root, 'trace');
      for (const stage of ['touched', 'known'] as const) {
        this.stats.repairs++;
        if (!(await this.repair(stage, block, diff))) continue;
        overlay = this.nodes.overlay();
        result = await applyDiff(overlay, base, diff, apply);
        if (equalBytes(result.root, block.stateRoot)) {
          this.log.warn({ number: block.number, stage }, 'state: root repaired from the node');
          this.emit('repaired', { number: block.number, hash: toHex(block.hash), stage });
          break;
        }
        this.reportMismatch(block, result.root, stage);
      }
    }
    const rec: BlockStateRecord = {
      number: block.number,
      hash: block.hash,
      parentHash: block.parentHash,
      stateRoot: block.stateRoot,
      computedRoot: result.root,
      servable: equalBytes(result.root, block.stateRoot),
    };
    if (!rec.servable) this.reportUnservable(rec);
    await this.commit(rec, reachableNew(overlay.written, result.root), result, diff);
    this.stats.blocksApplied++;
    this.emit('block', rec);
    return rec;
  }

  /** Overrides `diff` with the node's view of the accounts of this stage; false if nothing to ask. */
  private async repair(stage: RepairStage, block: RpcBlockHead, diff: StateDiff): Promise<boolean> {
    let targets;
    if (stage === 'touched') {
      targets = await Promise.all([...diff.accounts.values()].map((w) => this.records.withKnownSlots(w.address, w.storage.keys())));
    } else {
      const known = await this.records.knownTargets(this.maxRepairAccounts);
      if (!known.complete) this.log.warn({ limit: this.maxRepairAccounts }, 'state: repair limited to the first known accounts');
      // Addresses first seen in this block are not stored yet.
      const seen = new Set(known.targets.map((t) => hexKey(t.address)));
      for (const w of diff.accounts.values()) if (!seen.has(hexKey(w.address))) known.targets.push(await this.records.withKnownSlots(w.address, w.storage.keys()));
      targets = known.targets;
    }
    if (targets.length === 0) return false;
    const { proven, rejected } = await fetchProvenAccounts(this.rpc, block, targets);
    if (rejected.length > 0) {
      const sample = rejected.slice(0, 3).map((r) => toHex(r.address));
      this.log.warn({ number: block.number, stage, rejected: rejected.length, sample }, 'state: node answers that do not prove were set aside');
    }
    if (proven.length === 0) return false;
    await overrideFromProofs(this.rpc, block.hash, proven, diff, (h) => this.prover.getCode(h));
    return true;
  }

  private parentView(base: Uint8Array) {
    return {
      hasAccount: (a: Uint8Array) => this.prover.getAccount(base, keccak256(a)) !== undefined,
      hasSlot: (a: Uint8Array, slot: Uint8Array) => {
        const acc = this.prover.getAccount(base, keccak256(a));
        return acc !== undefined && this.prover.hasStorage(acc.storageRoot, keccak256(slot));
      },
    };
  }

  private hasCode(base: Uint8Array, diff: StateDiff, address: Uint8Array): boolean {
    const w = diff.accounts.get(hexKey(address));
    if (w?.code !== undefined) return w.code.length > 0;
    if (w?.destroyed === true) return false;
    const acc = this.prover.getAccount(base, keccak256(address));
    return acc !== undefined && !equalBytes(acc.codeHash, EMPTY_CODE_HASH);
  }

  private async loadStart(source: StartSource): Promise<void> {
    let block: RpcBlockHead | undefined;
    let diff: StateDiff;
    if (source.kind === 'dump') {
      ({ block, diff } = await takeAnvilDump(this.rpc));
    } else {
      diff = parseGenesisAlloc(source.alloc);
      block = await fetchBlockHead(this.rpc, source.atBlock ?? 0);
      if (block === undefined) throw new StateError('STATE_NOT_FOUND', `the node has no block ${source.atBlock ?? 0}`);
    }
    const nodes = new Map<string, Uint8Array>();
    const result = buildState(diff, { deleteEmpty: false, deleteZeroSlots: this.rules.deleteZeroSlots }, nodes);
    const rec: BlockStateRecord = {
      number: block.number,
      hash: block.hash,
      parentHash: block.parentHash,
      stateRoot: block.stateRoot,
      computedRoot: result.root,
      servable: equalBytes(result.root, block.stateRoot),
    };
    // anvil's genesis header carries the empty root although its accounts are funded: block 0 is
    // expected to land here, and block 1 (applied on the computed root) to match again.
    if (!rec.servable) this.reportUnservable(rec);
    const start = { number: block.number, hash: block.hash, source: source.kind };
    await this.commit(rec, nodes, result, diff, this.records.startOps(start));
    this.stats.startLoads++;
    this.log.info({ number: rec.number, accounts: diff.accounts.size, servable: rec.servable }, 'state: start state loaded');
    this.emit('start', { ...rec, source: source.kind });
  }

  private async commit(rec: BlockStateRecord, nodes: Map<string, Uint8Array>, result: AppliedDiff, diff: StateDiff, extra: ReturnType<StateRecords['startOps']> = []): Promise<void> {
    await this.store.batch([
      ...this.nodes.putOps(nodes),
      ...this.records.codeOps(result.codes),
      ...this.records.preimageOps(diff),
      ...this.records.blockOps(rec),
      ...this.records.headOps(rec),
      ...extra,
    ]);
    this.nodes.remember(nodes);
    this.current = rec;
  }

  private reportMismatch(block: RpcBlockHead, computed: Uint8Array, stage: 'trace' | RepairStage): void {
    const ev = { number: block.number, hash: toHex(block.hash), expected: toHex(block.stateRoot), computed: toHex(computed), stage };
    this.log.error(ev, 'state: computed root differs from header.stateRoot');
    this.emit('mismatch', ev);
  }

  private reportUnservable(rec: BlockStateRecord): void {
    this.stats.unservable++;
    const ev = { number: rec.number, hash: toHex(rec.hash), expected: toHex(rec.stateRoot), computed: toHex(rec.computedRoot) };
    this.log.error(ev, 'state: block state NOT servable (root mismatch)');
    this.emit('unservable', ev);
  }
}
