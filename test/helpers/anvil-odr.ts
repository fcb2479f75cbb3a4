/**
 * TEST-ONLY stand-in for the light client's data layer: an Odr (plus the proposed `proof`
 * addition) and a HeaderChainView answered from anvil's JSON-RPC, so the methods layer can be
 * tested on its own. Every answer is still checked the way the real layer checks it: headers
 * hash to anvil's block hash, bodies and receipts rebuild the header's roots, account and storage
 * values come from anvil's eth_getProof nodes walked with src/verify against the stateRoot, code
 * hashes to the proven codeHash. BloomBits vectors are computed from the headers' logsBloom per
 * section (transposeBlooms), so the section search really runs. `calls` counts what was asked.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { HeaderChainView, TrustedSection, VerifiedBody, VerifiedHeader } from '../../src/client/contracts.js';
import { ChainError } from '../../src/client/chain/errors.js';
import type { MethodsOdr, StateProof } from '../../src/client/methods/context.js';
import { equalBytes, hex0x, toHex } from '../../src/verify/bytes.js';
import {
  type Account,
  type Receipt,
  decodeReceipt,
  encodeHeader,
  encodeWithdrawal,
  headerFromRpc,
  receiptFromRpc,
  receiptsRoot,
  transactionsRoot,
  transposeBlooms,
  txFromRpc,
  verifyAccountProof,
  verifyCode,
  verifyStorageProof,
  withdrawalsRoot,
} from '../../src/verify/index.js';
import { type TxStatusEntry, TxState } from '../../src/wire/tx.js';
import { type Anvil, RpcError } from './anvil.js';

type Json = Record<string, unknown>;
const hexBytes = (s: string) => new Uint8Array(Buffer.from(s.slice(2), 'hex'));

export interface AnvilOdrOptions {
  sectionSize?: number;
  /** A section is trusted once the head is this many blocks past its end (default 16). */
  confirmations?: number;
  /** List only the newest trusted section (older ones are then asked through it, by data section). */
  sparseSections?: boolean;
}

export class AnvilOdr implements MethodsOdr, HeaderChainView {
  readonly sectionSize: number;
  readonly calls: Record<string, number> = {};
  /** Block numbers whose receipts were asked. */
  readonly receiptBlocks = new Set<number>();
  private readonly confirmations: number;
  private readonly sparse: boolean;
  private readonly byNumber = new Map<number, VerifiedHeader>();
  private readonly byHash = new Map<string, VerifiedHeader>();
  private readonly vectors = new Map<number, Uint8Array[]>();
  private sections: TrustedSection[] = [];
  private headH: VerifiedHeader | undefined;

  constructor(
    private readonly anvil: Anvil,
    o: AnvilOdrOptions = {},
  ) {
    this.sectionSize = o.sectionSize ?? 64;
    this.confirmations = o.confirmations ?? 16;
    this.sparse = o.sparseSections ?? false;
  }

  private count(name: string): void {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
  }

  /** Takes anvil's latest block as the head and recomputes the trusted sections. */
  async sync(): Promise<VerifiedHeader> {
    const json = await this.anvil.rpc<Json>('eth_getBlockByNumber', ['latest', false]);
    this.headH = this.fromJson(json);
    const newest = Math.floor((this.headH.header.number - this.confirmations + 1) / this.sectionSize) - 1;
    this.sections = [];
    for (let i = 0; i <= newest; i++) {
      const end = await this.headerByNumber((i + 1) * this.sectionSize - 1);
      this.sections.push({ index: i, sectionHead: end.hash, chtRoot: new Uint8Array(32), bloomTrieRoot: new Uint8Array(32) });
    }
    return this.headH;
  }

  private fromJson(json: Json): VerifiedHeader {
    const header = headerFromRpc(json);
    const rlp = encodeHeader(header);
    const hash = keccak256(rlp);
    if (hex0x(hash) !== json.hash) throw new Error(`block ${header.number}: header hashes to ${hex0x(hash)}, anvil says ${String(json.hash)}`);
    const vh: VerifiedHeader = { header, hash, rlp };
    if (typeof json.totalDifficulty === 'string') vh.td = BigInt(json.totalDifficulty);
    this.byHash.set(toHex(hash), vh);
    return vh;
  }

  // ---- HeaderChainView ----

  head(): VerifiedHeader {
    if (this.headH === undefined) throw new ChainError('NOT_AVAILABLE', 'head', 'sync() first');
    return this.headH;
  }

  async headerByNumber(n: number): Promise<VerifiedHeader> {
    this.count('headerByNumber');
    if (this.headH !== undefined && n > this.headH.header.number) throw new ChainError('NOT_AVAILABLE', 'number', `block ${n} is beyond the head`);
    const cached = this.byNumber.get(n);
    if (cached !== undefined) return cached;
    const json = await this.anvil.rpc<Json | null>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
    if (json === null) throw new ChainError('NOT_AVAILABLE', 'number', `anvil has no block ${n}`);
    const vh = this.fromJson(json);
    this.byNumber.set(n, vh);
    return vh;
  }

  async headerByHash(hash: Uint8Array): Promise<VerifiedHeader> {
    this.count('headerByHash');
    const cached = this.byHash.get(toHex(hash));
    if (cached !== undefined) return cached;
    const json = await this.anvil.rpc<Json | null>('eth_getBlockByHash', [hex0x(hash), false]);
    if (json === null) throw new ChainError('NOT_AVAILABLE', 'hash', `anvil has no block ${hex0x(hash)}`);
    return this.fromJson(json);
  }

  async isCanonical(hash: Uint8Array, number: number): Promise<boolean> {
    if (number > this.head().header.number) return false;
    return equalBytes((await this.headerByNumber(number)).hash, hash);
  }

  latestSection(): TrustedSection | undefined {
    return this.sections[this.sections.length - 1];
  }

  section(index: number): TrustedSection | undefined {
    if (this.sparse && index !== this.sections.length - 1) return undefined;
    return this.sections[index];
  }

  // ---- Odr ----

  async body(h: VerifiedHeader): Promise<VerifiedBody> {
    this.count('body');
    const json = await this.anvil.rpc<Json>('eth_getBlockByHash', [hex0x(h.hash), true]);
    const txs = (json.transactions as Json[]).map((t, i) => {
      const raw = txFromRpc(t, `transactions[${i}]`);
      if (hex0x(keccak256(raw)) !== t.hash) throw new Error(`tx ${i} of block ${h.header.number} rebuilt with another hash`);
      return raw;
    });
    if (!equalBytes(transactionsRoot(txs), h.header.transactionsRoot)) throw new Error(`block ${h.header.number}: transactionsRoot mismatch`);
    if ((json.uncles as unknown[]).length > 0) throw new Error('uncles are not supported by this stand-in');
    const body: VerifiedBody = { transactions: txs, uncles: [] };
    if (h.header.withdrawalsRoot !== undefined) {
      const ws = (json.withdrawals as Json[]).map((w) => ({
        index: BigInt(w.index as string),
        validatorIndex: BigInt(w.validatorIndex as string),
        address: hexBytes(w.address as string),
        amount: BigInt(w.amount as string),
      }));
      if (!equalBytes(withdrawalsRoot(ws), h.header.withdrawalsRoot)) throw new Error(`block ${h.header.number}: withdrawalsRoot mismatch`);
      body.withdrawals = ws.map(encodeWithdrawal);
    }
    return body;
  }

  async receipts(h: VerifiedHeader): Promise<Receipt[]> {
    this.count('receipts');
    this.receiptBlocks.add(h.header.number);
    const json = await this.anvil.rpc<Json[]>('eth_getBlockReceipts', [hex0x(h.hash)]);
    const raws = json.map((r, i) => receiptFromRpc(r, `receipts[${i}]`));
    if (!equalBytes(receiptsRoot(raws), h.header.receiptsRoot)) throw new Error(`block ${h.header.number}: receiptsRoot mismatch`);
    return raws.map((r) => decodeReceipt(r));
  }

  private async getProof(h: VerifiedHeader, address: Uint8Array, slots: readonly Uint8Array[]): Promise<StateProof> {
    const json = await this.anvil.rpc<Json>('eth_getProof', [hex0x(address), slots.map(hex0x), { blockHash: hex0x(h.hash) }]);
    const accountProof = (json.accountProof as string[]).map(hexBytes);
    const account = verifyAccountProof(h.header.stateRoot, address, accountProof);
    const storage = (json.storageProof as Json[]).map((s, i) => {
      const proof = (s.proof as string[]).map(hexBytes);
      const key = slots[i] as Uint8Array;
      const value = account === undefined ? 0n : verifyStorageProof(account.storageRoot, { slot: key }, proof);
      return { key, value, proof };
    });
    return { account, accountProof, storage };
  }

  async account(h: VerifiedHeader, address: Uint8Array): Promise<Account | undefined> {
    this.count('account');
    return (await this.getProof(h, address, [])).account;
  }

  async storage(h: VerifiedHeader, address: Uint8Array, slot: Uint8Array): Promise<bigint> {
    this.count('storage');
    return ((await this.getProof(h, address, [slot])).storage[0] as { value: bigint }).value;
  }

  async code(h: VerifiedHeader, address: Uint8Array): Promise<Uint8Array> {
    this.count('code');
    const account = await this.account(h, address);
    const code = hexBytes(await this.anvil.rpc<string>('eth_getCode', [hex0x(address), { blockHash: hex0x(h.hash) }]));
    if (account === undefined) {
      if (code.length > 0) throw new Error('code for an absent account');
      return code;
    }
    verifyCode(code, account.codeHash);
    return code;
  }

  async proof(h: VerifiedHeader, address: Uint8Array, slots: readonly Uint8Array[]): Promise<StateProof> {
    this.count('proof');
    return this.getProof(h, address, slots);
  }

  async bloomBits(section: TrustedSection, bitIndex: number, dataSection?: number): Promise<Uint8Array> {
    this.count('bloomBits');
    const index = dataSection ?? section.index;
    if (index > section.index) throw new Error(`section ${index} is not covered by trusted section ${section.index}`);
    let vectors = this.vectors.get(index);
    if (vectors === undefined) {
      const blooms: Uint8Array[] = [];
      for (let j = 0; j < this.sectionSize; j++) blooms.push((await this.headerByNumber(index * this.sectionSize + j)).header.logsBloom);
      vectors = transposeBlooms(blooms, this.sectionSize);
      this.vectors.set(index, vectors);
    }
    return vectors[bitIndex] as Uint8Array;
  }

  async txStatus(hashes: readonly Uint8Array[]): Promise<TxStatusEntry[]> {
    this.count('txStatus');
    return Promise.all(
      hashes.map(async (hash): Promise<TxStatusEntry> => {
        const r = await this.anvil.rpc<Json | null>('eth_getTransactionReceipt', [hex0x(hash)]);
        if (r !== null) {
          return {
            status: TxState.Included,
            lookup: { blockHash: hexBytes(r.blockHash as string), blockNumber: Number(r.blockNumber), txIndex: Number(r.transactionIndex) },
          };
        }
        const t = await this.anvil.rpc<Json | null>('eth_getTransactionByHash', [hex0x(hash)]);
        return { status: t === null ? TxState.Unknown : TxState.Pending };
      }),
    );
  }

  async sendTransaction(raw: Uint8Array): Promise<TxStatusEntry> {
    this.count('sendTransaction');
    try {
      await this.anvil.rpc('eth_sendRawTransaction', [hex0x(raw)]);
      return { status: TxState.Pending };
    } catch (e) {
      if (e instanceof RpcError) return { status: TxState.Error, error: e.message.replace(/^eth_sendRawTransaction: /, '') };
      throw e;
    }
  }
}
