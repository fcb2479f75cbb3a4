/**
 * Keys of a devnet: the LES servers' node keys, derived from a seed (same seed and ports, same
 * enode URLs on every start), and the dev accounts the node funds, with the public test keys of
 * anvil's well-known mnemonic where they match.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { HDNodeWallet, Mnemonic } from 'ethers';
import type { NodeRpcClient } from '../serve/rpc/client.js';
import { DEV_MNEMONIC } from './anvil.js';

/** Node key of devnet server `index`: keccak256("<seed>/<index>[/<n>]"), the first valid secp256k1 key. */
export function devnetNodeKey(seed: string, index: number): Uint8Array {
  for (let n = 0; ; n++) {
    const key = keccak256(new TextEncoder().encode(n === 0 ? `${seed}/${index}` : `${seed}/${index}/${n}`));
    if (secp256k1.utils.isValidPrivateKey(key)) return key;
  }
}

export interface DevAccount {
  /** As the node lists it (eth_accounts). */
  address: string;
  /** At the head when the devnet started. */
  balanceWei: bigint;
  /** The public test key, when the account is one of the well-known mnemonic's. */
  privateKey: string | undefined;
}

/** The first `count` keys of the well-known dev mnemonic, by lower-case address. */
export function wellKnownKeys(count: number): Map<string, string> {
  const root = HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(DEV_MNEMONIC), "m/44'/60'/0'/0");
  const out = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const w = root.deriveChild(i);
    out.set(w.address.toLowerCase(), w.privateKey);
  }
  return out;
}

/** The node's first `count` accounts, their balances and, where known, keys. */
export async function devAccounts(rpc: NodeRpcClient, count: number): Promise<DevAccount[]> {
  const addresses = (await rpc.call<string[]>('eth_accounts')).slice(0, count);
  const keys = wellKnownKeys(count);
  return Promise.all(
    addresses.map(async (address) => ({
      address,
      balanceWei: BigInt(await rpc.call<string>('eth_getBalance', [address, 'latest'])),
      privateKey: keys.get(address.toLowerCase()),
    })),
  );
}
