/**
 * What `lesp devnet` prints once it is up (stdout): chain id, node RPC URL, every enode, the proxy
 * URL, the funded dev accounts with their private keys (the public test keys of anvil's
 * well-known mnemonic, derived here and shown only where they match the node's accounts), and a
 * curl line to try. Also the deterministic node keys of the devnet's LES servers.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { HDNodeWallet, Mnemonic, formatEther, getAddress } from 'ethers';
import { DEV_MNEMONIC } from './devnet-anvil.js';

/** Node key of devnet server `index`: keccak256("<seed>/<index>[/<n>]"), the first valid secp256k1 key. */
export function devnetNodeKey(seed: string, index: number): Uint8Array {
  for (let n = 0; ; n++) {
    const key = keccak256(new TextEncoder().encode(n === 0 ? `${seed}/${index}` : `${seed}/${index}/${n}`));
    if (secp256k1.utils.isValidPrivateKey(key)) return key;
  }
}

export interface DevAccount {
  address: string;
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

export interface DevnetSummary {
  chainId: bigint;
  nodeUrl: string;
  /** e.g. "anvil 1.7.1, hardfork prague, pid 1234" or "external". */
  nodeNote: string;
  head: number;
  enodes: string[];
  proxyUrl: string;
  wsUrl: string;
  accounts: DevAccount[];
}

export function curlLine(proxyUrl: string, address: string): string {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [address, 'latest'] });
  return `curl -s -X POST ${proxyUrl} -H 'content-type: application/json' -d '${body}'`;
}

export function formatSummary(s: DevnetSummary): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => void lines.push(`${label.padEnd(13)}${value}`);
  lines.push('les-provider devnet is up', '');
  row('Chain id', `${s.chainId} (0x${s.chainId.toString(16)})`);
  row('Node RPC', `${s.nodeUrl}  (${s.nodeNote}; head ${s.head})`);
  s.enodes.forEach((e, i) => row(i === 0 ? 'LES servers' : '', e));
  row('Proxy', `${s.proxyUrl}  (WebSocket ${s.wsUrl}; every answer verified over LES)`);
  lines.push('');
  if (s.accounts.length === 0) lines.push('Dev accounts: the node lists none (eth_accounts is empty).');
  else {
    const keyed = s.accounts.some((a) => a.privateKey !== undefined);
    lines.push(keyed ? 'Dev accounts (PUBLIC test keys of the well-known "test ... junk" mnemonic: anyone has them, never use them on a real network):' : 'Dev accounts:');
    s.accounts.forEach((a, i) => {
      lines.push(`  (${i}) ${getAddress(a.address)}  ${formatEther(a.balanceWei)} ETH${a.privateKey === undefined ? '' : `  key ${a.privateKey}`}`);
    });
  }
  const first = s.accounts[0]?.address ?? '0x0000000000000000000000000000000000000000';
  lines.push('', 'Try:', `  ${curlLine(s.proxyUrl, first)}`, '', 'Ctrl-C stops everything.');
  return `${lines.join('\n')}\n`;
}
