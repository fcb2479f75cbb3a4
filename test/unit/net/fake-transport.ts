/**
 * An in-memory LesTransport pair: what one side sends arrives at the other on a later turn of the
 * event loop, as over a socket. Tests can also inject raw messages and see every send and
 * disconnect.
 */
import type { LesVersion } from '../../../src/wire/codes.js';
import type { LesTransport, TransportHandlers } from '../../../src/net/transport.js';

export class FakeTransport implements LesTransport {
  readonly remoteHost = '127.0.0.1';
  readonly remotePort = 30303;
  readonly remoteClientId = 'fake';
  readonly sent: Array<{ code: number; payload: Uint8Array }> = [];
  readonly disconnects: number[] = [];
  other: FakeTransport | undefined;
  #handlers: TransportHandlers | undefined;
  #early: Array<[number, Uint8Array]> = [];
  #closed = false;

  constructor(
    readonly version: LesVersion,
    readonly remoteId: Uint8Array = new Uint8Array(64).fill(7),
  ) {}

  send(code: number, payload: Uint8Array): void {
    if (this.#closed) return;
    this.sent.push({ code, payload });
    const other = this.other;
    if (other !== undefined) setImmediate(() => other.inject(code, payload));
  }

  disconnect(reason: number): void {
    this.disconnects.push(reason);
    if (this.#closed) return;
    this.#closed = true;
    setImmediate(() => this.#handlers?.close(reason, true));
    const other = this.other;
    if (other !== undefined) setImmediate(() => other.remoteClosed(reason));
  }

  attach(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    for (const [code, payload] of this.#early.splice(0)) handlers.message(code, payload);
  }

  /** A message from the remote side. */
  inject(code: number, payload: Uint8Array): void {
    if (this.#closed) return;
    if (this.#handlers === undefined) this.#early.push([code, payload]);
    else this.#handlers.message(code, payload);
  }

  remoteClosed(reason: number | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers?.close(reason, false);
  }
}

export function fakePair(version: LesVersion): [FakeTransport, FakeTransport] {
  const a = new FakeTransport(version, new Uint8Array(64).fill(0xaa));
  const b = new FakeTransport(version, new Uint8Array(64).fill(0xbb));
  a.other = b;
  b.other = a;
  return [a, b];
}

/** Wait until `cond()` holds, polling on the event loop (bounded). */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setImmediate(r));
  }
}
