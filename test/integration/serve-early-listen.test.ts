/**
 * lesp serve in front of an anvil chain of 12,000 blocks (anvil_mine; its time per block grows with
 * the chain, so more would cost minutes here), the node behind a relay
 * that records every header batch the server asks for and can hold the history fill or hide
 * totalDifficulty (as go-ethereum no longer reports it):
 * - a node without totalDifficulty gives the server no TD for a recent segment, so the history is
 *   filled during start(); stop() then ends the fill after its batch, closes the store (the
 *   LevelDB directory opens again) and start() rejects with SERVE_STOPPED;
 * - the restart (the node now reporting totalDifficulty) listens at once on a recent segment and
 *   fills the rest behind it, never asking again for a header it stored; while the fill is held at
 *   its first block, a client gets a header at the head equal to anvil's, an account proof at the
 *   head verified against that header and equal to anvil's balance, a new head the follower picked
 *   up meanwhile, and for a header in the unfilled range the empty answer — and stays connected
 *   with no bad request counted;
 * - once the fill ends, every header is served (equal to anvil's), sections are built, and CHT
 *   proofs verify against their roots and prove anvil's hashes;
 * - a server stopped while its background fill runs (after start) keeps the gap and the filled
 *   headers; the restart keeps the same recent chain and continues the fill after them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { DEVNET } from '../../src/config/network.js';
import { ChainStore } from '../../src/serve/chain/index.js';
import { LesServer } from '../../src/serve/index.js';
import { openLevelStore } from '../../src/store/level.js';
import { accountKey, decodeHeader, verifyAccountProof, verifyChtProof } from '../../src/verify/index.js';
import { AuxReq, HelperTrieType } from '../../src/wire/index.js';
import { type Anvil, rpcCall, sendTx, startAnvil } from '../helpers/anvil.js';
import { LesTestClient, waitFor } from '../helpers/les-client.js';
import { type RpcGate, startRpcGate } from '../helpers/rpc-gate.js';

type Json = Record<string, unknown>;
const MINED = 12_000;
const SECTION = 1024;
const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const QUIET = '0x00000000000000000000000000000000000000cc';
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const be8 = (n: number): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
};

/**
 * In front of the node: records the numbers of every header batch (a JSON-RPC batch of ≥ 2
 * eth_getBlockByNumber calls without transactions), can hold batches below `holdBelow`, and can
 * strip totalDifficulty from block answers.
 */
class Relay {
  readonly batches: number[][] = [];
  stripTd = false;
  holdBelow = 0;
  held = 0;
  /** Header batches below `slowBelow` are answered `slowMs` late (a slow node). */
  slowBelow = 0;
  slowMs = 0;
  #release: Array<() => void> = [];
  #server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.#server = createServer((req, res) => {
      void this.#handle(req).then(
        (text) => res.writeHead(200, { 'content-type': 'application/json' }).end(text),
        (err: unknown) => res.writeHead(502).end(String(err)),
      );
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  release(): void {
    this.holdBelow = 0;
    for (const r of this.#release.splice(0)) r();
  }

  async close(): Promise<void> {
    this.release();
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  async #handle(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString();
    const parsed = JSON.parse(body) as Json | Json[];
    if (Array.isArray(parsed) && parsed.length >= 2 && parsed.every((c) => c.method === 'eth_getBlockByNumber' && (c.params as unknown[])[1] === false)) {
      const numbers = parsed.map((c) => Number(BigInt((c.params as string[])[0] as string)));
      this.batches.push(numbers);
      if ((numbers[0] as number) < this.slowBelow) await new Promise((resolve) => setTimeout(resolve, this.slowMs));
      if ((numbers[0] as number) < this.holdBelow) {
        this.held++;
        await new Promise<void>((resolve) => this.#release.push(resolve));
      }
    }
    const res = await fetch(this.target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.text();
    if (!this.stripTd || !text.includes('totalDifficulty')) return text;
    const strip = (a: Json): Json => {
      if (a.result !== null && typeof a.result === 'object') delete (a.result as Json).totalDifficulty;
      return a;
    };
    const answer = JSON.parse(text) as Json | Json[];
    return JSON.stringify(Array.isArray(answer) ? answer.map(strip) : strip(answer));
  }

  /** Every block number asked for in header batches since `from` (an index into `batches`). */
  numbersSince(from: number): number[] {
    return this.batches.slice(from).flat();
  }
}

let anvil: Anvil;
let gate: RpcGate;
let relay: Relay;
let datadir: string;
let genesis: Uint8Array;
const servers: LesServer[] = [];

async function anvilBlock(n: number): Promise<{ hash: string; stateRoot: string }> {
  return anvil.rpc<{ hash: string; stateRoot: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
}

function serverOn(dir = datadir): LesServer {
  const s = new LesServer({ rpcUrl: relay.url, datadir: dir, port: 0, sectionSize: SECTION, confirmations: 16, pollIntervalMs: 100, progressStream: null });
  servers.push(s);
  return s;
}

before(async () => {
  // Cancun: prague's system contracts make anvil_mine several times slower per block.
  anvil = await startAnvil({ hardfork: 'cancun' });
  // anvil_mine of many blocks at once slows down more than linearly: a thousand at a time.
  for (let left = MINED; left > 0; left -= 1000) await anvil.rpc('anvil_mine', [`0x${Math.min(1000, left).toString(16)}`]);
  // Block MINED+1 names DEV and QUIET: the preimage index learns them from the recent segment.
  await sendTx(anvil, { from: DEV, to: QUIET, value: '0x1234' });
  gate = await startRpcGate(anvil.url);
  relay = new Relay(gate.url);
  await relay.start();
  datadir = mkdtempSync(join(tmpdir(), 'lesp-early-'));
  genesis = bytes((await anvilBlock(0)).hash);
});

after(async () => {
  for (const s of servers) await s.stop();
  await relay?.close();
  await gate?.close();
  await anvil?.stop();
  if (datadir !== undefined) rmSync(datadir, { recursive: true, force: true });
});

describe('lesp serve listens before the header history is filled', () => {
  let firstStored = -1;

  it('a node without totalDifficulty: the history is filled in start(); stop() ends it and closes the store', async () => {
    relay.stripTd = true;
    const server = serverOn();
    const started = server.start();
    started.catch(() => undefined);
    await waitFor(() => relay.numbersSince(0).some((n) => n >= 2000), 60_000, 'the fill to pass block 2000');
    const t0 = Date.now();
    await server.stop();
    const stopMs = Date.now() - t0;
    await assert.rejects(started, { code: 'SERVE_STOPPED' });
    assert.equal(server.started, false);
    assert.ok(stopMs < 10_000, `stop took ${stopMs} ms`);
    // The store was closed: LevelDB opens the directory again (its lock is free).
    const kv = await openLevelStore(datadir);
    try {
      const store = await ChainStore.open({ store: kv.namespace('chain') });
      firstStored = store.headNumber();
      assert.equal(store.historyGap(), undefined, 'filled from genesis, no segment');
      // Stopped mid-fill: batches up to the one in progress are stored, the rest is not.
      assert.ok(firstStored >= 1000 && firstStored < MINED - 1000, `stored up to ${firstStored}`);
      assert.deepEqual(hex((await store.headerByNumber(firstStored))?.hash as Uint8Array), (await anvilBlock(firstStored)).hash);
    } finally {
      await kv.close();
    }
    console.log(`# stopped during start after ${firstStored + 1} headers, stop() took ${stopMs} ms`);
  });

  let server: LesServer;
  let client: LesTestClient;
  let batchesBefore = 0;

  it('the restart listens at once on the recent chain, serves the head, its state and new heads while the fill is held', async () => {
    relay.stripTd = false;
    batchesBefore = relay.batches.length;
    const nodeHead = MINED + 1;
    relay.holdBelow = nodeHead - 1000;
    server = serverOn();
    const t0 = Date.now();
    await server.start();
    console.log(`# listening ${Date.now() - t0} ms after start with ${firstStored + 1} of ${nodeHead + 1} headers stored`);
    const history = server.stats().history;
    assert.ok(history !== undefined, 'a fill is under way');
    assert.equal(history.filled, firstStored);
    assert.equal(history.anchor, nodeHead - 127);
    await waitFor(() => relay.held > 0, 10_000, 'the fill to ask for its first batch');
    const asked = relay.numbersSince(batchesBefore);
    assert.equal(Math.min(...asked.filter((n) => n < history.anchor)), firstStored + 1, 'the fill continues after the stored headers');

    client = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis, respectFlow: true });
    assert.equal(client.server.headNum, nodeHead);
    assert.equal(client.server.serveChainSince, history.anchor, 'bodies and receipts claimed from the segment only');
    assert.equal(client.server.serveHeaders, true);

    const top = await client.headers({ origin: { number: nodeHead }, amount: 1, skip: 0, reverse: false });
    assert.equal(top.headers.length, 1);
    const headerRlp = top.headers[0] as Uint8Array;
    assert.equal(hex(keccak256(headerRlp)), (await anvilBlock(nodeHead)).hash, "the head header hashes to anvil's");
    const header = decodeHeader(headerRlp);
    const proof = await client.proofs([{ blockHash: keccak256(headerRlp), accountKey: accountKey(bytes(QUIET)), storageKey: new Uint8Array(0), fromLevel: 0 }]);
    const account = verifyAccountProof(header.stateRoot, bytes(QUIET), proof.nodes);
    assert.equal(account?.balance, BigInt(await anvil.rpc<string>('eth_getBalance', [QUIET, `0x${nodeHead.toString(16)}`])));

    // Below the filled range: the empty answer, and the client is neither penalised nor dropped.
    for (const origin of [firstStored + 1, 8_000, history.anchor - 1]) {
      const gap = await client.headers({ origin: { number: origin }, amount: 4, skip: 0, reverse: false });
      assert.equal(gap.headers.length, 0, `no header at ${origin} yet`);
    }
    // A CHT section that cannot be built yet: the empty answer too.
    const notBuilt = await client.helperTries([{ subType: HelperTrieType.CHT, sectionIdx: 8, key: be8(8 * SECTION + 1), fromLevel: 0, auxReq: AuxReq.Header }]);
    assert.deepEqual([notBuilt.nodes.length, notBuilt.auxData.length], [0, 0]);
    const session = server.stats().sessions[0];
    assert.equal(session?.counters.bad, 0);
    assert.equal(client.closed, undefined);
    const stored = await client.headers({ origin: { number: firstStored }, amount: 1, skip: 0, reverse: false });
    assert.equal(hex(keccak256(stored.headers[0] as Uint8Array)), (await anvilBlock(firstStored)).hash, 'filled headers are served');

    // The head is followed during the fill: a new block is announced.
    await rpcCall(gate.url, 'anvil_mine', ['0x1']);
    await waitFor(() => client.announces.some((a) => a.headNumber === nodeHead + 1), 15_000, 'an announce of the new head');
    assert.equal(server.stats().history?.filled, firstStored, 'the fill is still held');
    // Sections come from the filled history only, never across the gap.
    await server.stack.indexer.idle();
    const sections = server.stats().sections;
    assert.ok(sections * SECTION <= firstStored + 1, `${sections} sections from ${firstStored + 1} filled headers`);
  });

  it('once the fill ends, every header is served and sections give CHT proofs', async () => {
    relay.release();
    await waitFor(() => server.stats().history === undefined, 120_000, 'the fill to end');
    const asked = relay.numbersSince(batchesBefore);
    assert.equal(asked.filter((n) => n <= firstStored).length, 0, 'no stored header was asked for again');
    const filled = asked.filter((n) => n > firstStored && n < MINED - 126);
    assert.equal(new Set(filled).size, filled.length, 'each header asked once');
    console.log(`# restart asked for ${filled.length} history headers, none of the ${firstStored + 1} stored`);

    for (const n of [1, firstStored + 1, 8_000, MINED - 127]) {
      const r = await client.headers({ origin: { number: n }, amount: 1, skip: 0, reverse: false });
      assert.equal(hex(keccak256(r.headers[0] as Uint8Array)), (await anvilBlock(n)).hash, `header ${n}`);
    }
    await waitFor(() => server.stats().sections >= Math.floor((MINED - 16) / SECTION), 120_000, 'sections to be built');
    const section = 7;
    const n = section * SECTION + 17;
    const root = await client.helperTries([{ subType: HelperTrieType.CHT, sectionIdx: section, key: be8(0), fromLevel: 0, auxReq: AuxReq.Root }]);
    const chtRoot = root.auxData[0] as Uint8Array;
    const r = await client.helperTries([{ subType: HelperTrieType.CHT, sectionIdx: section, key: be8(n), fromLevel: 0, auxReq: AuxReq.Header }]);
    const entry = verifyChtProof(chtRoot, n, r.nodes);
    assert.equal(hex(entry.hash), (await anvilBlock(n)).hash, "the CHT proves anvil's hash");
    assert.equal(hex(keccak256(r.auxData[0] as Uint8Array)), (await anvilBlock(n)).hash);
    await client.close();
  });

  it('stopped during the background fill, a restart continues after the stored headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lesp-early-bg-'));
    try {
      relay.slowBelow = MINED - 1000;
      relay.slowMs = 150;
      const first = serverOn(dir);
      await first.start();
      const anchor = first.stats().history?.anchor as number;
      await waitFor(() => (first.stats().history?.filled ?? 0) >= 2000, 60_000, 'the background fill to pass block 2000');
      await first.stop();
      const kv = await openLevelStore(dir);
      let filled: number;
      try {
        const gap = (await ChainStore.open({ store: kv.namespace('chain') })).historyGap();
        assert.ok(gap !== undefined, 'the gap is kept');
        assert.equal(gap.anchor, anchor);
        filled = gap.filled;
        assert.ok(filled >= 2000 && filled < anchor - 1, `filled ${filled}`);
      } finally {
        await kv.close();
      }
      relay.slowBelow = 0;
      const from = relay.batches.length;
      const second = serverOn(dir);
      await second.start();
      assert.deepEqual({ filled: second.stats().history?.filled, anchor: second.stats().history?.anchor }, { filled, anchor });
      await waitFor(() => second.stats().history === undefined, 120_000, 'the fill to end');
      const asked = relay.numbersSince(from).filter((n) => n < anchor);
      assert.equal(Math.min(...asked), filled + 1, 'continues after the stored headers');
      assert.equal(asked.length, anchor - 1 - filled, 'each missing header asked once, no stored one');
      await second.stop();
      console.log(`# background fill stopped at ${filled}; the restart asked for ${asked.length} headers`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a node without totalDifficulty on a network whose TD at the merge is known: listens at once, announcing that TD", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lesp-early-td-'));
    const head = await anvil.rpc<Json>('eth_getBlockByNumber', ['latest', false]);
    assert.equal(BigInt(head.difficulty as string), 0n, 'a proof-of-stake chain');
    // The node's own figure, read before the relay hides it: what a server must announce.
    const td = BigInt((head.totalDifficulty as string | undefined) ?? '0x0') + 7n;
    relay.stripTd = true;
    relay.slowBelow = MINED - 1000;
    relay.slowMs = 150;
    try {
      const s = new LesServer({ rpcUrl: relay.url, datadir: dir, port: 0, sectionSize: SECTION, confirmations: 16, pollIntervalMs: 100, progressStream: null, network: { ...DEVNET, finalTotalDifficulty: td } });
      servers.push(s);
      await s.start();
      const history = s.stats().history;
      assert.ok(history !== undefined && history.filled < history.anchor - 1, 'listening while the history is still to fill');
      const c = await LesTestClient.connect({ enode: s.enode, networkId: 31337n, genesisHash: genesis });
      try {
        assert.equal(c.server.headTd, td, "the Status carries the network's TD at the merge");
        assert.equal(c.server.serveChainSince, history.anchor);
      } finally {
        await c.close();
      }
      await s.stop();
    } finally {
      relay.stripTd = false;
      relay.slowBelow = 0;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
