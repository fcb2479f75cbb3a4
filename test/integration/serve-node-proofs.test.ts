/**
 * State served from the node's own proofs: a LesServer following a real anvil (prague) answers
 * GetProofsV2 and GetContractCodes over RLPx from anvil's eth_getProof / eth_getCode. Expected
 * values are anvil's own answers:
 * - go-ethereum's entry form ([h, "", keccak(address), l] for an account) gets account, storage
 *   and absent proofs that verify and hold exactly the nodes anvil's eth_getProof returns;
 *   les.md's form ([h, keccak(address), "", l]) is answered the same;
 * - code equals eth_getCode and hashes to the proven codeHash;
 * - a key no block names: a standard request gets the empty answer and is not counted as a bad
 *   request; with the preimage extension it is served;
 * - a second server behind a relay that corrupts eth_getProof / eth_getCode answers catches the
 *   lie, logs it as an error and relays nothing.
 */
import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { LesServer, type ServeLog } from '../../src/serve/index.js';
import { Code, decodeProofsV2, encodeRlp, encodeUint } from '../../src/wire/index.js';
import { ProofNodeSet, readAccount, readStorage, verifyAccountProof, verifyCode } from '../../src/verify/index.js';
import { type Anvil, receiptOf, startAnvil } from '../helpers/anvil.js';
import { LesTestClient } from '../helpers/les-client.js';

const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
/** anvil's dev account #8: funded at genesis, in no block here. */
const QUIET = '0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f';
/** Runtime `SSTORE(calldata[32..64], calldata[0..32]); STOP` behind an init code that returns it. */
const RUNTIME = '600035602035550000';
const INIT = `0x6009600c60003960096000f3${RUNTIME}`;

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const word = (n: bigint): string => n.toString(16).padStart(64, '0');
const EMPTY = new Uint8Array(0);

type RpcProof = { balance: string; nonce: string; codeHash: string; storageHash: string; accountProof: string[]; storageProof: Array<{ key: string; value: string; proof: string[] }> };

/** Captures what a server logs at error level. */
function recordingLog(): ServeLog & { errors: string[] } {
  const errors: string[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (_o, msg) => void errors.push(msg) };
}

let anvil: Anvil;
let server: LesServer;
let client: LesTestClient;
let contract: string;
let head: { hash: string; number: string; stateRoot: string };

/** GetProofsV2 built by hand: entries exactly as given (go-ethereum's or les.md's layout). */
async function rawProofs(c: LesTestClient, entries: Uint8Array[][]): Promise<Uint8Array[]> {
  const reply = await c.raw(Code.GetProofsV2, entries.length, (reqID) => encodeRlp([encodeUint(reqID), entries.map((e) => [...e.slice(0, 3), encodeUint(0), ...e.slice(3)])]));
  return decodeProofsV2(reply.payload).nodes;
}

const sortedHex = (nodes: readonly Uint8Array[]): string[] => nodes.map(hex).sort();

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  const send = async (tx: Record<string, string>) => receiptOf<{ contractAddress: string | null }>(anvil, await anvil.rpc<string>('eth_sendTransaction', [{ from: DEV, ...tx }]));
  contract = (await send({ data: INIT })).contractAddress as string;
  await send({ to: contract, data: `0x${word(0xabcdefn)}${word(7n)}` });
  server = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50 });
  await server.start();
  await send({ to: contract, data: `0x${word(0x1234n)}${word(9n)}` });
  await server.stack.idle();
  head = await anvil.rpc('eth_getBlockByNumber', ['latest', false]);
  const genesis = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false]);
  client = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: bytes(genesis.hash) });
});

after(async () => {
  await client?.close();
  await server?.stop();
  await anvil?.stop();
});

describe('GetProofsV2 and GetContractCodes from the node\'s own proofs', () => {
  it("go-ethereum's form: account, storage and absent proofs hold exactly anvil's eth_getProof nodes, and its values", async () => {
    const h = bytes(head.hash);
    const absent = '0x00000000000000000000000000000000000000aa';
    for (const a of [DEV, contract]) {
      const nodes = await rawProofs(client, [[h, EMPTY, keccak256(bytes(a))]]);
      const theirs = await anvil.rpc<RpcProof>('eth_getProof', [a, [], head.number]);
      assert.deepEqual(sortedHex(nodes), [...new Set(theirs.accountProof.map((x) => x.toLowerCase()))].sort(), `account proof of ${a}`);
      const acc = verifyAccountProof(bytes(head.stateRoot), bytes(a), nodes);
      assert.equal(acc?.balance, BigInt(theirs.balance));
      assert.equal(acc?.nonce, BigInt(theirs.nonce));
      assert.equal(hex(acc.codeHash), theirs.codeHash);
    }
    // Storage: slots 7 and 9 written in blocks (known preimages), and an absent account with the extension.
    for (const slot of [7n, 9n]) {
      const nodes = await rawProofs(client, [[h, keccak256(bytes(contract)), keccak256(bytes(word(slot)))]]);
      const theirs = await anvil.rpc<RpcProof>('eth_getProof', [contract, [`0x${word(slot)}`], head.number]);
      const want = new Set([...theirs.accountProof, ...(theirs.storageProof[0]?.proof ?? [])].map((x) => x.toLowerCase()));
      assert.deepEqual(sortedHex(nodes), [...want].sort(), `storage proof of slot ${slot}`);
      const set = new ProofNodeSet(nodes, 'storage');
      const acc = readAccount(set, bytes(head.stateRoot), bytes(contract));
      assert.equal(hex(acc!.storageRoot), theirs.storageHash);
      assert.equal(readStorage(set, acc!.storageRoot, { slot: bytes(word(slot)) }), BigInt(theirs.storageProof[0]!.value));
      set.assertAllUsed();
    }
    const nodes = await rawProofs(client, [[h, EMPTY, keccak256(bytes(absent)), bytes(absent), EMPTY]]);
    const theirs = await anvil.rpc<RpcProof>('eth_getProof', [absent, [], head.number]);
    assert.equal(BigInt(theirs.balance), 0n);
    assert.equal(verifyAccountProof(bytes(head.stateRoot), bytes(absent), nodes), undefined, 'proven absent');
    assert.deepEqual(sortedHex(nodes), [...new Set(theirs.accountProof.map((x) => x.toLowerCase()))].sort());
  });

  it("les.md's account form [h, keccak(address), \"\"] is answered with the same proof", async () => {
    const h = bytes(head.hash);
    const k = keccak256(bytes(DEV));
    assert.deepEqual(sortedHex(await rawProofs(client, [[h, k, EMPTY]])), sortedHex(await rawProofs(client, [[h, EMPTY, k]])));
  });

  it('GetContractCodes: code equals eth_getCode and hashes to the proven codeHash', async () => {
    const h = bytes(head.hash);
    const reply = await client.codes([{ blockHash: h, accountKey: keccak256(bytes(contract)) }, { blockHash: h, accountKey: keccak256(bytes(DEV)) }]);
    assert.equal(hex(reply.codes[0]!), await anvil.rpc<string>('eth_getCode', [contract, head.number]));
    assert.equal(hex(reply.codes[0]!), `0x${RUNTIME}`);
    const acc = verifyAccountProof(bytes(head.stateRoot), bytes(contract), await rawProofs(client, [[h, EMPTY, keccak256(bytes(contract))]]));
    verifyCode(reply.codes[0]!, acc!.codeHash);
    assert.equal(reply.codes[1]!.length, 0, 'an account without code');
  });

  it('a key no block names: the standard request gets the empty answer, not counted as bad; the extension serves it', async () => {
    const h = bytes(head.hash);
    const k = keccak256(bytes(QUIET));
    const badBefore = server.service.stats().requests.bad;
    assert.deepEqual(await rawProofs(client, [[h, EMPTY, k]]), [], 'the documented empty answer');
    const slotKey = keccak256(bytes(word(12345n)));
    assert.deepEqual(await rawProofs(client, [[h, keccak256(bytes(contract)), slotKey]]), [], 'an unknown slot too');
    assert.equal((await client.codes([{ blockHash: h, accountKey: k }])).codes.length, 0);
    assert.equal(server.service.stats().requests.bad, badBefore, 'not counted as a bad request');
    assert.equal(client.closed, undefined);

    const served = await rawProofs(client, [[h, EMPTY, k, bytes(QUIET), EMPTY]]);
    const theirs = await anvil.rpc<RpcProof>('eth_getProof', [QUIET, [], head.number]);
    assert.equal(verifyAccountProof(bytes(head.stateRoot), bytes(QUIET), served)?.balance, BigInt(theirs.balance));
    assert.ok(BigInt(theirs.balance) > 0n);
    const slot = await rawProofs(client, [[h, keccak256(bytes(contract)), slotKey, bytes(contract), bytes(word(12345n))]]);
    const set = new ProofNodeSet(slot, 'slot');
    assert.equal(readStorage(set, readAccount(set, bytes(head.stateRoot), bytes(contract))!.storageRoot, { slot: 12345n }), 0n);
    set.assertAllUsed();
    // A preimage that does not hash to its key is not used: the key stays unknown.
    assert.deepEqual(await rawProofs(client, [[h, EMPTY, k, bytes(DEV), EMPTY]]), []);
    assert.equal(server.service.stats().requests.bad, badBefore);
  });
});

describe('a node that answers wrong proofs', () => {
  let relay: ReturnType<typeof createServer>;
  let liar: LesServer;
  let liarClient: LesTestClient;
  const log = recordingLog();
  let mode: 'honest' | 'proof' | 'code' = 'honest';

  /** Relays to anvil; in 'proof' mode every eth_getProof answer proves another block's state, in 'code' mode eth_getCode answers other code. */
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const d of req) body += (d as Buffer).toString();
    const r = await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    let text = await r.text();
    if (mode !== 'honest') {
      const calls = JSON.parse(body) as Array<{ id: number; method: string; params: unknown[] }> | { id: number; method: string; params: unknown[] };
      const list = Array.isArray(calls) ? calls : [calls];
      const answers = JSON.parse(text) as Array<{ id: number; result?: unknown }> | { id: number; result?: unknown };
      const outs = Array.isArray(answers) ? answers : [answers];
      for (const call of list) {
        const a = outs.find((o) => o.id === call.id);
        if (a === undefined) continue;
        if (mode === 'proof' && call.method === 'eth_getProof') {
          // The same address's proof at block 1: a real proof, of the wrong state.
          a.result = await (await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getProof', params: [call.params[0], call.params[1], '0x1'] }) })).json().then((j) => (j as { result: unknown }).result);
        }
        if (mode === 'code' && call.method === 'eth_getCode') a.result = '0x6000';
      }
      text = JSON.stringify(answers);
    }
    res.setHeader('content-type', 'application/json');
    res.end(text);
  }

  before(async () => {
    relay = createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    liar = new LesServer({ rpcUrl: `http://127.0.0.1:${(relay.address() as AddressInfo).port}`, port: 0, pollIntervalMs: 50, log });
    await liar.start();
    await liar.stack.idle();
    const genesis = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false]);
    liarClient = await LesTestClient.connect({ enode: liar.enode, networkId: 31337n, genesisHash: bytes(genesis.hash) });
  });

  after(async () => {
    await liarClient?.close();
    await liar?.stop();
    await new Promise((r) => relay?.close(r));
  });

  it('a proof of another state is caught, logged as an error and not relayed; the batch stops there', async () => {
    const h = bytes(head.hash);
    mode = 'proof';
    const nodes = await rawProofs(liarClient, [[h, EMPTY, keccak256(bytes(contract)), bytes(contract), EMPTY]]);
    assert.deepEqual(nodes, [], 'nothing relayed');
    assert.ok(log.errors.some((m) => /WRONG PROOF/.test(m)), `logged: ${log.errors.join(' | ')}`);
    assert.ok(liar.stack.prover.stats.wrongAnswers >= 1);
    assert.equal(liar.service.stats().requests.bad, 0, 'the client is not blamed');
    // Once the node is honest again the same request is served (nothing wrong was cached).
    mode = 'honest';
    const ok = await rawProofs(liarClient, [[h, EMPTY, keccak256(bytes(contract)), bytes(contract), EMPTY]]);
    assert.ok(verifyAccountProof(bytes(head.stateRoot), bytes(contract), ok) !== undefined);
  });

  it('code that does not hash to the proven codeHash is caught and not relayed', async () => {
    const h = bytes(head.hash);
    mode = 'code';
    const before = liar.stack.prover.stats.wrongAnswers;
    const reply = await liarClient.codes([{ blockHash: h, accountKey: keccak256(bytes(contract)), address: bytes(contract) }]);
    mode = 'honest';
    assert.equal(reply.codes.length, 0, 'nothing relayed');
    assert.equal(liar.stack.prover.stats.wrongAnswers, before + 1);
  });
});
