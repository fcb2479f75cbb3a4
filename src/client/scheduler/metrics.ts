/**
 * Counters the proxy publishes (prom-client, later): per kind, what happened to callers' items and
 * to the messages that carried them; per server, the flow estimate, score and round trip.
 * Plain numbers, snapshot as plain objects.
 */
import type { SchedulableServer } from './types.js';

/** What a caller got. */
export const ITEM_OUTCOMES = ['ok', 'no-server', 'verification-failed', 'timeout', 'aborted', 'error', 'closed'] as const;
export type ItemOutcome = (typeof ITEM_OUTCOMES)[number];

/** What became of a message on the wire. */
export const MESSAGE_OUTCOMES = ['valid', 'invalid', 'hard-timeout', 'soft-timeout', 'stopped', 'closed', 'failed'] as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];

export interface KindMetrics {
  /** retrieve() calls by outcome (a deduplicated call counts like any other). */
  items: Record<ItemOutcome, number>;
  /** retrieve() calls that joined a question already being asked. */
  deduplicated: number;
  messagesSent: number;
  /** Items carried, summed over messages (an item asked twice counts twice). */
  itemsSent: number;
  messages: Record<MessageOutcome, number>;
  /** Items a verified reply left unanswered (asked again). */
  unanswered: number;
}

export interface ServerMetrics {
  id: string;
  ble: number;
  bl: number;
  mrr: number;
  stopped: boolean;
  score: number;
  rttMs: number;
  /** Messages of ours still open there. */
  inFlight: number;
}

export interface SchedulerMetricsSnapshot {
  kinds: Record<string, KindMetrics>;
  servers: ServerMetrics[];
  /** Replies that failed OdrKind.verify, all kinds. */
  verificationFailures: number;
  /** Times an item was held back because the chosen server's buffer estimate did not cover it yet. */
  flowWaits: number;
  /** Items waiting to be sent. */
  waiting: number;
  /** Messages open. */
  inFlight: number;
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

export class SchedulerMetrics {
  readonly #kinds = new Map<string, KindMetrics>();
  verificationFailures = 0;
  flowWaits = 0;

  kind(name: string): KindMetrics {
    let k = this.#kinds.get(name);
    if (k === undefined) {
      k = { items: zeros(ITEM_OUTCOMES), deduplicated: 0, messagesSent: 0, itemsSent: 0, messages: zeros(MESSAGE_OUTCOMES), unanswered: 0 };
      this.#kinds.set(name, k);
    }
    return k;
  }

  item(kind: string, outcome: ItemOutcome): void {
    this.kind(kind).items[outcome]++;
  }

  message(kind: string, outcome: MessageOutcome): void {
    this.kind(kind).messages[outcome]++;
  }

  snapshot(servers: readonly SchedulableServer[], inFlightOf: (id: string) => number, waiting: number, inFlight: number): SchedulerMetricsSnapshot {
    const kinds: Record<string, KindMetrics> = {};
    for (const [name, k] of this.#kinds) {
      kinds[name] = { ...k, items: { ...k.items }, messages: { ...k.messages } };
    }
    return {
      kinds,
      servers: servers.map((s) => ({
        id: s.id,
        ble: s.flow.ble,
        bl: s.flow.bl,
        mrr: s.flow.mrr,
        stopped: s.flow.stopped,
        score: s.score,
        rttMs: s.rttMs,
        inFlight: inFlightOf(s.id),
      })),
      verificationFailures: this.verificationFailures,
      flowWaits: this.flowWaits,
      waiting,
      inFlight,
    };
  }
}
