/**
 * Servers found through discv4 (net/discovery.ts), dialed besides the configured ones: at most
 * `maxServers` at a time, each dialed once and forgotten when that dial fails or that connection
 * ends (the pool's 'discovered' origin), then left alone for a while that grows with each failure.
 * discv4 says nothing of capabilities, so a node that turns out not to speak LES on our network
 * fails its dial (RLPx Hello or Status) and takes that backoff too.
 *
 * Discovered servers are untrusted, as addnode ones are: they answer requests (every answer is
 * verified) but their heads are no vote. The one exception is a node whose id the user listed as
 * trusted: trust is in the key, which RLPx authenticates, not in how its address was learnt.
 */
import { Discovery, type DiscoveredNode, type DiscoveryStats } from '../../net/discovery.js';
import type { Logger } from '../scheduler/types.js';

export const DEFAULT_MAX_DISCOVERED = 8;
const RETRY_MS = 60_000;
const MAX_RETRY_MS = 3_600_000;
/** Nodes whose failures are remembered; the oldest are forgotten past this. */
const MAX_REMEMBERED = 4096;

export interface DiscoveryOptions {
  /** enode URLs of the discovery bootnodes. */
  bootnodes: readonly string[];
  /** UDP bind address. Default 127.0.0.1. */
  host?: string;
  /** UDP port. Default 0 (a free one). */
  port?: number;
  /** Most discovered servers dialed or connected at a time. Default DEFAULT_MAX_DISCOVERED (8). */
  maxServers?: number;
  /** discv4 table refresh, ms (the net default when absent). */
  refreshMs?: number;
}

/** What of the pool this needs. */
export interface DiscoveredSink {
  has(id: string): boolean;
  addDiscovered(enode: string, trusted: boolean): void;
  /** Discovered entries in the pool now. */
  discoveredCount(): number;
}

export class DiscoveredServers {
  readonly discovery: Discovery;
  readonly #sink: DiscoveredSink;
  readonly #max: number;
  readonly #trusted: ReadonlySet<string>;
  readonly #log: Logger;
  /** id → [failures, not before (ms since the epoch)]. */
  readonly #backoff = new Map<string, [number, number]>();
  readonly #ours = new Set<string>();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: DiscoveryOptions, o: { privateKey: Uint8Array; sink: DiscoveredSink; trusted: ReadonlySet<string>; logger: Logger }) {
    const max = options.maxServers ?? DEFAULT_MAX_DISCOVERED;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`discovery.maxServers must be an integer ≥ 0, got ${max}`);
    this.#max = max;
    this.#sink = o.sink;
    this.#trusted = o.trusted;
    this.#log = o.logger;
    this.discovery = new Discovery({
      privateKey: o.privateKey,
      host: options.host,
      port: options.port,
      tcpPort: null, // a light client accepts no connections
      bootnodes: options.bootnodes,
      refreshMs: options.refreshMs,
      log: o.logger,
    });
    this.discovery.on('node', (n) => this.#offer(n));
  }

  async start(): Promise<void> {
    await this.discovery.start();
    // Nodes already in the table whose backoff ran out get no new 'node' event: offered again here.
    this.#timer = setInterval(() => this.#fill(), RETRY_MS / 4);
    this.#timer.unref();
  }

  close(): Promise<void> {
    clearInterval(this.#timer);
    return this.discovery.close();
  }

  stats(): DiscoveryStats & { dialing: number; maxServers: number } {
    return { ...this.discovery.stats(), dialing: this.#sink.discoveredCount(), maxServers: this.#max };
  }

  /** The pool forgot a discovered server (its dial failed or its connection ended): back off, fill the slot. */
  forgotten(id: string, failed: boolean): void {
    if (!this.#ours.delete(id)) return;
    const [failures] = this.#backoff.get(id) ?? [0, 0];
    const n = failed ? failures + 1 : 0;
    this.#backoff.delete(id); // re-inserted last: the Map's order is the forgetting order
    this.#backoff.set(id, [n, Date.now() + (n === 0 ? RETRY_MS : Math.min(MAX_RETRY_MS, RETRY_MS * 2 ** (n - 1)))]);
    if (this.#backoff.size > MAX_REMEMBERED) this.#backoff.delete(this.#backoff.keys().next().value as string);
    this.#fill();
  }

  #fill(): void {
    for (const node of this.discovery.nodes()) if (!this.#offer(node)) break;
  }

  /** Dials `node` when there is room and nothing speaks against it; false when there is no room. */
  #offer(node: DiscoveredNode): boolean {
    if (this.#sink.discoveredCount() >= this.#max) return false;
    if (this.#sink.has(node.id)) return true;
    const wait = this.#backoff.get(node.id);
    if (wait !== undefined && wait[1] > Date.now()) return true;
    this.#ours.add(node.id);
    const trusted = this.#trusted.has(node.id);
    this.#log.info({ server: node.id.slice(0, 16), at: `${node.host}:${node.tcpPort}`, trusted }, 'dialing a discovered server');
    this.#sink.addDiscovered(node.enode, trusted);
    return true;
  }
}
