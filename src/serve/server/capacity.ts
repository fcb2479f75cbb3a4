/**
 * The capacity policy (go-ethereum's clientpool, reduced to what free service needs): a total
 * capacity shared by every connected client, and a minimum capacity each one must get. A client
 * that cannot get the minimum is refused at connect. Capacity is MRR in cost units per ms; cost
 * units are nanoseconds of serving time, so 1,000,000 is one serving thread kept busy.
 *
 * Kept apart from flow control and request serving. LesService talks to a pool through `admit`,
 * `release`, `charge` and `attach`; the client pool (src/serve/pool) overrides them to add
 * priority clients (token balances, higher capacities, eviction of the lowest priority).
 */
import { MIN_CAPACITY, type FlowParams, bufferLimit } from '../../flow/index.js';
import { ServeError } from './errors.js';

/** One serving thread's worth of cost units per ms. */
export const DEFAULT_TOTAL_CAPACITY = 1_000_000;

export interface CapacityOptions {
  /** Capacity shared by all connected clients. Default DEFAULT_TOTAL_CAPACITY. */
  total?: number;
  /** Capacity of each free client and the least any client gets. Default MIN_CAPACITY (16,000). */
  min?: number;
}

export interface CapacityAssignment {
  clientId: string;
  capacity: number;
}

/** A client that has completed its handshake: its node id (128 hex) and address. */
export interface ConnectingClient {
  id: string;
  host: string;
}

/** What a pool needs done to connected clients (given by the service in `attach`). */
export interface PoolActions {
  /** Drop a client (it lost its place to a higher-priority one). */
  disconnect(clientId: string): void;
  /** A connected client's capacity changed: tell it and resize its buffer. */
  setCapacity(clientId: string, capacity: number): void;
}

/** BL and MRR for a capacity: MRR = capacity, BL = 6000 ms of it. */
export function flowParamsFor(capacity: number): FlowParams {
  return { bl: bufferLimit(capacity), mrr: capacity };
}

function positiveInt(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ServeError('SERVE_BAD_OPTIONS', `${field} must be a positive integer, got ${value}`, { field });
  }
  return value;
}

export class CapacityPool {
  readonly total: number;
  readonly min: number;
  readonly #assigned = new Map<string, number>();
  #used = 0;

  constructor(options: CapacityOptions = {}) {
    this.total = positiveInt(options.total ?? DEFAULT_TOTAL_CAPACITY, 'capacity.total');
    this.min = positiveInt(options.min ?? MIN_CAPACITY, 'capacity.min');
    if (this.min > this.total) {
      throw new ServeError('SERVE_BAD_OPTIONS', `capacity.min ${this.min} exceeds capacity.total ${this.total}`, { field: 'capacity.min' });
    }
  }

  get used(): number {
    return this.#used;
  }

  get free(): number {
    return this.total - this.#used;
  }

  /** How many more clients at the minimum fit. */
  get freeSlots(): number {
    return Math.floor(this.free / this.min);
  }

  /** Most clients connected at once: as many as fit at the minimum. */
  get maxClients(): number {
    return Math.floor(this.total / this.min);
  }

  /** A client finished its handshake: its capacity, or undefined to refuse it (TooManyPeers). */
  admit(client: ConnectingClient): number | undefined {
    return this.assign(client.id);
  }

  /** `cost` cost units were spent on a client (a served request, a bad request). Free service: nothing to do. */
  charge(_clientId: string, _cost: number): void {}

  attach(_actions: PoolActions): void {}

  /** Persists what must be kept; the store is closed after. */
  async close(): Promise<void> {}

  /** The capacity a connecting client is offered (announced in its Status). Free clients get the minimum. */
  capacityFor(_clientId: string): number {
    return this.min;
  }

  /** Reserves `capacity` for a client; undefined (nothing reserved) when it does not fit. */
  assign(clientId: string, capacity = this.capacityFor(clientId)): number | undefined {
    if (this.#assigned.has(clientId)) return undefined;
    if (capacity < this.min || capacity > this.free) return undefined;
    this.#assigned.set(clientId, capacity);
    this.#used += capacity;
    return capacity;
  }

  /** Changes a connected client's capacity (management); false when it would not fit. */
  setCapacity(clientId: string, capacity: number): boolean {
    const current = this.#assigned.get(clientId);
    if (current === undefined || capacity < this.min || capacity - current > this.free) return false;
    this.#assigned.set(clientId, capacity);
    this.#used += capacity - current;
    return true;
  }

  release(clientId: string): void {
    const current = this.#assigned.get(clientId);
    if (current === undefined) return;
    this.#assigned.delete(clientId);
    this.#used -= current;
  }

  capacityOf(clientId: string): number | undefined {
    return this.#assigned.get(clientId);
  }

  assignments(): CapacityAssignment[] {
    return [...this.#assigned].map(([clientId, capacity]) => ({ clientId, capacity }));
  }
}
