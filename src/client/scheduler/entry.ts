/**
 * The scheduler's bookkeeping: an Entry is one distinct question (kind + key + routing options)
 * with everyone waiting for its answer; a Message is one request on the wire carrying one or more
 * entries of the same kind to one server.
 */
import type { OdrKind } from '../contracts.js';
import type { SchedulableServer } from './types.js';

// The scheduler carries items of any kind; types are restored at the retrieve() boundary.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKind = OdrKind<any, any>;

export interface Waiter {
  resolve(result: unknown): void;
  reject(error: Error): void;
  /** Clears the waiter's timer and abort listener. */
  cleanup(): void;
}

export class Entry {
  readonly waiters = new Set<Waiter>();
  /** Messages still expected to answer it (live or soft-expired; not written off). */
  readonly outstanding = new Set<Message>();
  /** Servers whose answer to it failed verification, with the error. */
  readonly invalidBy = new Map<string, unknown>();
  /** Servers that left it unanswered, and how often. */
  readonly declinedBy = new Map<string, number>();
  /** Messages that carried it. */
  attempts = 0;
  /** In the scheduler's waiting list. */
  queued = false;
  settled = false;
  /** Since when no server could be asked (undefined while one can). */
  noServerSince: number | undefined;
  readonly units: number;

  constructor(
    readonly kind: AnyKind,
    readonly item: unknown,
    /** Dedup key: kind, item key and routing options. */
    readonly key: string,
    readonly only: string | undefined,
    readonly exclude: ReadonlySet<string>,
  ) {
    this.units = kind.units(item);
  }

  /** The caller's routing options allow this server. */
  allows(serverId: string): boolean {
    return (this.only === undefined || this.only === serverId) && !this.exclude.has(serverId);
  }

  /** A message carrying this entry is still out at that server. */
  outstandingOn(serverId: string): boolean {
    for (const m of this.outstanding) if (m.server.id === serverId) return true;
    return false;
  }
}

export type MessageState = 'live' | 'soft-expired' | 'written-off' | 'done';

export class Message {
  state: MessageState = 'live';
  reqID: bigint | undefined;
  softTimer: unknown;
  /** Set when the kind's encoder threw: the items, not the server, are at fault. */
  buildError: Error | undefined;
  /** Ends the message's p-queue task (frees its concurrency slot). */
  finish: () => void = () => {};

  constructor(
    readonly server: SchedulableServer,
    readonly kind: AnyKind,
    readonly entries: readonly Entry[],
    readonly cost: number,
    readonly sentAt: number,
  ) {}

  /** Still counts towards the concurrency limit and may still be answered usefully. */
  get open(): boolean {
    return this.state === 'live' || this.state === 'soft-expired';
  }
}
