/**
 * anvil's chain as an LES server would serve it, for the ODR tests (used by the integration tests
 * in test/integration/client-odr-*.test.ts, which start anvil). Everything comes from anvil:
 * headers from block JSON (headerFromRpc, checked to hash to anvil's hash), transactions from
 * debug_getRawTransaction, receipts from eth_getBlockReceipts, proofs from eth_getProof (account
 * and storage node lists merged per request batch), codes from eth_getCode, tx status from
 * eth_getTransactionReceipt. Helper tries (CHT, BloomTrie) are built from those headers with
 * @ethereumjs/trie. Replies are encoded with the src/wire encoders; `tamper` edits a reply's
 * parts before encoding, to make the lying cases.
 */
import { Trie } from '@ethereumjs/trie';
import { Wallet, getBytes, getCreateAddress, keccak256 as ethersKeccak, toBeHex, zeroPadValue } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type Receipt, compressBloomBits, encodeHeader, encodeReceipt, encodeWithdrawal, headerFromRpc, transposeBlooms } from '../../../src/verify/index.js';
import { bloomTrieKey, chtKey, encodeChtValue } from '../../../src/verify/helper-tries.js';
import {
  type BlockBody,
  Code,
  type TxStatusEntry,
  TxState,
  decodeGetBlockBodies,
  decodeGetBlockHeaders,
  decodeGetContractCodes,
  decodeGetHelperTrieProofs,
  decodeGetProofsV2,
  decodeGetReceipts,
  decodeGetTxStatus,
  decodeSendTxV2,
  encodeBlockBodies,
  encodeBlockHeaders,
  encodeContractCodes,
  encodeHelperTrieProofs,
  encodeProofsV2,
  encodeReceipts,
  encodeTxStatus,
} from '../../../src/wire/index.js';
import type { Anvil } from '../../helpers/anvil.js';
import type { Handler } from '../../helpers/fake-retriever.js';
import { hex, mergeProofs, minimalProof, toHex } from '../verify/helpers.js';

type Json = Record<string, unknown>;

export const KEY0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const CHAIN_ID = 31337;
export const RECIPIENT = '0x' + '42'.repeat(20);
export const ABSENT = '0x' + '5e'.repeat(20);
export const TOPIC0 = '0x' + 'ab'.repeat(32);

/**
 * Runtime (opcodes, no compiler): PUSH1 20 CALLDATALOAD PUSH1 0 CALLDATALOAD SSTORE CALLDATASIZE
 * PUSH1 0 PUSH1 0 CALLDATACOPY CALLER PUSH32 TOPIC0 CALLDATASIZE PUSH1 0 LOG2 STOP, i.e.
 * sstore(calldata[0:32], calldata[32:64]); log2(calldata, TOPIC0, caller).
 */
const RUNTIME = '0x' + '602035' + '600035' + '55' + '36' + '6000' + '6000' + '37' + '33' + '7f' + TOPIC0.slice(2) + '36' + '6000' + 'a2' + '00';
export const initCode = (runtime: string) => {
  const len = toBeHex((runtime.length - 2) / 2).slice(2);
  return `0x60${len}600c60003960${len}6000f3${runtime.slice(2)}`;
};
export const word = (n: bigint) => zeroPadValue(toBeHex(n), 32);

export interface Traffic {
  contract: string;
  wallet: string;
  writtenSlots: bigint[];
  /** Block with the storage writes and logs. */
  logBlock: number;
  txHashes: string[];
}

/** Transfers of every type, a deployment, storage writes with logs, a deleted slot; then empty blocks up to `length`. */
export async function makeTraffic(anvil: Anvil, length: number): Promise<Traffic> {
  const w0 = new Wallet(KEY0);
  let nonce = 0;
  const txHashes: string[] = [];
  const send = async (tx: Json) => {
    const raw = await w0.signTransaction({ chainId: CHAIN_ID, nonce: nonce++, gasLimit: 300_000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n, type: 2, ...tx } as never);
    txHashes.push(await anvil.rpc<string>('eth_sendRawTransaction', [raw]));
  };
  const contract = getCreateAddress({ from: w0.address, nonce: 0 });
  await anvil.rpc('evm_setAutomine', [false]);
  await send({ data: initCode(RUNTIME) });
  const writtenSlots = [1n, 2n, 0x1234n];
  for (const [i, slot] of writtenSlots.entries()) await send({ to: contract, data: word(slot) + word(1000n + BigInt(i)).slice(2) });
  await send({ type: 0, to: RECIPIENT, value: 12345n, gasPrice: 10n ** 10n, maxFeePerGas: undefined, maxPriorityFeePerGas: undefined });
  await send({ type: 1, to: RECIPIENT, value: 1n, gasPrice: 10n ** 10n, maxFeePerGas: undefined, maxPriorityFeePerGas: undefined });
  await anvil.rpc('evm_mine');
  await send({ to: contract, data: word(2n) + word(0n).slice(2) });
  await send({ to: RECIPIENT, value: 2n });
  await anvil.rpc('evm_mine');
  await anvil.rpc('evm_setAutomine', [true]);
  const now = Number(await anvil.rpc<string>('eth_blockNumber'));
  if (length - 1 > now) await anvil.rpc('anvil_mine', [toBeHex(length - 1 - now)]);
  return { contract, wallet: w0.address, writtenSlots, logBlock: 1, txHashes };
}

function receiptFromJson(r: Json): Receipt {
  return {
    type: Number(r.type ?? '0x0'),
    status: Number(r.status) === 1 ? 1 : 0,
    cumulativeGasUsed: BigInt(r.cumulativeGasUsed as string),
    logsBloom: hex(r.logsBloom as string),
    logs: (r.logs as Json[]).map((l) => ({ address: hex(l.address as string), topics: (l.topics as string[]).map(hex), data: hex(l.data as string) })),
  };
}

export interface AnvilChain {
  blocks: Json[];
  headers: Uint8Array[];
  hashes: Uint8Array[];
  bodies: BlockBody[];
  receipts: Uint8Array[][];
  tds: bigint[];
  byHash: Map<string, number>;
}

/** Every block of anvil's chain in LES form; each header is checked to hash to anvil's hash. */
export async function loadChain(anvil: Anvil): Promise<AnvilChain> {
  const latest = Number(await anvil.rpc<string>('eth_blockNumber'));
  const out: AnvilChain = { blocks: [], headers: [], hashes: [], bodies: [], receipts: [], tds: [], byHash: new Map() };
  let td = 0n;
  for (let n = 0; n <= latest; n++) {
    const b = await anvil.rpc<Json>('eth_getBlockByNumber', [toBeHex(n), false]);
    const rlp = encodeHeader(headerFromRpc(b));
    if (toHex(keccak256(rlp)) !== b.hash) throw new Error(`header ${n} does not hash to anvil's ${String(b.hash)}`);
    const transactions = await Promise.all((b.transactions as string[]).map(async (h) => getBytes(await anvil.rpc<string>('debug_getRawTransaction', [h]))));
    const ws = b.withdrawals as Json[] | undefined;
    const body: BlockBody = { transactions, uncles: [] };
    if (ws !== undefined) {
      body.withdrawals = ws.map((w) =>
        encodeWithdrawal({ index: BigInt(w.index as string), validatorIndex: BigInt(w.validatorIndex as string), address: hex(w.address as string), amount: BigInt(w.amount as string) }),
      );
    }
    const receipts = (await anvil.rpc<Json[]>('eth_getBlockReceipts', [toBeHex(n)])).map((r) => encodeReceipt(receiptFromJson(r)));
    td += BigInt(b.difficulty as string);
    out.blocks.push(b);
    out.headers.push(rlp);
    out.hashes.push(hex(b.hash as string));
    out.bodies.push(body);
    out.receipts.push(receipts);
    out.tds.push(td);
    out.byHash.set(b.hash as string, n);
  }
  return out;
}

/** Parts of a reply that `tamper` may edit in place before it is encoded. */
export interface ReplyParts {
  headers?: Uint8Array[];
  bodies?: BlockBody[];
  receipts?: Uint8Array[][];
  nodes?: Uint8Array[];
  auxData?: Uint8Array[];
  codes?: Uint8Array[];
  statuses?: TxStatusEntry[];
}

const BV = 1_000_000;

export class AnvilLes {
  /** Addresses and slots whose keccak256 the server can map back (a real server keeps the tries). */
  private readonly addresses = new Map<string, string>();
  private readonly slots = new Map<string, string>();
  private cht: Trie | undefined;
  private bloomTrie: Trie | undefined;
  readonly chtRoots: Uint8Array[] = [];
  readonly bloomRoots: Uint8Array[] = [];
  tamper: ((code: number, reply: ReplyParts) => void) | undefined;

  constructor(
    readonly anvil: Anvil,
    readonly chain: AnvilChain,
  ) {}

  know(addresses: string[], slots: bigint[] = []): void {
    for (const a of addresses) this.addresses.set(ethersKeccak(a.toLowerCase()), a);
    for (const s of slots) this.slots.set(ethersKeccak(word(s)), word(s));
  }

  /** CHT and BloomTrie of every full section (cumulative tries, one root per section). */
  async buildHelperTries(sectionSize: number): Promise<void> {
    this.cht = new Trie();
    this.bloomTrie = new Trie();
    for (let s = 0; (s + 1) * sectionSize <= this.chain.headers.length; s++) {
      const blooms: Uint8Array[] = [];
      for (let n = s * sectionSize; n < (s + 1) * sectionSize; n++) {
        await this.cht.put(chtKey(n), encodeChtValue({ hash: this.chain.hashes[n] as Uint8Array, td: this.chain.tds[n] as bigint }));
        blooms.push(hex((this.chain.blocks[n] as Json).logsBloom as string));
      }
      for (const [bit, v] of transposeBlooms(blooms).entries()) {
        if (v.some((b) => b !== 0)) await this.bloomTrie.put(bloomTrieKey(bit, s), compressBloomBits(v));
      }
      this.chtRoots.push(this.cht.root());
      this.bloomRoots.push(this.bloomTrie.root());
    }
  }

  private async trieProof(trie: Trie | undefined, root: Uint8Array | undefined, key: Uint8Array): Promise<Uint8Array[]> {
    if (trie === undefined || root === undefined) throw new Error('no helper tries');
    const t = trie.shallowCopy(false);
    t.root(root);
    return minimalProof(t, key);
  }

  private async proofNodes(blockHash: Uint8Array, accountKey: Uint8Array, storageKey: Uint8Array): Promise<Uint8Array[]> {
    const address = this.addresses.get(toHex(accountKey));
    const n = this.chain.byHash.get(toHex(blockHash));
    if (address === undefined || n === undefined) throw new Error('unknown account or block');
    const slots = storageKey.length === 0 ? [] : [this.slots.get(toHex(storageKey)) as string];
    const p = await this.anvil.rpc<Json>('eth_getProof', [address, slots, toBeHex(n)]);
    const account = (p.accountProof as string[]).map(hex);
    const storage = storageKey.length === 0 ? [] : (((p.storageProof as Json[])[0] as Json).proof as string[]).map(hex);
    // An empty storage trie is proven by its root alone (0x80), which is no list and not sent.
    return [...account, ...storage].filter((node) => node.length > 1);
  }

  private async txStatus(hash: string): Promise<TxStatusEntry> {
    const r = await this.anvil.rpc<Json | null>('eth_getTransactionReceipt', [hash]);
    if (r !== null) return { status: TxState.Included, lookup: { blockHash: hex(r.blockHash as string), blockNumber: Number(r.blockNumber), txIndex: Number(r.transactionIndex) } };
    const t = await this.anvil.rpc<Json | null>('eth_getTransactionByHash', [hash]);
    return { status: t === null ? TxState.Unknown : TxState.Pending };
  }

  private edit<T extends ReplyParts>(code: number, parts: T): T {
    this.tamper?.(code, parts);
    return parts;
  }

  readonly handler: Handler = async (code, request) => {
    const c = this.chain;
    switch (code) {
      case Code.GetBlockHeaders: {
        const q = decodeGetBlockHeaders(request);
        let n = 'hash' in q.origin ? c.byHash.get(toHex(q.origin.hash)) : q.origin.number;
        const headers: Uint8Array[] = [];
        while (n !== undefined && n >= 0 && n < c.headers.length && headers.length < q.amount) {
          headers.push(c.headers[n] as Uint8Array);
          n += q.reverse ? -(q.skip + 1) : q.skip + 1;
        }
        const r = this.edit(code, { headers });
        return encodeBlockHeaders({ reqID: q.reqID, bv: BV, headers: r.headers });
      }
      case Code.GetBlockBodies: {
        const q = decodeGetBlockBodies(request);
        const bodies = q.hashes.map((h) => c.bodies[c.byHash.get(toHex(h)) ?? -1] as BlockBody).filter((b) => b !== undefined);
        const copy = (b: BlockBody): BlockBody => ({ transactions: [...b.transactions], uncles: [...b.uncles], ...(b.withdrawals ? { withdrawals: [...b.withdrawals] } : {}) });
        const r = this.edit(code, { bodies: bodies.map(copy) });
        return encodeBlockBodies({ reqID: q.reqID, bv: BV, bodies: r.bodies });
      }
      case Code.GetReceipts: {
        const q = decodeGetReceipts(request);
        const receipts = q.hashes.map((h) => c.receipts[c.byHash.get(toHex(h)) ?? -1] as Uint8Array[]).filter((x) => x !== undefined);
        const r = this.edit(code, { receipts: receipts.map((l) => [...l]) });
        return encodeReceipts({ reqID: q.reqID, bv: BV, receipts: r.receipts });
      }
      case Code.GetProofsV2: {
        const q = decodeGetProofsV2(request);
        const proofs = await Promise.all(q.reqs.map((req) => this.proofNodes(req.blockHash, req.accountKey, req.storageKey)));
        const r = this.edit(code, { nodes: mergeProofs(...proofs) });
        return encodeProofsV2({ reqID: q.reqID, bv: BV, nodes: r.nodes });
      }
      case Code.GetContractCodes: {
        const q = decodeGetContractCodes(request);
        const codes = await Promise.all(
          q.reqs.map(async (req) => getBytes(await this.anvil.rpc<string>('eth_getCode', [this.addresses.get(toHex(req.accountKey)), toBeHex(c.byHash.get(toHex(req.blockHash)) ?? 0)]))),
        );
        const r = this.edit(code, { codes });
        return encodeContractCodes({ reqID: q.reqID, bv: BV, codes: r.codes });
      }
      case Code.GetHelperTrieProofs: {
        const q = decodeGetHelperTrieProofs(request);
        const proofs: Uint8Array[][] = [];
        const auxData: Uint8Array[] = [];
        for (const req of q.reqs) {
          const [trie, roots] = req.subType === 0 ? [this.cht, this.chtRoots] : [this.bloomTrie, this.bloomRoots];
          if (req.auxReq === 1) {
            auxData.push(roots[req.sectionIdx] as Uint8Array);
            continue;
          }
          proofs.push(await this.trieProof(trie, roots[req.sectionIdx], req.key));
          if (req.auxReq === 2) auxData.push(c.headers[Number(Buffer.from(req.key).readBigUInt64BE())] as Uint8Array);
        }
        const r = this.edit(code, { nodes: mergeProofs(...proofs), auxData });
        return encodeHelperTrieProofs({ reqID: q.reqID, bv: BV, nodes: r.nodes, auxData: r.auxData });
      }
      case Code.GetTxStatus: {
        const q = decodeGetTxStatus(request);
        const r = this.edit(code, { statuses: await Promise.all(q.hashes.map((h) => this.txStatus(toHex(h)))) });
        return encodeTxStatus({ reqID: q.reqID, bv: BV, statuses: r.statuses });
      }
      case Code.SendTxV2: {
        const q = decodeSendTxV2(request);
        const statuses = await Promise.all(
          q.txs.map(async (tx): Promise<TxStatusEntry> => {
            try {
              return await this.txStatus(await this.anvil.rpc<string>('eth_sendRawTransaction', [toHex(tx)]));
            } catch (e) {
              return { status: TxState.Error, error: (e as Error).message };
            }
          }),
        );
        const r = this.edit(code, { statuses });
        return encodeTxStatus({ reqID: q.reqID, bv: BV, statuses: r.statuses });
      }
      default:
        throw new Error(`code ${code} is not served`);
    }
  };
}
