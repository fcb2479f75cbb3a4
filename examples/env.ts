/**
 * Where the examples find the chain: environment variables, with defaults that match what
 * `npm start` (`lesp devnet`) prints, so `npm start` in one terminal and an example in another
 * just works. Point them anywhere else with:
 *
 *   PROXY_URL     the verifying JSON-RPC proxy             (default http://127.0.0.1:8545)
 *   LES_SERVERS   LES servers' enode URLs, comma-separated  (default: the devnet's two servers)
 *   NETWORK       devnet | mainnet | a network config JSON file (default devnet)
 *   GENESIS_HASH  the genesis hash a devnet client starts from (default: asked once, see below)
 *   NODE_URL      a node to ask for that genesis hash      (default: PROXY_URL)
 *   PRIVATE_KEY   the sender, for the examples that send   (default: anvil's dev account 0)
 */
import { readFileSync } from 'node:fs';

/**
 * The devnet's LES servers. Their node keys are keccak256("lesp-devnet/<i>") (`lesp devnet
 * --seed`, default lesp-devnet) and their ports 30303 + i (`--les-port`), so these enode URLs are
 * the same on every start.
 */
export const DEVNET_SERVERS: readonly string[] = [
  'enode://bc8eee8046dff046d3c0b186b14a5da0ab9e3a59ee3a4151c31ae9d220c8711c9a1641ffff378332737fba540e04ff58f036709e3481503b662726444b7f216b@127.0.0.1:30303',
  'enode://834cb088cbc483c65adb74803b8dba420ce8a5f1b04148567cbb508cde5fb1d5a57948da7be30a6fcc68f544d8086c8d2eba9310fb9ea52bda6b3728361e8a32@127.0.0.1:30304',
];

/** anvil's dev account 0 (the PUBLIC "test ... junk" mnemonic). Never use it on a real chain. */
export const DEV_KEY_0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

export const PROXY_URL = process.env.PROXY_URL ?? 'http://127.0.0.1:8545';
export const PRIVATE_KEY = process.env.PRIVATE_KEY ?? DEV_KEY_0;

/** The LES servers to dial. */
export function lesServers(): string[] {
  const given = process.env.LES_SERVERS;
  const list = given === undefined ? [...DEVNET_SERVERS] : given.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (list.length === 0) throw new Error('LES_SERVERS is empty: give enode URLs, comma-separated');
  return list;
}

/** A built-in network name, or the parsed JSON of a network config file. */
export function network(): string | Record<string, unknown> {
  const n = process.env.NETWORK ?? 'devnet';
  if (n === 'devnet' || n === 'mainnet') return n;
  return JSON.parse(readFileSync(n, 'utf8')) as Record<string, unknown>;
}

/**
 * The genesis hash a client of this network starts from. Mainnet and a config file with a
 * `genesisHash` carry their own. A devnet has none (anvil's genesis is time-stamped, new on every
 * start): it is asked once of a node you run yourself — NODE_URL, or the devnet's own proxy —
 * which is trust in your own machine, not in the LES servers.
 */
export async function genesisHash(): Promise<string | undefined> {
  if (process.env.GENESIS_HASH !== undefined) return process.env.GENESIS_HASH;
  const net = network();
  if (net === 'mainnet' || (typeof net === 'object' && net.genesisHash !== undefined)) return undefined;
  const url = process.env.NODE_URL ?? PROXY_URL;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBlockByNumber', params: ['0x0', false] }),
  }).catch((err: unknown) => {
    throw new Error(`cannot ask ${url} for the genesis hash (${(err as Error).message}): is the devnet up (npm start)? Or set GENESIS_HASH`);
  });
  const body = (await res.json()) as { result?: { hash?: string } };
  if (typeof body.result?.hash !== 'string') throw new Error(`${url} did not give its genesis block`);
  return body.result.hash;
}
