/**
 * The Odr facade: what the methods layer asks, answered only with verified data (DESIGN §5), over
 * a Retriever (the scheduler) and the header chain, with caches keyed by block hash (caches.ts).
 * Answers that need no server are given locally: the empty body and receipts of a block whose
 * roots are the empty ones, slots of an absent account or an empty storage trie, code of an
 * account without code.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { HeaderChainView, Odr, Retriever, ServerView, StateProof, TrustedSection, VerifiedBody, VerifiedHeader } from '../contracts.js';
import { collectProof } from '../../verify/proof.js';
import { equalBytes } from '../../verify/bytes.js';
import type { Receipt } from '../../verify/receipts.js';
import { type Account, EMPTY_CODE_HASH } from '../../verify/state.js';
import { EMPTY_TRIE_ROOT } from '../../verify/trie-builder.js';
import type { TxStatusEntry } from '../../wire/tx.js';
import { bodyKind, isEmptyBlock, receiptsKind } from './bodies.js';
import { type OdrCacheSizes, OdrCaches } from './caches.js';
import { NotServedError } from '../scheduler/errors.js';
import { OdrError } from './errors.js';
import { bloomBitsKind } from './helper-tries.js';
import { codeKind, stateProofKind } from './state.js';
import { type TxStatusReport, checkIncluded, combineStatuses } from './tx-status.js';
import { sendTxKind, txStatusKind } from './tx.js';

export interface OdrFacadeOptions {
  retriever: Retriever;
  chain: HeaderChainView;
  cacheSizes?: OdrCacheSizes;
  /** Servers asked for each tx status (default 3). */
  txStatusServers?: number;
  /** Servers a transaction is relayed to (default 3). */
  relayServers?: number;
}

export class OdrFacade implements Odr {
  readonly caches: OdrCaches;
  private readonly retriever: Retriever;
  private readonly chain: HeaderChainView;
  private readonly txStatusServers: number;
  private readonly relayServers: number;

  constructor(o: OdrFacadeOptions) {
    this.retriever = o.retriever;
    this.chain = o.chain;
    this.caches = new OdrCaches(o.cacheSizes);
    this.txStatusServers = o.txStatusServers ?? 3;
    this.relayServers = o.relayServers ?? 3;
  }

  async body(header: VerifiedHeader): Promise<VerifiedBody> {
    const key = OdrCaches.blockKey(header.hash);
    const cached = this.caches.bodies.get(key);
    if (cached !== undefined) return cached;
    const body: VerifiedBody = isEmptyBlock(header)
      ? { transactions: [], uncles: [], ...(header.header.withdrawalsRoot === undefined ? {} : { withdrawals: [] }) }
      : await this.retriever.retrieve(bodyKind, { header });
    this.caches.bodies.set(key, body);
    return body;
  }

  async receipts(header: VerifiedHeader): Promise<Receipt[]> {
    const key = OdrCaches.blockKey(header.hash);
    const cached = this.caches.receipts.get(key);
    if (cached !== undefined) return cached;
    const receipts = equalBytes(header.header.receiptsRoot, EMPTY_TRIE_ROOT) ? [] : await this.retriever.retrieve(receiptsKind, { header });
    this.caches.receipts.set(key, receipts);
    return receipts;
  }

  async account(header: VerifiedHeader, address: Uint8Array): Promise<Account | undefined> {
    const key = OdrCaches.accountKey(header.hash, address);
    const cached = this.caches.accounts.get(key);
    if (cached !== undefined) return cached.account ?? undefined;
    const { account } = await this.retriever.retrieve(stateProofKind, { header, address });
    this.caches.accounts.set(key, { account });
    return account ?? undefined;
  }

  async storage(header: VerifiedHeader, address: Uint8Array, slot: Uint8Array): Promise<bigint> {
    const key = OdrCaches.storageKey(header.hash, address, slot);
    const cached = this.caches.storage.get(key);
    if (cached !== undefined) return cached.value;
    const known = this.caches.accounts.get(OdrCaches.accountKey(header.hash, address));
    if (known !== undefined && (known.account === null || equalBytes(known.account.storageRoot, EMPTY_TRIE_ROOT))) return 0n;
    const { account, value = 0n } = await this.retriever.retrieve(stateProofKind, { header, address, slot });
    this.caches.accounts.set(OdrCaches.accountKey(header.hash, address), { account });
    this.caches.storage.set(key, { value });
    return value;
  }

  async code(header: VerifiedHeader, address: Uint8Array): Promise<Uint8Array> {
    const account = await this.account(header, address);
    if (account === undefined || equalBytes(account.codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0);
    const key = OdrCaches.blockKey(account.codeHash);
    const cached = this.caches.code.get(key);
    if (cached !== undefined) return cached;
    const code = await this.retriever.retrieve(codeKind, { header, address, codeHash: account.codeHash });
    this.caches.code.set(key, code);
    return code;
  }

  /**
   * eth_getProof's material: the account and each slot proven (one coalesced GetProofsV2), then
   * each key's path picked out of the verified node sets. Not cached: the nodes are the point.
   */
  async proof(header: VerifiedHeader, address: Uint8Array, slots: readonly Uint8Array[]): Promise<StateProof> {
    const results = await Promise.all([
      this.retriever.retrieve(stateProofKind, { header, address }),
      ...slots.map((slot) => this.retriever.retrieve(stateProofKind, { header, address, slot })),
    ]);
    const byHash = new Map<string, Uint8Array>();
    for (const r of results) for (const node of r.nodes) byHash.set(Buffer.from(keccak256(node)).toString('hex'), node);
    const lookup = (hash: Uint8Array) => byHash.get(Buffer.from(hash).toString('hex'));
    const account = results[0]?.account ?? null;
    const accountProof = collectProof(header.header.stateRoot, keccak256(address), lookup).nodes;
    const storage = slots.map((key, i) => ({
      key,
      value: results[i + 1]?.value ?? 0n,
      proof: account === null ? [] : collectProof(account.storageRoot, keccak256(key), lookup).nodes,
    }));
    return { account: account ?? undefined, accountProof, storage };
  }

  /**
   * The vector of `bitIndex` for the blocks of section `dataSection` (default: `section` itself),
   * proven against `section`'s BloomTrie root (a cumulative trie covers every older section).
   */
  async bloomBits(section: TrustedSection, bitIndex: number, dataSection: number = section.index): Promise<Uint8Array> {
    const key = OdrCaches.bloomKey(section, dataSection, bitIndex);
    const cached = this.caches.bloomBits.get(key);
    if (cached !== undefined) return cached;
    const item = { trie: section, sectionSize: this.chain.sectionSize, sectionIndex: dataSection, bitIndex };
    const vector = await this.retriever.retrieve(bloomBitsKind, item);
    this.caches.bloomBits.set(key, vector);
    return vector;
  }

  /** Each hash is asked of up to `txStatusServers` servers; see tx-status.ts for how answers combine. */
  async txStatus(hashes: readonly Uint8Array[]): Promise<TxStatusReport[]> {
    return Promise.all(
      hashes.map(async (hash) => {
        const servers = this.pick((s) => txStatusKind.canServe(s, { hash }), this.txStatusServers, 'txStatus');
        const answers = await Promise.allSettled(servers.map((s) => this.retriever.retrieve(txStatusKind, { hash }, { server: s.id })));
        return this.combine(hash, answers);
      }),
    );
  }

  /** Relays to up to `relayServers` servers with txRelay; the best status any of them reports. */
  async sendTransaction(raw: Uint8Array): Promise<TxStatusReport> {
    const servers = this.pick((s) => sendTxKind.canServe(s, { raw }), this.relayServers, 'sendTx');
    const answers = await Promise.allSettled(servers.map((s) => this.retriever.retrieve(sendTxKind, { raw }, { server: s.id })));
    if (answers.every((a) => a.status === 'rejected')) {
      throw new OdrError('NOT_RELAYED', 'sendTx', `none of ${servers.length} server(s) took the transaction`, { cause: (answers[0] as PromiseRejectedResult).reason });
    }
    return this.combine(keccak256(raw), answers);
  }

  private pick(ok: (s: ServerView) => boolean, n: number, what: string): ServerView[] {
    const connected = this.retriever.servers();
    const servers = connected
      .filter(ok)
      .sort((a, b) => b.score - a.score)
      .slice(0, n);
    if (servers.length > 0) return servers;
    // Connected servers that do not serve it (no txRelay, no tx lookup) are not a disconnection.
    if (connected.length > 0) throw new NotServedError(what, connected.length);
    throw new OdrError('NO_SERVER', what, 'no connected server can answer');
  }

  private async combine(hash: Uint8Array, answers: ReadonlyArray<PromiseSettledResult<TxStatusEntry>>): Promise<TxStatusReport> {
    const checked = await Promise.all(
      answers.flatMap((a) =>
        a.status === 'fulfilled'
          ? [
              (async () => ({
                entry: a.value,
                believed: a.value.lookup === undefined || (await checkIncluded({ chain: this.chain, body: (h) => this.body(h) }, hash, a.value.lookup).catch(() => false)),
              }))(),
            ]
          : [],
      ),
    );
    return combineStatuses(checked);
  }
}
