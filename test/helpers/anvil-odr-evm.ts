/**
 * State for the local EVM's tests, from anvil's JSON-RPC, shaped like the Odr facade over LES: an
 * account proof is one request, a storage proof one, code needs the account first (its codeHash),
 * answers are cached per block, equal requests in flight are asked once. "Early" code (by account
 * key, as GetContractCodes allows) is one request.
 *
 * It counts round trips the way a client would feel them: requests sent while none of the
 * current round's answers has arrived yet share that round; a request sent after an answer
 * arrived starts the next one. Headers come from anvil's blocks, hashed here.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { HeaderChainView, TrustedSection, VerifiedHeader } from '../../src/client/contracts.js';
import type { StateOdr } from '../../src/client/evm/index.js';
import { encodeHeader, headerFromRpc } from '../../src/verify/index.js';
import type { Account } from '../../src/verify/state.js';
import type { Anvil } from './anvil.js';

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
const EMPTY_CODE_HASH = '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470';
const EMPTY_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

export async function anvilHeader(anvil: Anvil, tag: string | number = 'latest'): Promise<VerifiedHeader> {
  const block = await anvil.rpc<Record<string, unknown>>('eth_getBlockByNumber', [typeof tag === 'number' ? `0x${tag.toString(16)}` : tag, false]);
  const header = headerFromRpc(block);
  const rlp = encodeHeader(header);
  const hash = keccak256(rlp);
  if (hex(hash) !== block.hash) throw new Error(`header of block ${String(block.number)} does not hash to anvil's hash`);
  return { header, hash, rlp };
}

export class AnvilStateOdr implements StateOdr {
  /** Round trips so far (see the file comment). */
  rounds = 0;
  readonly requests: Array<{ kind: 'account' | 'storage' | 'code' | 'earlyCode'; round: number }> = [];
  private answeredInRound = true;
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(private readonly anvil: Anvil) {}

  private ask<T>(kind: 'account' | 'storage' | 'code' | 'earlyCode', key: string, fn: () => Promise<T>): Promise<T> {
    const cached = this.cache.get(`${kind}:${key}`);
    if (cached !== undefined) return cached as Promise<T>;
    if (this.answeredInRound) {
      this.rounds++;
      this.answeredInRound = false;
    }
    this.requests.push({ kind, round: this.rounds });
    const p = fn().then((v) => {
      this.answeredInRound = true;
      return v;
    });
    this.cache.set(`${kind}:${key}`, p);
    return p;
  }

  resetCounts(): void {
    this.rounds = 0;
    this.requests.length = 0;
    this.answeredInRound = true;
  }

  clearCache(): void {
    this.cache.clear();
  }

  private tag = (h: VerifiedHeader): string => `0x${h.header.number.toString(16)}`;

  account(header: VerifiedHeader, address: Uint8Array): Promise<Account | undefined> {
    return this.ask('account', `${hex(header.hash)}:${hex(address)}`, async () => {
      const p = await this.anvil.rpc<{ nonce: string; balance: string; codeHash: string; storageHash: string }>('eth_getProof', [hex(address), [], this.tag(header)]);
      const absent = BigInt(p.nonce) === 0n && BigInt(p.balance) === 0n && p.codeHash === EMPTY_CODE_HASH && p.storageHash === EMPTY_ROOT;
      return absent ? undefined : { nonce: BigInt(p.nonce), balance: BigInt(p.balance), storageRoot: bytes(p.storageHash), codeHash: bytes(p.codeHash) };
    });
  }

  storage(header: VerifiedHeader, address: Uint8Array, slot: Uint8Array): Promise<bigint> {
    return this.ask('storage', `${hex(header.hash)}:${hex(address)}:${hex(slot)}`, async () =>
      BigInt(await this.anvil.rpc<string>('eth_getStorageAt', [hex(address), hex(slot), this.tag(header)])),
    );
  }

  /** As the Odr facade: the account's codeHash first, then the code. */
  async code(header: VerifiedHeader, address: Uint8Array): Promise<Uint8Array> {
    const account = await this.account(header, address);
    if (account === undefined || hex(account.codeHash) === EMPTY_CODE_HASH) return new Uint8Array(0);
    return this.ask('code', `${hex(header.hash)}:${hex(address)}`, async () => bytes(await this.anvil.rpc<string>('eth_getCode', [hex(address), this.tag(header)])));
  }

  /** GetContractCodes by account key, before the account is proven. */
  readonly earlyCode = (header: VerifiedHeader, address: Uint8Array): Promise<Uint8Array> =>
    this.ask('earlyCode', `${hex(header.hash)}:${hex(address)}`, async () => bytes(await this.anvil.rpc<string>('eth_getCode', [hex(address), this.tag(header)])));
}

/** Enough of a HeaderChainView for BLOCKHASH: canonical headers by number, from anvil. */
export function anvilChain(anvil: Anvil, head: VerifiedHeader): HeaderChainView {
  return {
    head: () => head,
    headerByNumber: (n) => anvilHeader(anvil, n),
    headerByHash: async () => {
      throw new Error('not needed');
    },
    isCanonical: async () => true,
    sectionSize: 64,
    latestSection: (): TrustedSection | undefined => undefined,
    section: (): TrustedSection | undefined => undefined,
  };
}
