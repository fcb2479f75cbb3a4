/**
 * Bootnodes: the public networks' published lists (go-ethereum's, as @ethereumjs/common carries
 * them) and which of a list a discovery socket can reach from its address.
 */
import { Holesky, Hoodi, Mainnet, Sepolia } from 'ethereumjs-common-10';
import { formatEnode, parseEnode } from './enode.js';

function isLoopback(host: string): boolean {
  return host === '::1' || host === 'localhost' || host.startsWith('127.');
}

/** The bootnodes a socket bound to `host` can reach: from a loopback address, only those on this machine. */
export function reachableBootnodes(host: string, bootnodes: readonly string[]): string[] {
  return isLoopback(host) ? bootnodes.filter((url) => isLoopback(parseEnode(url).host)) : [...bootnodes];
}

const PUBLISHED: Readonly<Record<string, { bootstrapNodes: readonly { ip: string; port: number | string; id: string }[] }>> = {
  mainnet: Mainnet,
  sepolia: Sepolia,
  holesky: Holesky,
  hoodi: Hoodi,
};

/** The bootnodes @ethereumjs/common publishes for a public network (go-ethereum's lists), as enode URLs; [] for any other. */
export function publishedBootnodes(network: string): string[] {
  const out: string[] = [];
  for (const b of PUBLISHED[network]?.bootstrapNodes ?? []) {
    try {
      out.push(formatEnode({ id: Uint8Array.from(Buffer.from(b.id, 'hex')), host: b.ip, port: Number(b.port) }));
    } catch {
      // an entry this build cannot use: skipped
    }
  }
  return out;
}
