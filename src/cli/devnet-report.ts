/**
 * What `lesp devnet` prints once it is up (stdout): chain id, genesis hash, node RPC URL, every
 * enode, the proxy URL, the funded dev accounts with their private keys (the public test keys of
 * anvil's well-known mnemonic, shown only where they match the node's accounts), a curl line to
 * try, and ready lines for a proxy or a LesProvider of one's own on the same servers.
 */
import { formatEther, getAddress } from 'ethers';
import type { DevAccount } from '../devnet/accounts.js';

export { devnetNodeKey, wellKnownKeys } from '../devnet/accounts.js';
export type { DevAccount };

export interface DevnetSummary {
  chainId: bigint;
  genesisHash: string;
  nodeUrl: string;
  /** e.g. "anvil 1.7.1, hardfork prague, pid 1234" or "external". */
  nodeNote: string;
  head: number;
  enodes: string[];
  /** The servers' WebSocket listeners (`?transport=ws` enodes), for browsers. */
  wsEnodes?: string[];
  proxyUrl: string;
  wsUrl: string;
  accounts: DevAccount[];
  /** With --beacon: the beacon API and the checkpoint root to start a light client from. */
  beaconApiUrl?: string;
  checkpoint?: string;
}

export function curlLine(proxyUrl: string, address: string): string {
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [address, 'latest'] });
  return `curl -s -X POST ${proxyUrl} -H 'content-type: application/json' -d '${body}'`;
}

/** A `lesp proxy` command line on the devnet's servers (another port than the devnet's own proxy). */
export function proxyLine(s: Pick<DevnetSummary, 'chainId' | 'genesisHash' | 'enodes'>): string {
  const file = s.chainId === 31337n ? '' : `echo '{"chainId":${s.chainId}}' > devnet-${s.chainId}.json && `;
  const network = s.chainId === 31337n ? 'devnet' : `devnet-${s.chainId}.json`;
  // --trusted takes the node id: shorter than the enode again.
  const servers = s.enodes.map((e) => `--server ${e} --trusted ${/^enode:\/\/([0-9a-fA-F]{128})@/.exec(e)?.[1] ?? e}`).join(' ');
  return `${file}lesp proxy --network ${network} --genesis-hash ${s.genesisHash} ${servers} --http-port 8546`;
}

/** A `new LesProvider({...})` on the devnet's servers. */
export function providerLine(s: Pick<DevnetSummary, 'chainId' | 'genesisHash' | 'enodes'>): string {
  const servers = s.enodes.map((e) => `{ enode: '${e}', trusted: true }`).join(', ');
  const network = s.chainId === 31337n ? `'devnet'` : `{ chainId: ${s.chainId} }`;
  return `new LesProvider({ network: ${network}, genesisHash: '${s.genesisHash}', servers: [${servers}] })`;
}

export function formatSummary(s: DevnetSummary): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => void lines.push(`${label.padEnd(13)}${value}`);
  lines.push('les-provider devnet is up', '');
  row('Chain id', `${s.chainId} (0x${s.chainId.toString(16)})`);
  row('Genesis', s.genesisHash);
  row('Node RPC', `${s.nodeUrl}  (${s.nodeNote}; head ${s.head})`);
  s.enodes.forEach((e, i) => row(i === 0 ? 'LES servers' : '', e));
  (s.wsEnodes ?? []).forEach((e, i) => row(i === 0 ? 'LES over WS' : '', `${e}${i === 0 ? '  (the same servers, for browsers)' : ''}`));
  row('Proxy', `${s.proxyUrl}  (WebSocket ${s.wsUrl}; every answer verified over LES)`);
  if (s.beaconApiUrl !== undefined) {
    row('Beacon API', `${s.beaconApiUrl}  (a devnet beacon chain: its sync committee signs the node's heads)`);
    row('Checkpoint', `${s.checkpoint ?? ''}  (the beacon chain's first block root)`);
  }
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
  lines.push('', 'Try:', `  ${curlLine(s.proxyUrl, first)}`);
  lines.push('', 'A proxy of your own on these servers:', `  ${proxyLine(s)}`);
  lines.push('', 'A light client in your app (import { LesProvider } from \'les-provider\'):', `  ${providerLine(s)}`);
  lines.push('', 'Test methods (evm_*, anvil_*, hardhat_*) sent to the proxy go to the node, unverified.', 'Ctrl-C stops everything.');
  return `${lines.join('\n')}\n`;
}
