/**
 * Every les/4 request type against a LesServer following a real anvil (prague) with traffic:
 * transfers, a contract deployment, calls that write storage and emit logs. A plain LES client
 * asks over RLPx; each answer is verified with src/verify and compared with anvil's own JSON-RPC
 * answer for the same thing. Absent accounts and slots are proven absent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { LesServer } from '../../src/serve/index.js';
import { decodeRlp, type RlpItem, TxState } from '../../src/wire/index.js';
import {
  ProofNodeSet,
  accountKey,
  decodeHeader,
  headerHash,
  readAccount,
  readStorage,
  storageKey,
  verifyAccountProof,
  verifyBody,
  verifyCode,
  verifyReceipts,
} from '../../src/verify/index.js';
import { type Anvil, receiptOf, startAnvil } from '../helpers/anvil.js';
import { LesTestClient, waitFor } from '../helpers/les-client.js';

/** anvil's first dev account and its well-known key. */
const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
/**
 * A contract with no source: runtime `SSTORE(calldata[32..64], calldata[0..32]); LOG1(0, 0,
 * topic = calldata[0..32]); STOP`, and an init code that returns it.
 */
const RUNTIME = '6000356020355560003560006000a100';
const INIT = `0x6010600c60003960106000f3${RUNTIME}`;

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const word = (n: bigint): string => n.toString(16).padStart(64, '0');

type RpcBlock = { hash: string; number: string; parentHash: string; stateRoot: string; receiptsRoot: string; transactionsRoot: string; timestamp: string; gasUsed: string; miner: string; transactions: string[] };
type RpcReceipt = { status: string; cumulativeGasUsed: string; transactionHash: string; blockHash: string; blockNumber: string; transactionIndex: string; contractAddress: string | null; logs: Array<{ address: string; topics: string[]; data: string }> };

/** A canonical transaction or receipt as the wire item verify reads: legacy = its list, typed = its bytes. */
function wireItem(canonical: Uint8Array): RlpItem {
  return (canonical[0] as number) >= 0xc0 ? decodeRlp(canonical, 'test') : canonical;
}

let anvil: Anvil;
let server: LesServer;
let client: LesTestClient;
let contract: string;
const fresh = '0x00000000000000000000000000000000000c0ffe';

async function send(tx: Record<string, string>): Promise<RpcReceipt> {
  const hash = await anvil.rpc<string>('eth_sendTransaction', [{ from: DEV, ...tx }]);
  return receiptOf<RpcReceipt>(anvil, hash);
}

async function block(tag: string | number): Promise<RpcBlock> {
  return anvil.rpc<RpcBlock>('eth_getBlockByNumber', [typeof tag === 'number' ? `0x${tag.toString(16)}` : tag, false]);
}

async function synced(): Promise<void> {
  await server.stack.idle();
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  // Traffic before the server starts: proven from anvil like any other block.
  await send({ to: '0x0000000000000000000000000000000000000001', value: '0x1000' });
  server = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50 });
  await server.start();
  const genesis = await block(0);
  client = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: bytes(genesis.hash) });
  // Traffic after: its accounts and slots enter the preimage index as blocks are followed.
  const deployed = await send({ data: INIT });
  contract = deployed.contractAddress as string;
  await send({ to: contract, data: `0x${word(0xabcdefn)}${word(7n)}` });
  await send({ to: contract, data: `0x${word(0x1234n)}${word(9n)}` });
  await send({ to: '0x00000000000000000000000000000000000000aa', value: '0xde0b6b3a7640000' });
  await synced();
});

after(async () => {
  await client?.close();
  await server?.stop();
  await anvil?.stop();
});

describe('lesp serve answers every les/4 request with data that verifies and matches anvil', () => {
  it('Status carries the chain head, genesis, flow-control parameters and what is served', async () => {
    const s = client.server;
    const genesis = await block(0);
    assert.equal(hex(s.genesisHash), genesis.hash);
    assert.equal(s.networkId, 31337n);
    assert.equal(s.flowControlBL, 96_000_000, 'minimum capacity 16000 → BL 96,000,000 (DESIGN §4)');
    assert.equal(s.flowControlMRR, 16_000);
    // MRC = twice the reference average costs of DESIGN §4.
    const headers = s.flowControlMRC?.find((r) => r.code === 0x02);
    assert.deepEqual(headers, { code: 0x02, baseCost: 300_000, reqCost: 60_000 });
    assert.equal(s.serveHeaders, true);
    assert.equal(s.serveChainSince, 0);
    assert.equal(s.txRelay, true);
    assert.equal(s.recentTxLookup, 0);
    // anvil proves every block's state, but its genesis header commits to the empty state while its
    // dev accounts are funded: its block-0 proofs do not check, so state is served from block 1.
    assert.equal(s.serveStateSince, 1);
    assert.equal(s.serveRecentState, undefined);
    assert.deepEqual(s.unknown.map((e) => [e.key, hex(e.value as Uint8Array)]), [['lesp/preimages', '0x01']], 'the preimage extension is announced');
    assert.equal(client.peer.version, 4);
  });

  it('GetBlockHeaders by number, by hash, with skip and reverse: headers hash to anvil blocks and carry its fields', async () => {
    const head = Number((await block('latest')).number);
    const byNumber = await client.headers({ origin: { number: 0 }, amount: 192, skip: 0, reverse: false });
    assert.equal(byNumber.headers.length, head + 1, 'stops at the head');
    for (const [n, rlp] of byNumber.headers.entries()) {
      const rpc = await block(n);
      const h = decodeHeader(rlp);
      assert.equal(hex(headerHash(rlp)), rpc.hash);
      assert.equal(h.number, n);
      assert.equal(hex(h.parentHash), rpc.parentHash);
      assert.equal(hex(h.stateRoot), rpc.stateRoot);
      assert.equal(hex(h.receiptsRoot), rpc.receiptsRoot);
      assert.equal(BigInt(h.timestamp), BigInt(rpc.timestamp));
      assert.equal(h.gasUsed, BigInt(rpc.gasUsed));
    }
    const top = await block(head);
    const rev = await client.headers({ origin: { hash: bytes(top.hash) }, amount: 3, skip: 1, reverse: true });
    assert.deepEqual(rev.headers.map((r) => decodeHeader(r).number), [head, head - 2, head - 4]);
    const fwd = await client.headers({ origin: { hash: bytes((await block(1)).hash) }, amount: 10, skip: 1, reverse: false });
    assert.deepEqual(fwd.headers.map((r) => decodeHeader(r).number), [1, 3, 5].filter((n) => n <= head));
    const unknown = await client.headers({ origin: { hash: new Uint8Array(32).fill(7) }, amount: 5, skip: 0, reverse: false });
    assert.equal(unknown.headers.length, 0, 'an unknown origin gives no headers');
    const past = await client.headers({ origin: { number: head + 1 }, amount: 5, skip: 0, reverse: false });
    assert.equal(past.headers.length, 0);
  });

  it('GetBlockBodies: bodies verify against their headers and hold anvil\'s transactions; unknown hash → empty entry', async () => {
    const head = Number((await block('latest')).number);
    const rpcs = await Promise.all(Array.from({ length: head }, (_, i) => block(i + 1)));
    const hashes = [...rpcs.map((b) => bytes(b.hash)), new Uint8Array(32).fill(9)];
    const reply = await client.bodies(hashes);
    assert.equal(reply.bodies.length, hashes.length);
    for (const [i, rpc] of rpcs.entries()) {
      const body = reply.bodies[i]!;
      const header = decodeHeader((await client.headers({ origin: { number: i + 1 }, amount: 1, skip: 0, reverse: false })).headers[0]!);
      verifyBody({ transactions: body.transactions.map(wireItem), uncles: body.uncles.map(wireItem), withdrawals: body.withdrawals?.map((w) => decodeRlp(w, 'w')) }, header);
      assert.deepEqual(body.transactions.map((t) => hex(keccak256(t))), rpc.transactions);
    }
    const last = reply.bodies[hashes.length - 1]!;
    assert.equal(last.transactions.length, 0);
    assert.equal(last.uncles.length, 0);
  });

  it('GetReceipts: receipts verify against receiptsRoot and match eth_getBlockReceipts, logs included', async () => {
    const head = Number((await block('latest')).number);
    let logs = 0;
    for (let n = 1; n <= head; n++) {
      const rpc = await block(n);
      const [list] = (await client.receipts([bytes(rpc.hash)])).receipts;
      const header = decodeHeader((await client.headers({ origin: { hash: bytes(rpc.hash) }, amount: 1, skip: 0, reverse: false })).headers[0]!);
      const decoded = verifyReceipts(list!.map(wireItem), header);
      const theirs = await anvil.rpc<RpcReceipt[]>('eth_getBlockReceipts', [rpc.hash]);
      assert.equal(decoded.length, theirs.length);
      for (const [i, r] of decoded.entries()) {
        const t = theirs[i]!;
        assert.equal(BigInt(r.status ?? -1), BigInt(t.status));
        assert.equal(r.cumulativeGasUsed, BigInt(t.cumulativeGasUsed));
        assert.deepEqual(
          r.logs.map((l) => ({ address: hex(l.address), topics: l.topics.map(hex), data: hex(l.data) })),
          t.logs.map((l) => ({ address: l.address.toLowerCase(), topics: l.topics, data: l.data })),
        );
        logs += r.logs.length;
      }
    }
    assert.equal(logs, 2, 'the two contract calls logged once each');
    const unknown = await client.receipts([new Uint8Array(32).fill(3)]);
    assert.deepEqual(unknown.receipts, [[]], 'an unknown block gets an empty receipt list');
  });

  it('GetProofsV2: accounts, storage and absences proven in one batch against stateRoot, equal to anvil\'s values', async () => {
    const head = await block('latest');
    const stateRoot = bytes(head.stateRoot);
    const blockHash = bytes(head.hash);
    const slots = [7n, 9n, 12345n];
    const accounts = [DEV, contract, fresh, '0x00000000000000000000000000000000000000aa'];
    // With preimages (the extension): `fresh` and slot 12345 appear in no block.
    const reqs = [
      ...accounts.map((a) => ({ blockHash, accountKey: accountKey(bytes(a)), storageKey: new Uint8Array(0), fromLevel: 0, address: bytes(a) })),
      ...slots.map((s) => ({ blockHash, accountKey: accountKey(bytes(contract)), storageKey: storageKey({ slot: s }), fromLevel: 0, address: bytes(contract), slot: bytes(word(s)) })),
    ];
    const reply = await client.proofs(reqs);
    const set = new ProofNodeSet(reply.nodes, 'reply');
    for (const a of accounts) {
      const acc = readAccount(set, stateRoot, bytes(a));
      const balance = BigInt(await anvil.rpc<string>('eth_getBalance', [a, head.number]));
      const nonce = BigInt(await anvil.rpc<string>('eth_getTransactionCount', [a, head.number]));
      if (a === fresh) {
        assert.equal(acc, undefined, 'an account anvil does not have is proven absent');
        assert.equal(balance, 0n);
        continue;
      }
      assert.ok(acc !== undefined);
      assert.equal(acc.balance, balance, `balance of ${a}`);
      assert.equal(acc.nonce, nonce, `nonce of ${a}`);
    }
    const c = readAccount(set, stateRoot, bytes(contract));
    assert.ok(c !== undefined);
    for (const s of slots) {
      const v = readStorage(set, c.storageRoot, { slot: s });
      const theirs = BigInt(await anvil.rpc<string>('eth_getStorageAt', [contract, `0x${word(s)}`, head.number]));
      assert.equal(v, theirs, `slot ${s}`);
    }
    assert.equal(readStorage(set, c.storageRoot, { slot: 7n }), 0xabcdefn);
    set.assertAllUsed();
    // Each proof on its own, against an older block too (state followed block by block).
    const older = await block(Number(head.number) - 1);
    const one = await client.proofs([{ blockHash: bytes(older.hash), accountKey: accountKey(bytes(DEV)), storageKey: new Uint8Array(0), fromLevel: 0 }]);
    const acc = verifyAccountProof(bytes(older.stateRoot), bytes(DEV), one.nodes);
    assert.equal(acc?.balance, BigInt(await anvil.rpc<string>('eth_getBalance', [DEV, older.number])));
    const slotOnly = await client.proofs([{ blockHash, accountKey: accountKey(bytes(contract)), storageKey: storageKey({ slot: 9n }), fromLevel: 0 }]);
    const set2 = new ProofNodeSet(slotOnly.nodes, 'slot');
    const c2 = readAccount(set2, stateRoot, bytes(contract));
    assert.equal(readStorage(set2, c2!.storageRoot, { slot: 9n }), 0x1234n);
    set2.assertAllUsed();
    // An absent slot of a present account: proven zero.
    const absent = await client.proofs([{ blockHash, accountKey: accountKey(bytes(contract)), storageKey: storageKey({ slot: 99n }), fromLevel: 0, address: bytes(contract), slot: bytes(word(99n)) }]);
    const set3 = new ProofNodeSet(absent.nodes, 'absent');
    assert.equal(readStorage(set3, readAccount(set3, stateRoot, bytes(contract))!.storageRoot, { slot: 99n }), 0n);
    set3.assertAllUsed();
    assert.equal(BigInt(await anvil.rpc<string>('eth_getStorageAt', [contract, `0x${word(99n)}`, head.number])), 0n);
  });

  it('GetProofsV2 stops the batch at a block whose state is not served (an unknown block)', async () => {
    const head = await block('latest');
    const ok = { blockHash: bytes(head.hash), accountKey: accountKey(bytes(DEV)), storageKey: new Uint8Array(0), fromLevel: 0 };
    const unknown = new Uint8Array(32).fill(5);
    const reply = await client.proofs([ok, { ...ok, blockHash: unknown }, ok]);
    // The reply proves the first request only.
    assert.ok(verifyAccountProof(bytes(head.stateRoot), bytes(DEV), reply.nodes) !== undefined);
    const none = await client.proofs([{ ...ok, blockHash: unknown }]);
    assert.equal(none.nodes.length, 0);
  });

  it('GetContractCodes: the contract\'s code hashes to its proven codeHash and equals eth_getCode; no code → empty', async () => {
    const head = await block('latest');
    const blockHash = bytes(head.hash);
    const reply = await client.codes([
      { blockHash, accountKey: accountKey(bytes(contract)) },
      { blockHash, accountKey: accountKey(bytes(DEV)) },
      { blockHash, accountKey: accountKey(bytes(fresh)), address: bytes(fresh) },
      { blockHash: new Uint8Array(32).fill(5), accountKey: accountKey(bytes(contract)) },
    ]);
    assert.equal(reply.codes.length, 3, 'the unknown block ends the batch');
    const acc = verifyAccountProof(bytes(head.stateRoot), bytes(contract), (await client.proofs([{ blockHash, accountKey: accountKey(bytes(contract)), storageKey: new Uint8Array(0), fromLevel: 0 }])).nodes);
    verifyCode(reply.codes[0]!, acc!.codeHash);
    assert.equal(hex(reply.codes[0]!), await anvil.rpc<string>('eth_getCode', [contract, head.number]));
    assert.equal(hex(reply.codes[0]!), `0x${RUNTIME}`);
    assert.deepEqual(reply.codes.slice(1).map((c) => c.length), [0, 0]);
  });

  it('SendTxV2 relays to the node (pending, then included per GetTxStatus); refused txs carry the node\'s message; known txs their status', async () => {
    const wallet = new Wallet(DEV_KEY);
    await anvil.rpc('evm_setAutomine', [false]);
    try {
      const nonce = Number(await anvil.rpc<string>('eth_getTransactionCount', [DEV, 'pending']));
      const base = { to: '0x00000000000000000000000000000000000000bb', value: 5n, gasLimit: 21000n, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, chainId: 31337n, type: 2 };
      const good = bytes(await wallet.signTransaction({ ...base, nonce }));
      const sent = await client.sendTxs([good]);
      assert.deepEqual(sent.statuses, [{ status: TxState.Pending }]);
      const pool = await anvil.rpc<{ blockNumber: string | null } | null>('eth_getTransactionByHash', [hex(keccak256(good))]);
      assert.equal(pool?.blockNumber, null, 'anvil holds it unmined');
      assert.deepEqual((await client.txStatus([keccak256(good)])).statuses, [{ status: TxState.Pending }]);
      assert.deepEqual((await client.sendTxs([good])).statuses, [{ status: TxState.Pending }], 'sending it again answers its status');

      // A transaction anvil refuses: its own message comes back.
      const poor = new Wallet('0x' + '11'.repeat(32));
      const broke = bytes(await poor.signTransaction({ ...base, nonce: 0, value: 10n ** 30n }));
      const answer = await client.sendTxs([broke]);
      assert.equal(answer.statuses[0]?.status, TxState.Error);
      const theirs = await anvil.rpc('eth_sendRawTransaction', [hex(broke)]).then(
        () => 'accepted',
        (e: Error) => e.message.replace(/^eth_sendRawTransaction: /, ''),
      );
      assert.match(theirs, /fund|balance/i, 'anvil refuses it for lack of funds');
      assert.equal(answer.statuses[0]?.error, theirs);

      await anvil.rpc('evm_mine', []);
      await synced();
      const receipt = await anvil.rpc<RpcReceipt>('eth_getTransactionReceipt', [hex(keccak256(good))]);
      const status = await client.txStatus([keccak256(good), new Uint8Array(32).fill(1)]);
      assert.equal(status.statuses[0]?.status, TxState.Included);
      assert.equal(hex(status.statuses[0]!.lookup!.blockHash), receipt.blockHash);
      assert.equal(status.statuses[0]!.lookup!.blockNumber, Number(receipt.blockNumber));
      assert.equal(status.statuses[0]!.lookup!.txIndex, Number(receipt.transactionIndex));
      assert.deepEqual(status.statuses[1], { status: TxState.Unknown });
      assert.deepEqual((await client.sendTxs([good])).statuses[0]?.status, TxState.Included);
    } finally {
      await anvil.rpc('evm_setAutomine', [true]);
    }
  });

  it('GetTxStatus: every earlier transaction is included where anvil says', async () => {
    const head = Number((await block('latest')).number);
    for (let n = 1; n <= head; n++) {
      const rpc = await block(n);
      if (rpc.transactions.length === 0) continue;
      const st = await client.txStatus(rpc.transactions.map(bytes));
      for (const [i, e] of st.statuses.entries()) {
        assert.equal(e.status, TxState.Included);
        assert.equal(hex(e.lookup!.blockHash), rpc.hash);
        assert.equal(e.lookup!.txIndex, i);
      }
    }
  });

  it('announces every new head to a client that asked for them, in (TD, number) order', async () => {
    const before = client.announces.length;
    const start = Number((await block('latest')).number);
    await anvil.rpc('anvil_mine', ['0x3']);
    await synced();
    await waitFor(() => client.announces.some((a) => a.headNumber === start + 3), 5000, 'announce of the new head');
    const got = client.announces.slice(before);
    const top = await block(start + 3);
    const last = got[got.length - 1]!;
    assert.equal(hex(last.headHash), top.hash);
    assert.equal(last.reorgDepth, 0);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]!.headNumber > got[i - 1]!.headNumber, 'never a head that is not higher');
  });
  it('after a reorg at the same height (same TD: not higher, so not announced), the next head carries the client\'s reorg depth', async () => {
    const top = await block('latest');
    await waitFor(() => client.announces.some((a) => hex(a.headHash) === top.hash), 5000, 'the current head announced');
    const before = client.announces.length;
    const forkPoint = Number(top.number) - 2;
    // Replace the last two blocks by two others: same height, same TD.
    await anvil.rpc('anvil_reorg', [2, [[{ from: DEV, to: '0x00000000000000000000000000000000000000f1', value: '0x7' }, 0]]]);
    const replaced = await block('latest');
    assert.equal(replaced.number, top.number);
    assert.notEqual(replaced.hash, top.hash);
    await synced();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(client.announces.length, before, 'a head that is not higher by (TD, number) is not announced');
    await anvil.rpc('evm_mine', []);
    await synced();
    const next = await block('latest');
    await waitFor(() => client.announces.some((a) => hex(a.headHash) === next.hash), 5000, 'the next head announced');
    const a = client.announces[client.announces.length - 1]!;
    assert.equal(a.headNumber, Number(next.number));
    assert.equal(a.reorgDepth, Number(top.number) - forkPoint, 'blocks to roll back from the last head this client was told of');
    // The header chain the client can now fetch links the new head to the fork point.
    const hs = await client.headers({ origin: { hash: bytes(next.hash) }, amount: 4, skip: 0, reverse: true });
    assert.equal(hex(decodeHeader(hs.headers[3]!).parentHash), (await block(forkPoint - 1)).hash);
    assert.equal(hex(headerHash(hs.headers[3]!)), (await block(forkPoint)).hash);
  });
});
