/**
 * The devnet's beacon chain. anvil has none, so one is made beside it: slot 0 at anvil's genesis
 * timestamp, a slot every `secondsPerSlot` by the wall clock (the clock a light client checks
 * signature slots against), and at each slot where anvil has a new head a beacon block whose
 * execution payload header carries that head's real hash and number. Its state finalizes the
 * latest block at least `finalityDelaySlots` back; a real sync committee of deterministic keys
 * (rotating every period) signs each block at the next slot, which is when its update, finality
 * update and optimistic update are published.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import {
  type BeaconConfig,
  type LightClientBootstrap,
  type LightClientFinalityUpdate,
  type LightClientOptimisticUpdate,
  type LightClientUpdate,
  MAINNET_PRESET,
  MINIMAL_PRESET,
  beaconConfig,
  periodAtSlot,
} from '../../verify/beacon/index.js';
import { SyntheticBeaconChain } from './chain.js';

export type DevnetBeaconPreset = 'minimal' | 'mainnet';

export interface DevnetBeaconOptions {
  /** The committee's preset: 'mainnet' (512 keys, the default) or 'minimal' (32 keys, 64-slot periods). */
  preset?: DevnetBeaconPreset;
  /** Seconds per slot (default 1). */
  secondsPerSlot?: number;
  /** A block's state finalizes the latest block at least this many slots older (default two epochs). */
  finalityDelaySlots?: number;
  /** Blocks kept for bootstraps (default 4096 slots). */
  keepSlots?: number;
}

/** What the chain reads from its execution node. */
export interface ExecutionNode {
  call<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
const MAX_PERIODS_KEPT = 128;

/** The devnet beacon chain's config: every fork up to electra from genesis, the validators root derived from the execution genesis hash. */
export function devnetBeaconConfig(genesis: { hash: string; timestamp: number }, preset: DevnetBeaconPreset = 'mainnet', secondsPerSlot = 1): BeaconConfig {
  const version = (n: number) => Uint8Array.of(n, 0, 0, 0x1e);
  return beaconConfig({
    preset: preset === 'mainnet' ? MAINNET_PRESET : MINIMAL_PRESET,
    genesisValidatorsRoot: keccak256(new TextEncoder().encode(`lesp devnet beacon ${genesis.hash}`)),
    genesisTime: genesis.timestamp,
    secondsPerSlot,
    forks: (['phase0', 'altair', 'bellatrix', 'capella', 'deneb', 'electra'] as const).map((name, i) => ({ name, version: version(i), epoch: 0n })),
  });
}

export interface DevnetBeaconHeads {
  slot: bigint;
  blockNumber: number;
  blockHash: string;
}

export class DevnetBeacon {
  readonly config: BeaconConfig;
  readonly chain: SyntheticBeaconChain;
  readonly #node: ExecutionNode;
  readonly #finalityDelay: bigint;
  readonly #keep: bigint;
  readonly #slotsByRoot = new Map<string, bigint>();
  /** Slots of the blocks kept, ascending. */
  readonly #slots: bigint[] = [];
  readonly #bestByPeriod = new Map<bigint, LightClientUpdate>();
  #lastHash = '';
  #latest: { update: LightClientUpdate; finality: LightClientFinalityUpdate; optimistic: LightClientOptimisticUpdate } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #checkpoint: Uint8Array | undefined;
  #lastError: Error | undefined;

  private constructor(node: ExecutionNode, config: BeaconConfig, o: DevnetBeaconOptions) {
    this.#node = node;
    this.config = config;
    this.chain = new SyntheticBeaconChain(config);
    this.#finalityDelay = BigInt(o.finalityDelaySlots ?? 2 * config.preset.SLOTS_PER_EPOCH);
    this.#keep = BigInt(o.keepSlots ?? 4096);
  }

  /** A beacon chain over `node` from its genesis timestamp, with its first block (the checkpoint) at the current slot. */
  static async create(node: ExecutionNode, o: DevnetBeaconOptions = {}): Promise<DevnetBeacon> {
    const genesis = await node.call<{ hash: string; timestamp: string }>('eth_getBlockByNumber', ['0x0', false]);
    const config = devnetBeaconConfig({ hash: genesis.hash, timestamp: Number(genesis.timestamp) }, o.preset, o.secondsPerSlot);
    const beacon = new DevnetBeacon(node, config, o);
    // Slot 0 is the genesis slot, whose block a light client takes as no finality at all.
    const { genesisTime = 0, secondsPerSlot = 1 } = config;
    const wait = (genesisTime + secondsPerSlot) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 5));
    await beacon.tick();
    return beacon;
  }

  /** The wall-clock slot. */
  currentSlot(): bigint {
    const { genesisTime = 0, secondsPerSlot = 1 } = this.config;
    return BigInt(Math.max(0, Math.floor((Date.now() / 1000 - genesisTime) / secondsPerSlot)));
  }

  /** The root of the chain's first block: a light client's checkpoint. */
  get checkpoint(): string {
    return hex(this.#checkpoint as Uint8Array);
  }

  /** The newest block's slot and execution block. */
  head(): DevnetBeaconHeads {
    const slot = this.#slots.at(-1) as bigint;
    const e = this.chain.bootstrap(slot).header.execution;
    return { slot, blockNumber: Number(e.block_number), blockHash: hex(e.block_hash) };
  }

  /** The newest signed update's attested and finalized blocks, if any. */
  signed(): { attested: DevnetBeaconHeads; finalized: DevnetBeaconHeads } | undefined {
    const u = this.#latest?.update;
    if (u === undefined) return undefined;
    const h = (x: LightClientUpdate['attested_header']) => ({ slot: x.beacon.slot, blockNumber: Number(x.execution.block_number), blockHash: hex(x.execution.block_hash) });
    return { attested: h(u.attested_header), finalized: h(u.finalized_header) };
  }

  get lastError(): Error | undefined {
    return this.#lastError;
  }

  /** Ticks at every slot boundary until stop(). */
  start(): void {
    if (this.#timer !== undefined) return;
    const { genesisTime = 0, secondsPerSlot = 1 } = this.config;
    const schedule = () => {
      const ms = secondsPerSlot * 1000;
      const wait = ms - ((Date.now() - genesisTime * 1000) % ms) + 5;
      this.#timer = setTimeout(() => {
        this.#ticking = this.#ticking.then(() => this.tick()).catch((err: unknown) => void (this.#lastError = err as Error));
        schedule();
      }, wait);
      this.#timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /**
   * One slot: the newest block is signed at this slot (its updates published), then a block is
   * added at this slot if anvil has a new head. Idempotent within a slot.
   */
  async tick(): Promise<void> {
    const slot = this.currentSlot();
    const last = this.#slots.at(-1);
    if (slot === 0n || (last !== undefined && slot <= last)) return;
    const head = await this.#node.call<{ hash: string; number: string }>('eth_getBlockByNumber', ['latest', false]);
    if (last !== undefined && this.#latest?.update.signature_slot !== slot && this.#hasFinality(last)) this.#sign(last, slot);
    if (head.hash === this.#lastHash) return;
    this.#lastHash = head.hash;
    const finalized = this.#finalizedFor(slot);
    this.chain.addBlock(slot, finalized, { block_hash: bytes(head.hash), block_number: BigInt(head.number), timestamp: BigInt(this.config.genesisTime ?? 0) + slot });
    this.#slots.push(slot);
    this.#slotsByRoot.set(hex(this.chain.root(slot)), slot);
    this.#checkpoint ??= this.chain.root(slot);
    this.#prune(slot);
  }

  #hasFinality(slot: bigint): boolean {
    return this.#slots.indexOf(slot) > 0;
  }

  /** The newest kept block at least finalityDelay slots before `slot`, else the first block (undefined for the first block itself). */
  #finalizedFor(slot: bigint): bigint | undefined {
    if (this.#slots.length === 0) return undefined;
    let at = this.#slots[0] as bigint;
    for (const s of this.#slots) if (s + this.#finalityDelay <= slot) at = s;
    return at;
  }

  #sign(attested: bigint, signatureSlot: bigint): void {
    const update = this.chain.update(attested, signatureSlot);
    const { next_sync_committee: _n, next_sync_committee_branch: _b, ...finality } = update;
    const optimistic = { attested_header: update.attested_header, sync_aggregate: update.sync_aggregate, signature_slot: signatureSlot };
    this.#latest = { update, finality, optimistic };
    const period = periodAtSlot(this.config, attested);
    if (period === periodAtSlot(this.config, signatureSlot)) this.#bestByPeriod.set(period, update);
  }

  #prune(slot: bigint): void {
    const keepFrom = slot - this.#keep;
    // The checkpoint block stays: the devnet names it as the light client's start.
    while (this.#slots.length > 2 && (this.#slots[1] as bigint) < keepFrom) {
      const gone = this.#slots.splice(1, 1)[0] as bigint;
      this.#slotsByRoot.delete(hex(this.chain.root(gone)));
      this.chain.forget(gone);
    }
    for (const p of this.#bestByPeriod.keys()) if (this.#bestByPeriod.size > MAX_PERIODS_KEPT) this.#bestByPeriod.delete(p);
  }

  /** The bootstrap of a kept block, by its root. */
  bootstrap(root: string): LightClientBootstrap | undefined {
    const slot = this.#slotsByRoot.get(root.toLowerCase());
    return slot === undefined ? undefined : this.chain.bootstrap(slot);
  }

  /** The best (latest) update of each period from `start`, at most `count`, in period order. */
  updates(start: bigint, count: number): LightClientUpdate[] {
    const out: LightClientUpdate[] = [];
    for (let p = start; p < start + BigInt(count); p++) {
      const u = this.#bestByPeriod.get(p);
      if (u !== undefined) out.push(u);
    }
    return out;
  }

  finalityUpdate(): LightClientFinalityUpdate | undefined {
    return this.#latest?.finality;
  }

  optimisticUpdate(): LightClientOptimisticUpdate | undefined {
    return this.#latest?.optimistic;
  }

  /** The newest block that has been signed (the attested block of the newest updates). */
  signedSlot(): bigint | undefined {
    return this.#latest?.update.attested_header.beacon.slot;
  }
}
