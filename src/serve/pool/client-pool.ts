/**
 * The client pool (issue 6 §1): a CapacityPool that knows who pays. Clients with a positive token
 * balance are priority clients and may be given more than the minimum capacity; everyone else is
 * a free client at the minimum. When the server is full (capacity or the maximum client count),
 * a newcomer takes the place of the lowest-ranked clients below it (rank.ts), or is refused.
 *
 * Connected clients pay continuously: time and capacity × time at their price factors, and the
 * real cost of every request (charges.ts). The pool charges on every event and on a tick; a
 * priority client whose balance reaches zero becomes a free client and drops to the minimum.
 *
 * Balances (balance-store.ts) are read and changed here; `addBalance` resolves only once the new
 * balance is on disk. What connected clients spend is written without sync, every
 * `persistEveryMs` and when they leave.
 */
import { type Clock, systemClock } from '../../flow/index.js';
import type { KvStore } from '../../store/kv.js';
import { CapacityPool, type CapacityOptions, type ConnectingClient, type PoolActions } from '../server/capacity.js';
import { BalanceStore, type NegativeRecord, type PositiveRecord } from './balance-store.js';
import { chargeRequest, chargeTime, positiveLeft } from './charges.js';
import { PoolError } from './errors.js';
import { addressGroup, clientIdOf, plainAddress } from './ids.js';
import { type ClientPrices, DEFAULT_PRICES, MAX_BALANCE, type PriceFactors, applyPrices, parseParams } from './pricing.js';
import { type Rank, compareRank, groupCost, rankOf } from './rank.js';

export interface ClientPoolOptions extends CapacityOptions {
  /** Where balances live (a namespace of the server's store). */
  store: KvStore;
  /** Most clients connected at once. Default: as many as fit at the minimum capacity. */
  maxClients?: number;
  /** Default price factors (API units) for clients connecting from now on. */
  prices?: { positive?: Partial<PriceFactors>; negative?: Partial<PriceFactors> };
  clock?: Clock;
  /** ms between charging ticks; 0: only when `tick()` is called. Default 1000. */
  tickMs?: number;
  /** ms between writes of what connected clients spent. Default 10 000. */
  persistEveryMs?: number;
}

/** One client's entry in les_clientInfo / les_priorityClientInfo (the reference's keys). */
export interface ClientInfo {
  capacity: number;
  connectionTime: number;
  isConnected: boolean;
  'pricing/balance': bigint;
  'pricing/balanceMeta': string;
  'pricing/negBalance': bigint;
  priority: boolean;
}

export interface ServerCapacityInfo {
  freeClientCapacity: number;
  maximumCapacity: number;
  minimumCapacity: number;
  priorityConnectedCapacity: number;
  totalCapacity: number;
  totalConnectedCapacity: number;
}

/** A connected client as the operator commands see it. */
export interface PoolClientView {
  peerId: string;
  id: string;
  ip: string;
  group: string;
  capacity: number;
  priority: boolean;
  rank: Rank;
  balance: bigint;
  negBalance: bigint;
  costUsed: number;
  groupCost: number;
  /** Seconds. */
  connectionTime: number;
  prices: ClientPrices;
}

interface Client {
  peerId: string;
  id: string;
  ip: string;
  group: string;
  capacity: number;
  connectedAt: number;
  lastCharge: number;
  costUsed: number;
  prices: ClientPrices;
  pos: PositiveRecord;
  neg: NegativeRecord;
}

const MIN_AMOUNT = -(1n << 63n);
const MAX_META_BYTES = 4096;

function positiveInt(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new PoolError('POOL_BAD_OPTIONS', `${field} must be a positive integer, got ${value}`, { field });
  return value;
}

export class ClientPool extends CapacityPool {
  readonly balances: BalanceStore;
  readonly stats = { admitted: 0, refused: 0, evicted: 0, demoted: 0, writeErrors: 0 };
  readonly #maxClients: number;
  readonly #clock: Clock;
  readonly #persistEveryMs: number;
  readonly #clients = new Map<string, Client>();
  readonly #byId = new Map<string, Client>();
  /** Capacities set by les_setClientParams, offered again when the client reconnects with a balance. */
  readonly #wanted = new Map<string, number>();
  #defaults: ClientPrices;
  #actions: PoolActions | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #lastPersist: number;

  constructor(options: ClientPoolOptions) {
    super(options);
    this.#maxClients = Math.min(super.maxClients, positiveInt(options.maxClients ?? super.maxClients, 'maxClients'));
    this.balances = new BalanceStore(options.store);
    this.#clock = options.clock ?? systemClock;
    this.#persistEveryMs = options.persistEveryMs ?? 10_000;
    this.#defaults = applyPrices(DEFAULT_PRICES, parseParams(pricesAsParams(options.prices), { capacity: false, min: 0, max: 0 }));
    this.#lastPersist = this.#clock.now();
    const tickMs = options.tickMs ?? 1000;
    if (tickMs > 0) {
      this.#timer = setInterval(() => this.tick(), tickMs);
      this.#timer.unref();
    }
  }

  override get maxClients(): number {
    return this.#maxClients;
  }

  get defaults(): ClientPrices {
    return applyPrices(this.#defaults, { positive: {}, negative: {} });
  }

  override attach(actions: PoolActions): void {
    this.#actions = actions;
  }

  /** Capacity offered in the Status: a capacity set earlier for a client that still has a balance, else the minimum. */
  override capacityFor(peerId: string): number {
    const id = clientIdOf(peerId);
    const wanted = this.#wanted.get(id);
    if (wanted === undefined || this.balances.readPositive(id).balance === 0n) return this.min;
    return Math.min(wanted, this.total);
  }

  override admit(client: ConnectingClient): number | undefined {
    if (this.#clients.has(client.id)) return undefined;
    const now = this.#clock.now();
    this.#chargeAll(now);
    const id = clientIdOf(client.id);
    const ip = plainAddress(client.host);
    const group = addressGroup(client.host);
    const pos = positiveLeft(this.balances.readPositive(id));
    const neg = Number(this.balances.readNegative(ip).balance);
    const cost = groupCost(this.#clients.values(), group, ip);
    const wanted = this.capacityFor(client.id);
    for (const capacity of wanted === this.min ? [wanted] : [wanted, this.min]) {
      const rank = rankOf(pos, neg, capacity, cost);
      const room = this.#makeRoom(capacity, true, rank, undefined);
      if (room === undefined) continue;
      for (const c of room) this.#evict(c);
      const assigned = this.assign(client.id, capacity);
      if (assigned === undefined) break;
      const records = this.balances.pin(id, ip);
      const c: Client = { peerId: client.id, id, ip, group, capacity, connectedAt: now, lastCharge: now, costUsed: 0, prices: this.#defaults, ...records };
      this.#clients.set(client.id, c);
      this.#byId.set(id, c);
      this.stats.admitted++;
      return assigned;
    }
    this.stats.refused++;
    return undefined;
  }

  override release(peerId: string): void {
    const c = this.#clients.get(peerId);
    if (c === undefined) return;
    this.#charge(c, this.#clock.now());
    this.#clients.delete(peerId);
    if (this.#byId.get(c.id) === c) this.#byId.delete(c.id);
    this.#save(c);
    this.balances.unpin(c.id, c.ip);
    super.release(peerId);
  }

  override charge(peerId: string, cost: number): void {
    const c = this.#clients.get(peerId);
    if (c === undefined) return;
    this.#charge(c, this.#clock.now());
    if (chargeRequest(c, cost)) this.#demote(c);
  }

  /** Charges every connected client up to now, demotes those whose balance ran out, persists now and then. */
  tick(): void {
    const now = this.#clock.now();
    this.#chargeAll(now);
    if (now - this.#lastPersist >= this.#persistEveryMs) {
      this.#lastPersist = now;
      for (const c of this.#clients.values()) this.#save(c);
    }
  }

  override async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#chargeAll(this.#clock.now());
    for (const c of this.#clients.values()) this.#save(c);
    await this.balances.flush();
  }

  // ---- the les_* API ----

  serverInfo(): ServerCapacityInfo {
    this.#chargeAll(this.#clock.now());
    let priority = 0;
    for (const c of this.#clients.values()) if (c.pos.balance > 0n) priority += c.capacity;
    return {
      freeClientCapacity: this.min,
      maximumCapacity: this.total,
      minimumCapacity: this.min,
      priorityConnectedCapacity: priority,
      totalCapacity: this.total,
      totalConnectedCapacity: this.used,
    };
  }

  /** Client IDs (64 hex) of connected clients, in connection order. */
  connectedIds(): string[] {
    return [...this.#clients.values()].map((c) => c.id);
  }

  clientInfo(id: string): ClientInfo {
    const now = this.#clock.now();
    const c = this.#byId.get(id);
    if (c !== undefined) {
      // Negative balances are shared by address: bring every client up to now.
      this.#chargeAll(now);
      return {
        capacity: c.capacity,
        connectionTime: (now - c.connectedAt) / 1000,
        isConnected: true,
        'pricing/balance': c.pos.balance,
        'pricing/balanceMeta': c.pos.meta,
        'pricing/negBalance': c.neg.balance,
        priority: c.pos.balance > 0n,
      };
    }
    const pos = this.balances.readPositive(id);
    return { capacity: 0, connectionTime: 0, isConnected: false, 'pricing/balance': pos.balance, 'pricing/balanceMeta': pos.meta, 'pricing/negBalance': 0n, priority: pos.balance > 0n };
  }

  /**
   * Up to `maxCount` IDs with a positive balance in [start, stop) (stop undefined: to the end), in
   * ID order, and the next one beyond them if the count cut the list (`more`).
   */
  async positiveIds(start: string, stop: string | undefined, maxCount: number): Promise<{ ids: string[]; more: string | undefined }> {
    this.#chargeAll(this.#clock.now());
    const inRange = (id: string) => id >= start && (stop === undefined || id < stop);
    // Balances being written are not in the store yet: merge the cached IDs in, in order.
    const cached = this.balances.cachedIds().filter(inRange).sort();
    const stored = this.balances.storedIds(start, stop)[Symbol.asyncIterator]();
    const found: string[] = [];
    let next = await stored.next();
    let ci = 0;
    try {
      while (found.length <= maxCount) {
        const s = next.done === true ? undefined : next.value;
        const k = cached[ci];
        let id: string;
        if (k !== undefined && (s === undefined || k <= s)) {
          id = k;
          ci++;
          if (k === s) next = await stored.next();
        } else if (s !== undefined) {
          id = s;
          next = await stored.next();
        } else break;
        if (this.balances.readPositive(id).balance > 0n) found.push(id);
      }
    } finally {
      await stored.return?.();
    }
    return { ids: found.slice(0, maxCount), more: found[maxCount] };
  }

  /**
   * Adds `amount` (signed) to a client's balance, capped to [0, 2^63 − 1], and sets its meta tag
   * when one is given. Resolves [before, after] once the new balance is on disk.
   */
  async addBalance(id: string, amount: bigint, meta?: string): Promise<[bigint, bigint]> {
    if (typeof amount !== 'bigint' || amount < MIN_AMOUNT || amount > MAX_BALANCE) {
      throw new PoolError('POOL_BAD_PARAM', 'amount: expected an integer in [-2^63, 2^63-1]', { field: 'amount' });
    }
    if (meta !== undefined && (typeof meta !== 'string' || Buffer.byteLength(meta) > MAX_META_BYTES)) {
      throw new PoolError('POOL_BAD_PARAM', `meta: expected a string of at most ${MAX_META_BYTES} bytes`, { field: 'meta' });
    }
    const c = this.#byId.get(id);
    if (c !== undefined) this.#charge(c, this.#clock.now());
    const rec = this.balances.positive(id);
    const before = rec.balance;
    let after = before + amount;
    if (after < 0n) after = 0n;
    if (after > MAX_BALANCE) after = MAX_BALANCE;
    rec.balance = after;
    if (after === 0n || amount !== 0n) rec.carry = 0;
    if (meta !== undefined) rec.meta = meta;
    if (c !== undefined && after === 0n) this.#demote(c);
    await this.balances.savePositive(id, true);
    return [before, after];
  }

  /**
   * les_setClientParams: `capacity` and pricing factors for connected clients (all when `ids` is
   * empty). Everything is checked before anything changes; more capacity is made free by
   * dropping lower-ranked clients, and if it cannot be, nothing changes.
   */
  setClientParams(ids: readonly string[], params: unknown): void {
    const update = parseParams(params, { capacity: true, min: this.min, max: this.total });
    const targets = ids.length === 0 ? [...this.#clients.values()] : ids.map((id, i) => {
      const c = this.#byId.get(id);
      if (c === undefined) throw new PoolError('POOL_NOT_CONNECTED', `ids[${i}]: client ${id} is not connected`, { field: `ids[${i}]` });
      return c;
    });
    const unique = [...new Set(targets)];
    const now = this.#clock.now();
    for (const c of unique) this.#charge(c, now);
    const capacity = update.capacity;
    let room: Client[] = [];
    if (capacity !== undefined) {
      for (const c of unique) {
        if (capacity > this.min && c.pos.balance === 0n) {
          throw new PoolError('POOL_BAD_PARAM', `capacity: client ${c.id} is not a priority client (no positive balance)`, { field: 'capacity' });
        }
      }
      const extra = unique.reduce((sum, c) => sum + Math.max(0, capacity - c.capacity), 0);
      if (extra > 0) {
        const lowest = unique.map((c) => this.#rankAt(c, capacity)).sort(compareRank)[0] as Rank;
        const found = this.#makeRoom(extra, false, lowest, new Set(unique));
        if (found === undefined) {
          throw new PoolError('POOL_NO_CAPACITY', `capacity: ${extra} more capacity cannot be made free (free ${this.free})`, { field: 'capacity' });
        }
        room = found;
      }
    }
    for (const c of room) this.#evict(c);
    for (const c of unique) {
      c.prices = applyPrices(c.prices, update);
      if (capacity !== undefined) {
        this.#wanted.set(c.id, capacity);
        this.#resize(c, capacity);
      }
    }
  }

  /** les_setDefaultParams: pricing factors for clients that connect from now on. */
  setDefaultParams(params: unknown): void {
    this.#defaults = applyPrices(this.#defaults, parseParams(params, { capacity: false, min: this.min, max: this.total }));
  }

  // ---- operator views ----

  clients(): PoolClientView[] {
    const now = this.#clock.now();
    this.#chargeAll(now);
    return [...this.#clients.values()].map((c) => {
      const gc = groupCost(this.#clients.values(), c.group, c.ip);
      return {
        peerId: c.peerId,
        id: c.id,
        ip: c.ip,
        group: c.group,
        capacity: c.capacity,
        priority: c.pos.balance > 0n,
        rank: rankOf(positiveLeft(c.pos), Number(c.neg.balance), c.capacity, gc),
        balance: c.pos.balance,
        negBalance: c.neg.balance,
        costUsed: c.costUsed,
        groupCost: gc,
        connectionTime: (now - c.connectedAt) / 1000,
        prices: applyPrices(c.prices, { positive: {}, negative: {} }),
      };
    });
  }

  // ---- internals ----

  #rank(c: Client): Rank {
    return this.#rankAt(c, c.capacity);
  }

  #rankAt(c: Client, capacity: number): Rank {
    return rankOf(positiveLeft(c.pos), Number(c.neg.balance), capacity, groupCost(this.#clients.values(), c.group, c.ip));
  }

  /**
   * The clients ranked below `rank` to drop (lowest first) so that `capacity` more fits (and one
   * more client, with `slot`); [] when it fits already; undefined when dropping all of them is not enough.
   */
  #makeRoom(capacity: number, slot: boolean, rank: Rank, keep: Set<Client> | undefined): Client[] | undefined {
    let free = this.free;
    let count = this.#clients.size;
    const fits = () => free >= capacity && (!slot || count < this.#maxClients);
    if (fits()) return [];
    const lower = [...this.#clients.values()]
      .filter((c) => keep === undefined || !keep.has(c))
      .map((c) => ({ c, r: this.#rank(c) }))
      .filter((x) => compareRank(x.r, rank) < 0)
      .sort((a, b) => compareRank(a.r, b.r));
    const out: Client[] = [];
    for (const { c } of lower) {
      out.push(c);
      free += c.capacity;
      count--;
      if (fits()) return out;
    }
    return undefined;
  }

  #evict(c: Client): void {
    this.release(c.peerId);
    this.stats.evicted++;
    this.#actions?.disconnect(c.peerId);
  }

  #chargeAll(now: number): void {
    for (const c of [...this.#clients.values()]) this.#charge(c, now);
  }

  #charge(c: Client, now: number): void {
    const ms = now - c.lastCharge;
    if (ms <= 0) return;
    c.lastCharge = now;
    if (chargeTime(c, ms)) this.#demote(c);
  }

  /** A priority client whose balance ran out: a free client at the minimum capacity from now on. */
  #demote(c: Client): void {
    if (c.capacity <= this.min || !this.#clients.has(c.peerId)) return;
    this.stats.demoted++;
    this.#resize(c, this.min);
  }

  #resize(c: Client, capacity: number): void {
    if (capacity === c.capacity) return;
    if (!this.setCapacity(c.peerId, capacity)) return;
    c.capacity = capacity;
    this.#actions?.setCapacity(c.peerId, capacity);
  }

  #save(c: Client): void {
    const failed = () => {
      this.stats.writeErrors++;
    };
    this.balances.savePositive(c.id, false).catch(failed);
    this.balances.saveNegative(c.ip, false).catch(failed);
  }
}

/** Pool options' default prices as a parameter object, so they are checked like the API's. */
function pricesAsParams(prices: ClientPoolOptions['prices']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [side, prefix] of [['positive', 'pricing/'], ['negative', 'pricing/negative/']] as const) {
    for (const [k, v] of Object.entries(prices?.[side] ?? {})) if (v !== undefined) out[`${prefix}${k}`] = v;
  }
  return out;
}
