/**
 * A small LES server for the client's integration tests: a src/net LesNode in server role on
 * 127.0.0.1 that charges every request to a real src/flow ClientBuffer per client (BL, MRR and an
 * MRC table of the test's choosing) and answers with whatever `answer` computes. It sends StopMsg
 * on a buffer underrun (les/3+) exactly as a real server would, and can be told to misbehave:
 * delay, drop, lie, send garbage, stop and resume, flood StopMsg/ResumeMsg, announce heads with
 * good, forged or missing signatures.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { type NetworkConfig, forkIdAt } from '../../src/config/network.js';
import { ClientBuffer, type MaxRequestCost, maxCost } from '../../src/flow/index.js';
import { type IncomingRequest, LesNode, type LesPeer } from '../../src/net/index.js';
import { signAnnounce } from '../../src/verify/announce-signature.js';
import { type Announce, encodeAnnounce } from '../../src/wire/announce.js';
import { Code, type LesVersion, REPLY_OF } from '../../src/wire/codes.js';
import { type RlpItem, encodeRlp, encodeUint, readBytes, readList, readUint } from '../../src/wire/rlp.js';
import type { Status } from '../../src/wire/status.js';
import { encodeResumeMsg, encodeStopMsg } from '../../src/wire/stop-resume.js';

/** Computes the reply data for a request's data; `lie` asks for a wrong answer. */
export type Answerer = (code: number, data: RlpItem, ctx: { lie: boolean }) => RlpItem;

export interface FakeLesServerOptions {
  network: NetworkConfig;
  genesisHash: Uint8Array;
  answer: Answerer;
  head?: { hash: Uint8Array; number: number; td: bigint };
  bl?: number;
  mrr?: number;
  mrc?: MaxRequestCost[];
  versions?: LesVersion[];
  /** Real cost charged, as a fraction of the max cost (the rest is refunded). Default 0.5. */
  realCostFraction?: number;
  /** Node key (a fresh one by default): the same key and port make a restarted server. */
  privateKey?: Uint8Array;
  /** Port to listen on (0: a free one). */
  port?: number;
}

export interface Behaviour {
  /** Delay before replying, ms. */
  delayMs: number;
  /** Never reply (the request is still charged). */
  drop: boolean;
  /** Answer wrongly (the Answerer decides how). */
  lie: boolean;
  /** Reply with a valid envelope around data that decodes to nothing sensible. */
  garbage: boolean;
}

export interface FakeServerStats {
  requests: number;
  replies: number;
  /** StopMsg sent because a client's buffer ran short: a flow-control breach by the client. */
  underruns: number;
  /** StopMsg sent for any reason (underrun, stop(), flood). */
  stopsSent: number;
  resumesSent: number;
  /** Requests that arrived between our StopMsg and ResumeMsg (dropped unanswered). */
  droppedWhileStopped: number;
  /** Lowest BV any client's buffer fell to after accepting a request, as a fraction of BL. */
  lowestBvFraction: number;
  /** Items asked, over all requests. */
  items: number;
}

interface Client {
  peer: LesPeer;
  buffer: ClientBuffer;
  resumeTimer?: ReturnType<typeof setTimeout>;
}

/**
 * The answer a test can check without trusting the server: for each 32-byte item of a GetReceipts
 * request, keccak256 of it (a liar flips the first byte).
 */
export const keccakAnswerer: Answerer = (_code, data, { lie }) =>
  readList(data, 'GetReceipts', 'hashes').map((h, i) => {
    const out = keccak256(readBytes(h, 'GetReceipts', `hashes[${i}]`, { len: 32 }));
    if (lie) out[0] = (out[0] as number) ^ 0xff;
    return out;
  });

export const TEST_MRC: MaxRequestCost[] = [
  { code: Code.GetBlockHeaders, baseCost: 10_000, reqCost: 1_000 },
  { code: Code.GetReceipts, baseCost: 0, reqCost: 1_000 },
];

export class FakeLesServer {
  readonly privateKey: Uint8Array;
  readonly node: LesNode;
  readonly behaviour: Behaviour = { delayMs: 0, drop: false, lie: false, garbage: false };
  readonly stats: FakeServerStats = {
    requests: 0,
    replies: 0,
    underruns: 0,
    stopsSent: 0,
    resumesSent: 0,
    droppedWhileStopped: 0,
    lowestBvFraction: 1,
    items: 0,
  };
  head: { hash: Uint8Array; number: number; td: bigint };
  readonly bl: number;
  readonly mrr: number;
  readonly mrc: MaxRequestCost[];
  readonly #clients = new Map<LesPeer, Client>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #flood: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: FakeLesServerOptions) {
    this.privateKey = options.privateKey ?? secp256k1.utils.randomPrivateKey();
    this.head = options.head ?? { hash: new Uint8Array(32).fill(0xaa), number: 1_000, td: 1_000_000n };
    this.mrr = options.mrr ?? 16_000;
    this.bl = options.bl ?? 6_000 * this.mrr;
    this.mrc = options.mrc ?? TEST_MRC;
    this.node = new LesNode({ role: 'server', status: () => this.#status(), privateKey: this.privateKey, versions: options.versions });
    this.node.on('peer', (peer) => this.#onPeer(peer));
  }

  /** Listens on 127.0.0.1 (a free port); returns the enode URL. */
  async start(): Promise<string> {
    await this.node.listen(this.options.port ?? 0, '127.0.0.1');
    return this.node.enode;
  }

  get enode(): string {
    return this.node.enode;
  }

  get id(): string {
    return Buffer.from(this.node.id).toString('hex');
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** StopMsg to every client now; their requests are dropped until resume(). */
  stop(): void {
    for (const c of this.#clients.values()) {
      c.buffer.stop();
      this.#send(c, Code.StopMsg, encodeStopMsg());
      this.stats.stopsSent++;
    }
  }

  resume(): void {
    for (const c of this.#clients.values()) this.#resume(c);
  }

  /** StopMsg then ResumeMsg to every client every `intervalMs` until stopFlood(). */
  flood(intervalMs: number): void {
    this.stopFlood();
    this.#flood = setInterval(() => {
      this.stop();
      this.#later(() => this.resume(), Math.max(1, intervalMs / 2));
    }, intervalMs);
  }

  stopFlood(): void {
    clearInterval(this.#flood);
    this.#flood = undefined;
  }

  /** Announce a new head; `sign`: by our node key, by another key, or unsigned. */
  announce(head: { hash: Uint8Array; number: number; td: bigint }, sign: 'valid' | 'forged' | 'none' = 'valid', updates: Announce['updates'] = []): void {
    const fields = { headHash: head.hash, headNumber: head.number, headTd: head.td };
    const a: Announce = { ...fields, reorgDepth: 0, updates };
    if (sign !== 'none') a.signature = signAnnounce(sign === 'valid' ? this.privateKey : secp256k1.utils.randomPrivateKey(), fields);
    this.head = head;
    for (const c of this.#clients.values()) this.#send(c, Code.Announce, encodeAnnounce(a));
  }

  /** Sends `payload` as it is under `code` to every client (a reply no one asked for, say). */
  sendRaw(code: number, payload: Uint8Array): number {
    let sent = 0;
    for (const c of this.#clients.values()) {
      if (c.peer.state !== 'open') continue;
      c.peer.send(code, payload);
      sent++;
    }
    return sent;
  }

  async close(): Promise<void> {
    this.stopFlood();
    for (const t of this.#timers) clearTimeout(t);
    for (const c of this.#clients.values()) clearTimeout(c.resumeTimer);
    await this.node.close();
  }

  #status(): Status {
    const { network, genesisHash } = this.options;
    return {
      protocolVersion: 4,
      networkId: network.networkId,
      headTd: this.head.td,
      headHash: this.head.hash,
      headNum: this.head.number,
      genesisHash,
      forkID: forkIdAt(network, genesisHash, this.head.number, 0),
      serveHeaders: true,
      serveChainSince: 0,
      serveStateSince: 0,
      txRelay: true,
      recentTxLookup: 0,
      flowControlBL: this.bl,
      flowControlMRR: this.mrr,
      flowControlMRC: this.mrc,
      unknown: [],
    };
  }

  #onPeer(peer: LesPeer): void {
    const client: Client = { peer, buffer: new ClientBuffer({ bl: this.bl, mrr: this.mrr }) };
    this.#clients.set(peer, client);
    peer.on('request', (req) => this.#onRequest(client, req));
    peer.once('close', () => {
      clearTimeout(client.resumeTimer);
      this.#clients.delete(peer);
    });
  }

  #onRequest(c: Client, req: IncomingRequest): void {
    this.stats.requests++;
    const items = req.code === Code.GetBlockHeaders ? readUint(readList(req.data, 'req', 'query')[1], 'req', 'amount') : readList(req.data, 'req', 'items').length;
    this.stats.items += items;
    const cost = maxCost(this.mrc, req.code, items);
    const accepted = c.buffer.accept(req.reqID, cost);
    if (!accepted.accepted) {
      if (accepted.reason === 'stopped') {
        this.stats.droppedWhileStopped++;
        return;
      }
      this.stats.underruns++;
      if (c.peer.version < 3) {
        c.peer.disconnect();
        return;
      }
      this.#send(c, Code.StopMsg, encodeStopMsg());
      this.stats.stopsSent++;
      clearTimeout(c.resumeTimer);
      c.resumeTimer = setTimeout(() => this.#resume(c), Math.ceil(accepted.resumeInMs) + 1);
      return;
    }
    this.stats.lowestBvFraction = Math.min(this.stats.lowestBvFraction, c.buffer.bv / this.bl);
    const reply = (): void => {
      const realCost = cost * (this.options.realCostFraction ?? 0.5);
      const bv = c.buffer.complete(req.reqID, realCost);
      if (this.behaviour.drop || c.peer.state !== 'open') return;
      const data = this.behaviour.garbage ? [new Uint8Array([0xde, 0xad]), [[new Uint8Array(0)]]] : this.options.answer(req.code, req.data, { lie: this.behaviour.lie });
      this.#send(c, REPLY_OF.get(req.code) as number, encodeRlp([encodeUint(req.reqID), encodeUint(bv), data]));
      this.stats.replies++;
    };
    if (this.behaviour.delayMs > 0) this.#later(reply, this.behaviour.delayMs);
    else reply();
  }

  #resume(c: Client): void {
    clearTimeout(c.resumeTimer);
    if (!c.buffer.stopped) return;
    this.#send(c, Code.ResumeMsg, encodeResumeMsg({ bv: c.buffer.resumeBV() }));
    this.stats.resumesSent++;
  }

  #send(c: Client, code: number, payload: Uint8Array): void {
    if ((code === Code.StopMsg || code === Code.ResumeMsg) && c.peer.version < 3) return; // not in les/2
    if (c.peer.state === 'open') c.peer.send(code, payload);
  }

  #later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }
}
