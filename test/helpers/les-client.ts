/**
 * A plain LES client for tests: a LesNode in the client role (src/net) plus the src/wire codecs,
 * dialed to a running LES server, asking it anything and decoding the replies. It keeps the
 * client-side flow-control estimate (src/flow ServerBufferEstimate) from the server's Status and
 * every reply's BV; `respectFlow` makes each request wait until the estimate allows it.
 * Nothing here verifies: tests verify answers with src/verify.
 */
import { ServerBufferEstimate, maxCost } from '../../src/flow/index.js';
import { type ForkSchedule, computeForkId } from '../../src/config/forkid.js';
import { LesNode, type LesPeer, type PeerCloseInfo, type Reply } from '../../src/net/index.js';
import {
  type Announce,
  type AnnounceType,
  type BlockHeaders,
  Code,
  type CodeRequest,
  type ContractCodes,
  type GetBlockHeaders,
  type HelperTrieProofs,
  type HelperTrieRequest,
  type LesVersion,
  type ProofRequest,
  type ProofsV2,
  type Receipts,
  type RequestCode,
  type Status,
  type TxStatus,
  type BlockBodies,
  codecOf,
  encodeGetBlockBodies,
  encodeGetBlockHeaders,
  encodeGetContractCodes,
  encodeGetHelperTrieProofs,
  encodeGetProofsV2,
  encodeGetReceipts,
  encodeGetTxStatus,
  encodeSendTxV2,
} from '../../src/wire/index.js';

export interface LesClientOptions {
  enode: string;
  networkId: bigint;
  genesisHash: Uint8Array;
  /** The network's fork schedule, for our fork id (default: none, as the devnet's). */
  forks?: ForkSchedule;
  versions?: readonly LesVersion[];
  announceType?: AnnounceType;
  /** Wait for the flow-control estimate before each request (a well-behaved client). Default false. */
  respectFlow?: boolean;
  requestTimeoutMs?: number;
  privateKey?: Uint8Array;
}

export class LesTestClient {
  readonly node: LesNode;
  readonly peer: LesPeer;
  readonly server: Status;
  readonly estimate: ServerBufferEstimate;
  readonly announces: Announce[] = [];
  readonly events: Array<{ kind: 'stop' } | { kind: 'resume'; bv: number }> = [];
  respectFlow: boolean;
  closed: PeerCloseInfo | undefined;

  private constructor(node: LesNode, peer: LesPeer, respectFlow: boolean) {
    this.node = node;
    this.peer = peer;
    this.server = peer.remoteStatus as Status;
    this.respectFlow = respectFlow;
    this.estimate = new ServerBufferEstimate({ bl: this.server.flowControlBL ?? 0, mrr: this.server.flowControlMRR ?? 0 });
    peer.on('announce', (a) => this.announces.push(a));
    peer.on('stop', () => {
      this.events.push({ kind: 'stop' });
      this.estimate.onStop();
    });
    peer.on('resume', (r) => {
      this.events.push({ kind: 'resume', bv: r.bv });
      this.estimate.onResume(r.bv);
    });
    peer.on('close', (info) => {
      this.closed = info;
    });
  }

  static async connect(o: LesClientOptions): Promise<LesTestClient> {
    const status: Status = {
      protocolVersion: 4,
      networkId: o.networkId,
      headTd: 0n,
      headHash: o.genesisHash,
      headNum: 0,
      genesisHash: o.genesisHash,
      // An unsynced node's EIP-2124 fork id, which the server checks against its own.
      forkID: computeForkId(o.genesisHash, o.forks ?? { blocks: [], timestamps: [] }, 0, 0),
      announceType: o.announceType ?? 1,
      unknown: [],
    };
    const node = new LesNode({ role: 'client', status, versions: o.versions, requestTimeoutMs: o.requestTimeoutMs ?? 10_000, privateKey: o.privateKey });
    try {
      const peer = await node.dial(o.enode);
      return new LesTestClient(node, peer, o.respectFlow ?? false);
    } catch (err) {
      await node.close();
      throw err;
    }
  }

  get mrc() {
    return this.server.flowControlMRC ?? [];
  }

  maxCost(code: RequestCode, items: number): number {
    return maxCost(this.mrc, code, items);
  }

  /** Any request, `build(reqID)` giving the whole message; flow-accounted with `items` items. */
  async raw(code: RequestCode, items: number, build: (reqID: bigint) => Uint8Array, timeoutMs?: number): Promise<Reply> {
    const cost = this.maxCost(code, items);
    if (this.respectFlow) {
      for (;;) {
        const wait = this.estimate.waitTime(cost);
        if (wait === 0) break;
        await new Promise((r) => setTimeout(r, Number.isFinite(wait) ? Math.ceil(wait) + 1 : 50));
      }
    }
    let id = -1n;
    const reply = await this.peer.request(
      code,
      (reqID) => {
        id = reqID;
        if (!this.estimate.stopped) this.estimate.onSend(reqID, cost);
        return build(reqID);
      },
      timeoutMs === undefined ? {} : { timeoutMs },
    );
    this.estimate.onReply(id, reply.bv);
    return reply;
  }

  async headers(q: Omit<GetBlockHeaders, 'reqID'>): Promise<BlockHeaders> {
    const r = await this.raw(Code.GetBlockHeaders, q.amount, (reqID) => encodeGetBlockHeaders({ reqID, ...q }));
    return codecOf(Code.BlockHeaders).fromRlp(r.item);
  }

  async bodies(hashes: Uint8Array[]): Promise<BlockBodies> {
    const r = await this.raw(Code.GetBlockBodies, hashes.length, (reqID) => encodeGetBlockBodies({ reqID, hashes }));
    return codecOf(Code.BlockBodies).fromRlp(r.item);
  }

  async receipts(hashes: Uint8Array[]): Promise<Receipts> {
    const r = await this.raw(Code.GetReceipts, hashes.length, (reqID) => encodeGetReceipts({ reqID, hashes }));
    return codecOf(Code.Receipts).fromRlp(r.item);
  }

  async codes(reqs: CodeRequest[]): Promise<ContractCodes> {
    const r = await this.raw(Code.GetContractCodes, reqs.length, (reqID) => encodeGetContractCodes({ reqID, reqs }));
    return codecOf(Code.ContractCodes).fromRlp(r.item);
  }

  async proofs(reqs: ProofRequest[]): Promise<ProofsV2> {
    const r = await this.raw(Code.GetProofsV2, reqs.length, (reqID) => encodeGetProofsV2({ reqID, reqs }));
    return codecOf(Code.ProofsV2).fromRlp(r.item);
  }

  async helperTries(reqs: HelperTrieRequest[]): Promise<HelperTrieProofs> {
    const r = await this.raw(Code.GetHelperTrieProofs, reqs.length, (reqID) => encodeGetHelperTrieProofs({ reqID, reqs }));
    return codecOf(Code.HelperTrieProofs).fromRlp(r.item);
  }

  async sendTxs(txs: Uint8Array[]): Promise<TxStatus> {
    const r = await this.raw(Code.SendTxV2, txs.length, (reqID) => encodeSendTxV2({ reqID, txs }));
    return codecOf(Code.TxStatus).fromRlp(r.item);
  }

  async txStatus(hashes: Uint8Array[]): Promise<TxStatus> {
    const r = await this.raw(Code.GetTxStatus, hashes.length, (reqID) => encodeGetTxStatus({ reqID, hashes }));
    return codecOf(Code.TxStatus).fromRlp(r.item);
  }

  /** Sends raw bytes under any LES code, bypassing every check (for malformed-input tests). */
  sendRaw(code: number, payload: Uint8Array): void {
    this.peer.send(code, payload);
  }

  async close(): Promise<void> {
    await this.node.close();
  }
}

/** Resolves when `cond()` holds, polling; rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
