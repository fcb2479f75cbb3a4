/**
 * One test body for `lesp serve` in front of any execution node (anvil, Hardhat, a pruned relay):
 * the node gets traffic (a transfer, a contract that writes storage and logs, calls spread over
 * three sections), a LesServer follows it with sections of 64 blocks, and
 * - an LES peer over RLPx gets headers, bodies, receipts, account / storage / absent proofs in
 *   go-ethereum's entry form, code, CHT and BloomBits proofs: every one verified, and equal to the
 *   node's own JSON-RPC answers for the same thing;
 * - LesProvider over an in-process LesClient answers the same calls as the node.
 * The expected side is always the node's answer, asked through the same URL the server follows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { LesClient, LesProvider } from '../../src/index.js';
import { LesServer, type ServeLog } from '../../src/serve/index.js';
import { AuxReq, Code, HelperTrieType, type RlpItem, decodeProofsV2, decodeRlp, encodeRlp, encodeUint } from '../../src/wire/index.js';
import {
  ProofNodeSet,
  checkChtHeader,
  decodeHeader,
  headerHash,
  readAccount,
  readBloomBits,
  readChtEntry,
  readStorage,
  verifyAccountProof,
  verifyBody,
  verifyCode,
  verifyReceipts,
} from '../../src/verify/index.js';
import { rpcCall } from './anvil.js';
import { LesTestClient } from './les-client.js';

export const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
/** Runtime: SSTORE(cd[32..64], cd[0..32]); LOG1(0, 0, topic = cd[0..32]); STOP — and its init code. */
const RUNTIME = '6000356020355560003560006000a100';
const INIT = `0x6010600c60003960106000f3${RUNTIME}`;
const SECTION = 64;
const CONFIRMATIONS = 16;
const RECIPIENT = '0x00000000000000000000000000000000000000aa';
const ABSENT = '0x00000000000000000000000000000000000c0ffe';
const EMPTY = new Uint8Array(0);

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const word = (n: bigint): string => n.toString(16).padStart(64, '0');
const qty = (n: number): string => `0x${n.toString(16)}`;
const be = (n: number, width: number): Uint8Array => {
  const out = new Uint8Array(width);
  for (let i = width - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
};
const bloomBit = (bloom: Uint8Array, b: number): boolean => ((bloom[255 - (b >> 3)] as number) & (1 << (b & 7))) !== 0;
const bitsOf = (x: Uint8Array): number[] => {
  const h = keccak256(x);
  return [0, 1, 2].map((i) => (((h[2 * i] as number) << 8) | (h[2 * i + 1] as number)) & 2047);
};
/** A canonical transaction or receipt as the wire item verify reads: legacy = its list, typed = its bytes. */
const wireItem = (canonical: Uint8Array): RlpItem => ((canonical[0] as number) >= 0xc0 ? decodeRlp(canonical, 'test') : canonical);
/** Proof nodes as a set; anvil lists 0x80 for an empty trie, which an LES proof leaves out. */
const nodeSet = (list: readonly string[]): string[] => [...new Set(list.map((x) => x.toLowerCase()).filter((x) => x !== '0x80'))].sort();

type RpcBlock = { hash: string; number: string; stateRoot: string; parentHash: string; receiptsRoot: string; logsBloom: string; difficulty: string; totalDifficulty?: string; transactions: string[] };
type RpcReceipt = { status: string; cumulativeGasUsed: string; blockHash: string; blockNumber: string; contractAddress: string | null; transactionHash: string; logs: Array<{ address: string; topics: string[]; data: string }> };
type RpcProof = { balance: string; nonce: string; codeHash: string; storageHash: string; accountProof: string[]; storageProof: Array<{ key: string; value: string; proof: string[] }> };

export interface NodeUnderTest {
  /** The URL lesp serve follows and the node's answers come from. */
  url: string;
  /** The node's dev API (not through a relay): sends and mines. */
  control: { rpc<T = unknown>(method: string, params?: unknown[]): Promise<T> };
  /** Mines `n` empty blocks. */
  mine(n: number): Promise<void>;
  stop(): Promise<void>;
}

export interface SuiteExpectations {
  /** The first block whose state the server serves, given the node's head when it started. */
  stateSince(headAtStart: number): number;
  /** serveRecentState in Status (undefined: absent). */
  recentState: number | undefined;
  /** Text the start summary must contain about receipts and state. */
  summary: RegExp[];
}

/** Captures what a server logs. */
function recordingLog(): ServeLog & { infos: string[]; errors: string[] } {
  const infos: string[] = [];
  const errors: string[] = [];
  return { infos, errors, debug() {}, info: (_o, msg) => void infos.push(msg), warn() {}, error: (_o, msg) => void errors.push(msg) };
}

export function serveNodeSuite(name: string, start: () => Promise<NodeUnderTest>, expect: SuiteExpectations): void {
  let node: NodeUnderTest;
  let server: LesServer;
  let client: LesTestClient;
  let contract: string;
  let headAtStart: number;
  const log = recordingLog();
  const logBlocks: number[] = [];
  const txs: string[] = [];
  const blocks: RpcBlock[] = [];
  const rpc = <T>(method: string, params: unknown[] = []): Promise<T> => rpcCall<T>(node.url, method, params);

  async function send(tx: Record<string, string>): Promise<RpcReceipt> {
    const hash = await node.control.rpc<string>('eth_sendTransaction', [{ from: DEV, ...tx }]);
    txs.push(hash);
    for (let i = 0; i < 400; i++) {
      const r = await node.control.rpc<RpcReceipt | null>('eth_getTransactionReceipt', [hash]);
      if (r !== null) return r;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`no receipt for ${hash}`);
  }
  async function store(value: bigint, slot: bigint): Promise<void> {
    const r = await send({ to: contract, data: `0x${word(value)}${word(slot)}`, gas: '0x20000' });
    logBlocks.push(Number(r.blockNumber));
  }
  async function mineTo(n: number): Promise<void> {
    const head = Number(await node.control.rpc<string>('eth_blockNumber'));
    if (n > head) await node.mine(n - head);
  }
  async function rawProofs(entries: Uint8Array[][]): Promise<Uint8Array[]> {
    const reply = await client.raw(Code.GetProofsV2, entries.length, (reqID) => encodeRlp([encodeUint(reqID), entries.map((e) => [...e.slice(0, 3), encodeUint(0), ...e.slice(3)])]));
    return decodeProofsV2(reply.payload).nodes;
  }

  describe(`lesp serve in front of ${name}`, () => {
    before(async () => {
      node = await start();
      await send({ to: RECIPIENT, value: '0xde0b6b3a7640000' });
      contract = (await send({ data: INIT })).contractAddress as string;
      await store(0xabcdefn, 7n);
      await mineTo(SECTION + 5);
      await store(0x1234n, 9n);
      await mineTo(2 * SECTION + CONFIRMATIONS + 10);
      await store(0x55n, 7n);
      headAtStart = Number(await rpc<string>('eth_blockNumber'));
      server = new LesServer({ rpcUrl: node.url, port: 0, pollIntervalMs: 50, progressStream: null, log });
      await server.start();
      // Followed live: an eager block with its receipts, after the start.
      await store(0x77n, 11n);
      await node.mine(2);
      await server.stack.idle();
      const head = Number(await rpc<string>('eth_blockNumber'));
      for (let n = 0; n <= head; n++) blocks.push(await rpc<RpcBlock>('eth_getBlockByNumber', [qty(n), false]));
      client = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: bytes(blocks[0]!.hash), respectFlow: true });
    });

    after(async () => {
      await client?.close();
      await server?.stop();
      await node?.stop();
    });

    it('prints one summary at start of what is served and what not', () => {
      const summary = log.infos.filter((m) => m.startsWith('serving from'));
      assert.equal(summary.length, 1, 'one summary');
      for (const re of expect.summary) assert.match(summary[0]!, re);
      assert.deepEqual(log.errors, [], 'nothing logged as an error');
    });

    it("Status: the node's genesis and head, TD summed from its difficulties, the state window it can prove", () => {
      const s = client.server;
      const head = blocks[blocks.length - 1]!;
      assert.equal(hex(s.genesisHash), blocks[0]!.hash);
      assert.equal(hex(s.headHash), head.hash);
      assert.equal(s.headNum, Number(head.number));
      const summed = blocks.reduce((t, b) => t + BigInt(b.difficulty), 0n);
      assert.equal(s.headTd, head.totalDifficulty === undefined ? summed : BigInt(head.totalDifficulty));
      assert.equal(s.headTd, summed);
      assert.equal(s.serveStateSince, expect.stateSince(headAtStart));
      assert.equal(s.serveRecentState, expect.recentState);
    });

    it("GetBlockHeaders: every header from genesis hashes to the node's block and links to its parent", async () => {
      for (let from = 0; from < blocks.length; from += 192) {
        const got = await client.headers({ origin: { number: from }, amount: 192, skip: 0, reverse: false });
        assert.equal(got.headers.length, Math.min(192, blocks.length - from));
        for (const [i, rlp] of got.headers.entries()) {
          const want = blocks[from + i]!;
          assert.equal(hex(headerHash(rlp)), want.hash);
          const h = decodeHeader(rlp);
          assert.equal(hex(h.parentHash), want.parentHash);
          assert.equal(hex(h.stateRoot), want.stateRoot);
        }
      }
    });

    it("GetBlockBodies and GetReceipts: verify against their headers and equal the node's transactions and receipts", async () => {
      const withTxs = blocks.filter((b) => b.transactions.length > 0);
      assert.equal(withTxs.reduce((n, b) => n + b.transactions.length, 0), txs.length);
      const bodies = await client.bodies(withTxs.map((b) => bytes(b.hash)));
      const receipts = await client.receipts(withTxs.map((b) => bytes(b.hash)));
      let logs = 0;
      for (const [i, b] of withTxs.entries()) {
        const header = decodeHeader((await client.headers({ origin: { hash: bytes(b.hash) }, amount: 1, skip: 0, reverse: false })).headers[0]!);
        const body = bodies.bodies[i]!;
        verifyBody({ transactions: body.transactions.map(wireItem), uncles: body.uncles.map(wireItem), withdrawals: body.withdrawals?.map((w) => decodeRlp(w, 'w')) }, header);
        assert.deepEqual(body.transactions.map((t) => hex(keccak256(t))), b.transactions);
        const decoded = verifyReceipts(receipts.receipts[i]!.map(wireItem), header);
        assert.equal(decoded.length, b.transactions.length);
        for (const [j, r] of decoded.entries()) {
          const t = await rpc<RpcReceipt>('eth_getTransactionReceipt', [b.transactions[j]]);
          assert.equal(BigInt(r.status ?? -1), BigInt(t.status));
          assert.equal(r.cumulativeGasUsed, BigInt(t.cumulativeGasUsed));
          assert.deepEqual(
            r.logs.map((l) => ({ address: hex(l.address), topics: l.topics.map(hex), data: hex(l.data) })),
            t.logs.map((l) => ({ address: l.address.toLowerCase(), topics: l.topics, data: l.data })),
          );
          logs += r.logs.length;
        }
      }
      assert.equal(logs, logBlocks.length, 'one log per contract call');
    });

    it("GetProofsV2 in go-ethereum's form: account, storage and absent proofs hold exactly the node's eth_getProof nodes and values", async () => {
      const head = blocks[blocks.length - 1]!;
      const h = bytes(head.hash);
      const root = bytes(head.stateRoot);
      for (const a of [DEV, contract, RECIPIENT, ABSENT]) {
        // Standard les/4 for accounts a block names; the preimage extension for the one none does.
        const entry = a === ABSENT ? [h, EMPTY, keccak256(bytes(a)), bytes(a), EMPTY] : [h, EMPTY, keccak256(bytes(a))];
        const nodes = await rawProofs([entry]);
        const theirs = await rpc<RpcProof>('eth_getProof', [a, [], head.number]);
        assert.deepEqual(nodes.map(hex).sort(), nodeSet(theirs.accountProof), `account proof of ${a}`);
        const acc = verifyAccountProof(root, bytes(a), nodes);
        if (a === ABSENT) {
          assert.equal(acc, undefined, 'proven absent');
          assert.equal(BigInt(theirs.balance), 0n);
          continue;
        }
        assert.equal(acc?.balance, BigInt(theirs.balance), `balance of ${a}`);
        assert.equal(acc?.nonce, BigInt(theirs.nonce));
        assert.equal(hex(acc!.codeHash), theirs.codeHash);
      }
      for (const slot of [7n, 9n, 11n, 12345n]) {
        const nodes = await rawProofs([[h, keccak256(bytes(contract)), keccak256(bytes(word(slot))), bytes(contract), bytes(word(slot))]]);
        const theirs = await rpc<RpcProof>('eth_getProof', [contract, [`0x${word(slot)}`], head.number]);
        assert.deepEqual(nodes.map(hex).sort(), nodeSet([...theirs.accountProof, ...(theirs.storageProof[0]?.proof ?? [])]), `storage proof of slot ${slot}`);
        const set = new ProofNodeSet(nodes, 'storage');
        const acc = readAccount(set, root, bytes(contract));
        assert.equal(hex(acc!.storageRoot), theirs.storageHash);
        assert.equal(readStorage(set, acc!.storageRoot, { slot: bytes(word(slot)) }), BigInt(theirs.storageProof[0]!.value));
        set.assertAllUsed();
      }
      assert.equal(BigInt((await rpc<RpcProof>('eth_getProof', [contract, [`0x${word(7n)}`], head.number])).storageProof[0]!.value), 0x55n);
    });

    it('GetProofsV2 at older blocks: served inside the window the node proves, the empty answer outside it', async () => {
      const since = client.server.serveStateSince ?? 0;
      const recent = client.server.serveRecentState ?? 0;
      const headNum = blocks.length - 1;
      for (const n of [1, logBlocks[0]!, logBlocks[1]!, headNum - 100]) {
        const b = blocks[n]!;
        const nodes = await rawProofs([[bytes(b.hash), EMPTY, keccak256(bytes(DEV))]]);
        const served = n >= since && (recent === 0 || n + recent > headNum);
        const theirs = await rpc<RpcProof>('eth_getProof', [DEV, [], b.number]).then(
          (p) => p,
          (e: Error) => e,
        );
        if (!served) {
          assert.deepEqual(nodes, [], `block ${n} is outside the window`);
          if (recent > 0) assert.match(String((theirs as Error).message), /missing trie node|not available/, `the node has no state at block ${n}`);
          continue;
        }
        assert.ok(!(theirs instanceof Error), `the node proves block ${n}`);
        assert.deepEqual(nodes.map(hex).sort(), nodeSet(theirs.accountProof), `account proof at block ${n}`);
        assert.equal(verifyAccountProof(bytes(b.stateRoot), bytes(DEV), nodes)?.balance, BigInt(theirs.balance));
      }
    });

    it("GetContractCodes: equal to eth_getCode and hashing to the proven codeHash; an account without code gets none", async () => {
      const head = blocks[blocks.length - 1]!;
      const h = bytes(head.hash);
      const reply = await client.codes([{ blockHash: h, accountKey: keccak256(bytes(contract)) }, { blockHash: h, accountKey: keccak256(bytes(DEV)) }]);
      assert.equal(hex(reply.codes[0]!), await rpc<string>('eth_getCode', [contract, head.number]));
      assert.equal(hex(reply.codes[0]!), `0x${RUNTIME}`);
      const acc = verifyAccountProof(bytes(head.stateRoot), bytes(contract), await rawProofs([[h, EMPTY, keccak256(bytes(contract))]]));
      verifyCode(reply.codes[0]!, acc!.codeHash);
      assert.equal(reply.codes[1]!.length, 0);
    });

    it("CHT: every block of the built sections is proven against the server's root with the node's header", async () => {
      const sections = server.stats().sections;
      assert.equal(sections, Math.floor((blocks.length - 1 - CONFIRMATIONS + 1) / SECTION));
      assert.ok(sections >= 2);
      for (let s = 0; s < sections; s++) {
        const rootReply = await client.helperTries([{ subType: HelperTrieType.CHT, sectionIdx: s, key: be(0, 8), fromLevel: 0, auxReq: AuxReq.Root }]);
        const root = rootReply.auxData[0]!;
        for (let from = s * SECTION; from < (s + 1) * SECTION; from += 32) {
          const numbers = Array.from({ length: 32 }, (_, i) => from + i);
          const reply = await client.helperTries(numbers.map((n) => ({ subType: HelperTrieType.CHT, sectionIdx: s, key: be(n, 8), fromLevel: 0, auxReq: AuxReq.Header })));
          const set = new ProofNodeSet(reply.nodes, 'cht');
          for (const [i, n] of numbers.entries()) {
            const entry = readChtEntry(set, root, n);
            assert.equal(hex(entry.hash), blocks[n]!.hash, `CHT entry of block ${n}`);
            assert.equal(checkChtHeader(entry, n, reply.auxData[i]!).number, n);
          }
          set.assertAllUsed();
        }
      }
    });

    it("BloomBits: the contract's bit vectors equal the node's logsBloom bits; their AND marks the blocks it logged in", async () => {
      const sections = server.stats().sections;
      const bits = bitsOf(bytes(contract));
      const rootReply = await client.helperTries([{ subType: HelperTrieType.BloomBits, sectionIdx: sections - 1, key: new Uint8Array(10), fromLevel: 0, auxReq: AuxReq.Root }]);
      const root = rootReply.auxData[0]!;
      for (let s = 0; s < sections; s++) {
        const reply = await client.helperTries(bits.map((b) => ({ subType: HelperTrieType.BloomBits, sectionIdx: sections - 1, key: new Uint8Array([...be(b, 2), ...be(s, 8)]), fromLevel: 0, auxReq: 0 })));
        const set = new ProofNodeSet(reply.nodes, 'bloombits');
        const vectors = bits.map((b) => readBloomBits(set, root, b, s, SECTION));
        set.assertAllUsed();
        const matches: number[] = [];
        for (let j = 0; j < SECTION; j++) {
          const n = s * SECTION + j;
          for (const [k, b] of bits.entries()) assert.equal(((vectors[k]![j >> 3] as number) & (0x80 >> (j & 7))) !== 0, bloomBit(bytes(blocks[n]!.logsBloom), b), `bit ${b} of block ${n}`);
          if (vectors.every((v) => ((v[j >> 3] as number) & (0x80 >> (j & 7))) !== 0)) matches.push(n);
        }
        assert.deepEqual(matches, logBlocks.filter((n) => Math.floor(n / SECTION) === s), `section ${s}`);
      }
    });

    it('LesProvider over an LES client of this server answers the same calls as the node', async () => {
      const engine = new LesClient({ servers: [{ enode: server.enode, trusted: true }], network: 'devnet', genesisHash: blocks[0]!.hash });
      const provider = new LesProvider({ engine, network: 'devnet' });
      try {
        await provider.start();
        const headNum = blocks.length - 1;
        for (let end = Date.now() + 20_000; engine.head()?.header.number !== headNum; ) {
          if (Date.now() > end) throw new Error('the client did not reach the head');
          await new Promise((r) => setTimeout(r, 25));
        }
        const tag = qty(headNum);
        assert.equal(await provider.getBlockNumber(), headNum);
        assert.equal(await provider.getBalance(DEV, headNum), BigInt(await rpc<string>('eth_getBalance', [DEV, tag])));
        assert.equal(await provider.getTransactionCount(DEV, headNum), Number(await rpc<string>('eth_getTransactionCount', [DEV, tag])));
        assert.equal(await provider.getCode(contract, headNum), await rpc<string>('eth_getCode', [contract, tag]));
        for (const slot of [7n, 9n, 11n]) assert.equal(BigInt(await provider.getStorage(contract, slot, headNum)), BigInt(await rpc<string>('eth_getStorageAt', [contract, qty(Number(slot)), tag])));
        const call = { to: contract, data: `0x${word(1n)}${word(2n)}` };
        assert.equal(await provider.call({ ...call, blockTag: headNum }), await rpc<string>('eth_call', [call, tag]));
        const last = txs[txs.length - 1]!;
        const mine = await provider.getTransactionReceipt(last);
        const theirs = await rpc<RpcReceipt>('eth_getTransactionReceipt', [last]);
        assert.equal(mine?.blockHash, theirs.blockHash);
        assert.equal(mine?.status, Number(theirs.status));
        assert.equal(mine?.cumulativeGasUsed, BigInt(theirs.cumulativeGasUsed));
        const logs = await provider.getLogs({ address: contract, fromBlock: 0, toBlock: headNum });
        const want = await rpc<Array<{ blockNumber: string; transactionHash: string; topics: string[] }>>('eth_getLogs', [{ address: contract, fromBlock: '0x0', toBlock: tag }]);
        assert.deepEqual(logs.map((l) => [l.blockNumber, l.transactionHash, l.topics]), want.map((l) => [Number(l.blockNumber), l.transactionHash, l.topics]));
        assert.equal(logs.length, logBlocks.length);
        if (expect.recentState !== undefined) {
          // Outside the window the node proves, both refuse the same question.
          const old = qty(1);
          await assert.rejects(rpc('eth_getBalance', [DEV, old]), /missing trie node|not available/, 'the node has no state at block 1');
          await assert.rejects(provider.getBalance(DEV, 1), /no connected LES server serves this data/);
        }
      } finally {
        await provider.close();
      }
    });
  });
}
