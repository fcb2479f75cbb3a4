// Transaction traffic of every kind the chain follower must store, signed with ethers and sent to a
// real anvil: legacy (EIP-155 and unprotected), EIP-2930, EIP-1559, EIP-7702, a contract creation,
// calls of a contract that emits logs, and a call that fails (status 0). Used by the chain fixture
// generator and by the serve-chain integration tests. Every signed transaction is kept, so tests
// compare what the server stores with ethers' own serialization.
import { ethers } from 'ethers';

// anvil's dev accounts come from this mnemonic (its documented default), BIP-44 paths m/44'/60'/0'/0/i.
const MNEMONIC = 'test test test test test test test test test test test junk';
export const devWallet = (i: number): ethers.Wallet =>
  new ethers.Wallet(ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey);

// Hand-assembled EVM code (no compiler here). Runtime: w = calldataload(0); mem[0] = w;
// LOG1(mem[0..32], topic w); LOG2(mem[0..32], topics w, caller); STOP.
const LOGGER_RUNTIME = ['600035', '600052', '600035', '6020', '6000', 'a1', '33', '600035', '6020', '6000', 'a2', '00'].join('');
// Constructor: CODECOPY(0, 12, len) and RETURN(0, len).
export const LOGGER_INIT = `0x60${(LOGGER_RUNTIME.length / 2).toString(16).padStart(2, '0')}600c60003960${(LOGGER_RUNTIME.length / 2)
  .toString(16)
  .padStart(2, '0')}6000f3${LOGGER_RUNTIME}`;

export interface Rpc {
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
}

export class Traffic {
  /** Signed transactions by hash (lower-case 0x hex) → ethers' serialization. */
  readonly signed = new Map<string, string>();
  private readonly nonces = new Map<string, number>();

  constructor(private readonly node: Rpc) {}

  async nonce(w: ethers.Wallet): Promise<number> {
    let n = this.nonces.get(w.address);
    if (n === undefined) n = Number(BigInt(await this.node.rpc<string>('eth_getTransactionCount', [w.address, 'pending'])));
    this.nonces.set(w.address, n + 1);
    return n;
  }

  /** Signs with ethers and sends; returns the tx hash. */
  async send(w: ethers.Wallet, tx: ethers.TransactionRequest): Promise<string> {
    const nonce = await this.nonce(w);
    const type = tx.type ?? 2;
    const fees = type === 0 || type === 1 ? { gasPrice: 3_000_000_000n } : { maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
    const raw = await w.signTransaction({ chainId: 31337, gasLimit: 300_000, nonce, ...fees, ...tx, type });
    return this.sendRaw(raw);
  }

  /** A legacy transaction without EIP-155 replay protection (v = 27/28). */
  async sendUnprotected(w: ethers.Wallet, to: string, value: bigint): Promise<string> {
    const t = ethers.Transaction.from({ type: 0, chainId: 0n, nonce: await this.nonce(w), gasLimit: 21_000, gasPrice: 3_000_000_000n, to, value });
    t.signature = w.signingKey.sign(t.unsignedHash);
    return this.sendRaw(t.serialized);
  }

  /** An EIP-7702 transaction carrying one authorization by `authority` (nonce taken from the chain). */
  async sendSetCode(w: ethers.Wallet, authority: ethers.Wallet, delegate: string): Promise<string> {
    const authNonce = authority.address === w.address ? (await this.peekNonce(w)) + 1 : await this.nonce(authority);
    const auth = await authority.authorize({ address: delegate, nonce: authNonce, chainId: 31337 });
    return this.send(w, { type: 4, to: w.address, value: 0n, authorizationList: [auth], gasLimit: 100_000 });
  }

  async deployLogger(w: ethers.Wallet): Promise<{ hash: string; address: string }> {
    const nonce = await this.peekNonce(w);
    const hash = await this.send(w, { type: 2, to: null, data: LOGGER_INIT, gasLimit: 200_000 });
    return { hash, address: ethers.getCreateAddress({ from: w.address, nonce }) };
  }

  /** A call of the logger: two logs whose first topic is `word`. */
  async callLogger(w: ethers.Wallet, logger: string, word: number, type = 2): Promise<string> {
    return this.send(w, { type, to: logger, data: ethers.zeroPadValue(ethers.toBeHex(word), 32), gasLimit: 100_000 });
  }

  /**
   * A call with gas for its intrinsic cost and Prague's calldata floor (EIP-7623: 21000 + 10 per
   * token, 35 tokens here) but not for the logger's LOG1: it runs out of gas (status 0).
   */
  async failingCall(w: ethers.Wallet, logger: string): Promise<string> {
    const data = ethers.zeroPadValue('0x01', 32);
    return this.send(w, { type: 2, to: logger, data, gasLimit: 21_400 });
  }

  /** A mix of every kind, for a block with several transactions. Returns the hashes. */
  async mixedBlock(logger: string | undefined): Promise<string[]> {
    const [a, b, c] = [devWallet(0), devWallet(1), devWallet(2)];
    const out = [
      await this.send(a, { type: 0, to: b.address, value: 1000n, gasLimit: 21_000 }),
      await this.sendUnprotected(b, a.address, 7n),
      await this.send(c, { type: 1, to: a.address, value: 5n, gasLimit: 30_000, accessList: [{ address: a.address, storageKeys: [ethers.ZeroHash] }] }),
      await this.send(a, { type: 2, to: c.address, value: 10n ** 15n, gasLimit: 21_000 }),
    ];
    if (logger !== undefined) {
      out.push(await this.callLogger(b, logger, 0x1234));
      out.push(await this.callLogger(c, logger, 0x5678, 1));
      out.push(await this.failingCall(a, logger));
    }
    return out;
  }

  private async peekNonce(w: ethers.Wallet): Promise<number> {
    const n = this.nonces.get(w.address);
    if (n !== undefined) return n;
    const chain = Number(BigInt(await this.node.rpc<string>('eth_getTransactionCount', [w.address, 'pending'])));
    this.nonces.set(w.address, chain);
    return chain;
  }

  private async sendRaw(raw: string): Promise<string> {
    const hash = await this.node.rpc<string>('eth_sendRawTransaction', [raw]);
    this.signed.set(hash.toLowerCase(), raw);
    return hash.toLowerCase();
  }
}
