/**
 * Account proofs per second: GetProofsV2 served by a LesServer over RLPx (itself asking anvil's
 * eth_getProof and checking every answer), against eth_getProof answered by anvil directly, side
 * by side in one run on the same state, for distinct keys and for repeated keys.
 *
 *   - state: `accounts` funded addresses (anvil_setBalance), one block mined; the keys are in no
 *     block, so requests carry their preimages (the "lesp/preimages" extension);
 *   - distinct keys: every request asks 64 addresses never asked before (the funded ones, then
 *     absent ones), so only the top of the trie can come from the server's caches;
 *   - repeated keys: every request asks the same 64 funded addresses;
 *   - the server runs in its own process (this file with `--serve <rpcUrl>`), as `lesp serve`
 *     does, so client and server do not share an event loop;
 *   - LES: one client with the server's whole capacity (BL large enough to pipeline), `depth`
 *     GetProofsV2 requests of 64 account proofs each in flight; the first reply is verified;
 *   - node: eth_getProof for the same accounts, `depth` calls in flight, and the same as JSON-RPC
 *     batches of 64.
 * Usage: node --import tsx bench/serve-proofs.ts [seconds=5] [accounts=2000] [depth=8]
 */
import { spawn } from 'node:child_process';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { LesServer } from '../src/serve/index.js';
import { ProofNodeSet, readAccount } from '../src/verify/index.js';
import { startAnvil } from './lib/anvil.js';
import { LesTestClient } from '../test/helpers/les-client.js';

if (process.argv[2] === '--serve') {
  // Child mode: one LesServer giving its single client the whole capacity; prints its enode.
  const child = new LesServer({ rpcUrl: process.argv[3] as string, port: 0, capacity: { total: 1_000_000, min: 1_000_000 }, progressStream: null });
  console.log(await child.start());
  process.on('SIGTERM', () => void child.stop().then(() => process.exit(0)));
  await new Promise(() => undefined);
}

const seconds = Number(process.argv[2] ?? 5);
const accountCount = Number(process.argv[3] ?? 2000);
const depth = Number(process.argv[4] ?? 8);
const BATCH = 64;

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));

/** Runs `worker` in `depth` parallel loops for `ms`; returns completed units per second. */
async function rate(ms: number, worker: (i: number) => Promise<number>): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  let i = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: depth }, async () => {
      while (performance.now() < end) {
        const n = await worker(i++); // not `done += await …`: that reads `done` before the await
        done += n;
      }
    }),
  );
  return done / ((performance.now() - t0) / 1000);
}

const anvil = await startAnvil({ hardfork: 'prague' });
let server: ReturnType<typeof spawn> | undefined;
let client: LesTestClient | undefined;
try {
  const addresses = Array.from({ length: accountCount }, (_, i) => keccak256(new TextEncoder().encode(`bench-${i}`)).slice(12));
  for (let i = 0; i < addresses.length; i += 200) {
    await Promise.all(addresses.slice(i, i + 200).map((a, j) => anvil.rpc('anvil_setBalance', [hex(a), `0x${(i + j + 1).toString(16)}`])));
  }
  await anvil.rpc('evm_mine', []);
  const head = await anvil.rpc<{ hash: string; number: string; stateRoot: string }>('eth_getBlockByNumber', ['latest', false]);
  const genesis = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false]);

  // One client with all the capacity: BL = 6000 × 1,000,000, so `depth` requests fit in flight.
  server = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--serve', anvil.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const enode = await new Promise<string>((resolve, reject) => {
    let out = '';
    server?.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('enode://'));
      if (line !== undefined) resolve(line.trim());
    });
    server?.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  client = await LesTestClient.connect({ enode, networkId: 31337n, genesisHash: bytes(genesis.hash), respectFlow: true, requestTimeoutMs: 60_000 });
  const blockHash = bytes(head.hash);
  const keys = addresses.map((a) => keccak256(a));
  const batchAt = (i: number) => Array.from({ length: BATCH }, (_, j) => (i * BATCH + j) % keys.length);

  // Distinct keys beyond the funded ones are absent accounts: proofs of absence, equally checked.
  const addressAt = (i: number): Uint8Array => (i < addresses.length ? (addresses[i] as Uint8Array) : keccak256(new TextEncoder().encode(`bench-${i}`)).slice(12));
  const req = (a: Uint8Array) => ({ blockHash, accountKey: keccak256(a), storageKey: new Uint8Array(0), fromLevel: 0, address: a });

  // Correctness first: one reply of 64 proofs verifies and holds anvil's balances.
  const check = batchAt(0);
  const first = await client.proofs(check.map((k) => req(addresses[k]!)));
  const set = new ProofNodeSet(first.nodes, 'bench');
  for (const k of check) {
    const acc = readAccount(set, bytes(head.stateRoot), addresses[k]!);
    if (acc?.balance !== BigInt(k + 1)) throw new Error(`proof of account ${k} does not hold its balance`);
  }
  set.assertAllUsed();

  const c = client;
  // Distinct: request i asks addresses [64i, 64i+64) after the ones the check used; no key twice.
  let next = BATCH;
  const les = await rate(seconds * 1000, async () => {
    const from = next;
    next += BATCH;
    const r = await c.proofs(Array.from({ length: BATCH }, (_, j) => req(addressAt(from + j))));
    if (r.nodes.length === 0) throw new Error('empty proof reply');
    return BATCH;
  });
  const lesRepeated = await rate(seconds * 1000, async () => {
    const r = await c.proofs(check.map((k) => req(addresses[k]!)));
    if (r.nodes.length === 0) throw new Error('empty proof reply');
    return BATCH;
  });
  let nodeNext = BATCH;
  const single = await rate(seconds * 1000, async () => {
    await anvil.rpc('eth_getProof', [hex(addressAt(nodeNext++)), [], head.number]);
    return 1;
  });
  const nodeBatch = async (list: Uint8Array[]): Promise<number> => {
    const body = list.map((a, id) => ({ jsonrpc: '2.0', id, method: 'eth_getProof', params: [hex(a), [], head.number] }));
    const res = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const out = (await res.json()) as Array<{ result?: unknown }>;
    if (out.length !== list.length || out.some((o) => o.result === undefined)) throw new Error('eth_getProof batch failed');
    return list.length;
  };
  const batched = await rate(seconds * 1000, async () => {
    const from = nodeNext;
    nodeNext += BATCH;
    return nodeBatch(Array.from({ length: BATCH }, (_, j) => addressAt(from + j)));
  });
  const batchedRepeated = await rate(seconds * 1000, () => nodeBatch(check.map((k) => addresses[k]!)));
  const node = Math.max(single, batched);
  console.log(`accounts in state: ${accountCount + 10}, ${seconds} s per measurement, ${depth} in flight`);
  console.log(`LES GetProofsV2 (distinct keys, 64 accounts/request): ${les.toFixed(0)} account proofs/s`);
  console.log(`LES GetProofsV2 repeated keys (64 accounts/request): ${lesRepeated.toFixed(0)} account proofs/s`);
  console.log(`anvil eth_getProof (one per call):     ${single.toFixed(0)} proofs/s`);
  console.log(`anvil eth_getProof (JSON-RPC batch 64): ${batched.toFixed(0)} proofs/s`);
  console.log(`anvil eth_getProof repeated keys (batch 64): ${batchedRepeated.toFixed(0)} proofs/s`);
  console.log(`ratio LES / best node, distinct keys: ${(les / node).toFixed(2)}  (goal ≥ 0.8)`);
  console.log(`ratio LES / best node, repeated keys: ${(lesRepeated / Math.max(node, batchedRepeated)).toFixed(2)}  (goal ≥ 5)`);
} finally {
  await client?.close();
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  await anvil.stop();
}
