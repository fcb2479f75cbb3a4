/**
 * A Retriever for tests of the ODR kinds, the Odr facade and the header chain: no scheduler, no
 * network. Each fake server is a ServerView plus a handler that receives the encoded LES request
 * (what OdrKind.encode built) and returns the encoded reply payload (built by the test with the
 * src/wire encoders). `retrieve` asks capable servers in order, verifies each reply with the kind,
 * and moves to the next server on a bad or empty reply — the minimum of what the scheduler does.
 * Every message is logged, so tests can assert which requests were (not) made.
 */
import type { OdrKind, Retriever, RetrieveOptions, ServeCapabilities, ServerView } from '../../src/client/contracts.js';
import type { LesVersion } from '../../src/wire/codes.js';
import { publicKeyOf } from '../../src/verify/signature.js';

/** Answers one request payload with a reply payload. Throwing = the server did not answer. */
export type Handler = (code: number, request: Uint8Array, server: FakeServer) => Uint8Array | Promise<Uint8Array>;

export interface FakeServerInit {
  /** The node key: id = its 64-byte public key in hex. Default: a key from `seed`. */
  key?: Uint8Array;
  seed?: number;
  trusted?: boolean;
  head?: { hash: Uint8Array; number: number; td: bigint };
  caps?: Partial<ServeCapabilities>;
  handler: Handler;
}

export const FULL_CAPS: ServeCapabilities = {
  serveHeaders: true,
  serveChainSince: 0,
  serveStateSince: 0,
  txRelay: true,
  recentTxLookup: 0,
};

export function keyFromSeed(seed: number): Uint8Array {
  const k = new Uint8Array(32);
  k[31] = seed & 0xff;
  k[30] = (seed >> 8) & 0xff;
  k[0] = 0x42;
  return k;
}

export class FakeServer implements ServerView {
  readonly id: string;
  readonly key: Uint8Array;
  readonly version: LesVersion = 4;
  trusted: boolean;
  head: { hash: Uint8Array; number: number; td: bigint };
  caps: ServeCapabilities;
  score = 1;
  rttMs = 1;
  handler: Handler;

  constructor(init: FakeServerInit) {
    this.key = init.key ?? keyFromSeed(init.seed ?? 1);
    this.id = Buffer.from(publicKeyOf(this.key)).toString('hex');
    this.trusted = init.trusted ?? false;
    this.head = init.head ?? { hash: new Uint8Array(32), number: Number.MAX_SAFE_INTEGER, td: 0n };
    this.caps = { ...FULL_CAPS, ...init.caps };
    this.handler = init.handler;
  }
}

export interface LogEntry {
  server: string;
  kind: string;
  code: number;
  items: number;
}

export class NoAnswerError extends Error {
  constructor(kind: string, readonly errors: unknown[]) {
    super(`no server answered ${kind} (${errors.length} bad replies)`);
  }
}

export class FakeRetriever implements Retriever {
  readonly list: FakeServer[] = [];
  readonly log: LogEntry[] = [];
  /** Replies a kind refused (VerificationError / ProtocolError), with the server that sent them. */
  readonly rejected: Array<{ server: string; kind: string; error: unknown }> = [];
  private nextReqId = 1n;

  constructor(servers: FakeServer[] = []) {
    this.list.push(...servers);
  }

  add(server: FakeServer): FakeServer {
    this.list.push(server);
    return server;
  }

  remove(id: string): void {
    const i = this.list.findIndex((s) => s.id === id);
    if (i >= 0) this.list.splice(i, 1);
  }

  servers(): readonly ServerView[] {
    return this.list;
  }

  /** Messages sent, optionally only those of one kind. */
  sent(kind?: string): LogEntry[] {
    return kind === undefined ? this.log : this.log.filter((e) => e.kind === kind);
  }

  /** One message for a batch of items to one server; the kind's verify result, or its error. */
  async ask<I, R>(server: FakeServer, kind: OdrKind<I, R>, items: readonly I[]): Promise<Array<R | undefined>> {
    const reqID = this.nextReqId++;
    this.log.push({ server: server.id, kind: kind.name, code: kind.code, items: items.length });
    const reply = await server.handler(kind.code, kind.encode(reqID, items), server);
    return kind.verify(items, reply);
  }

  async retrieve<I, R>(kind: OdrKind<I, R>, item: I, options: RetrieveOptions = {}): Promise<R> {
    const candidates = this.list.filter(
      (s) => (options.server === undefined || s.id === options.server) && !options.exclude?.has(s.id) && kind.canServe(s, item),
    );
    const errors: unknown[] = [];
    for (const s of candidates) {
      try {
        const [result] = await this.ask(s, kind, [item]);
        if (result !== undefined) return result;
      } catch (error) {
        errors.push(error);
        this.rejected.push({ server: s.id, kind: kind.name, error });
      }
    }
    throw new NoAnswerError(kind.name, errors);
  }
}
