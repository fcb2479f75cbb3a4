// The Odr facade over a (fake) retriever and a real header chain, with anvil's data behind two
// servers: the first lies (one thing per case), the second is honest. The caller gets anvil's
// values, the lie is caught, answers are cached by block hash, answers that need no server are
// given locally, tx status is checked against verified bodies, and a transaction is relayed.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { TrustedSection, VerifiedHeader } from '../../src/client/contracts.js';
import { HeaderChain } from '../../src/client/chain/header-chain.js';
import { NotServedError } from '../../src/client/scheduler/errors.js';
import { OdrFacade } from '../../src/client/odr/facade.js';
import { DEVNET } from '../../src/config/network.js';
import { decodeHeader } from '../../src/verify/index.js';
import { VerificationError } from '../../src/verify/errors.js';
import { TxState } from '../../src/wire/tx.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { FakeRetriever, FakeServer } from '../helpers/fake-retriever.js';
import { type AnvilChain, AnvilLes, CHAIN_ID, KEY0, RECIPIENT, type Traffic, loadChain, makeTraffic, word } from '../unit/client/odr-fixture.js';
import { flipByte, hex, toHex } from '../unit/verify/helpers.js';

type Json = Record<string, unknown>;
const SECTION = 8;

describe('Odr facade against anvil data, with a lying server', () => {
  let anvil: Anvil;
  let traffic: Traffic;
  let data: AnvilChain;
  let liar: AnvilLes;
  let honest: AnvilLes;
  let retriever: FakeRetriever;
  let chain: HeaderChain;
  let odr: OdrFacade;
  let head: VerifiedHeader;
  const vh = (n: number): VerifiedHeader => ({ header: decodeHeader(data.headers[n] as Uint8Array), hash: data.hashes[n] as Uint8Array, rlp: data.headers[n] as Uint8Array });

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    traffic = await makeTraffic(anvil, 20);
    data = await loadChain(anvil);
    [liar, honest] = [new AnvilLes(anvil, data), new AnvilLes(anvil, data)];
    for (const les of [liar, honest]) {
      les.know([traffic.wallet, RECIPIENT, traffic.contract], traffic.writtenSlots);
      await les.buildHelperTries(SECTION);
    }
    const latest = data.headers.length - 1;
    const srv = (seed: number, les: AnvilLes) => new FakeServer({ seed, handler: les.handler, head: { hash: data.hashes[latest] as Uint8Array, number: latest, td: 0n } });
    retriever = new FakeRetriever([srv(1, liar), srv(2, honest)]);
    chain = await HeaderChain.open({ config: { ...DEVNET, genesisHash: data.hashes[0], sectionSize: SECTION }, retriever });
    head = vh(latest);
    await chain.adopt(head);
  });
  after(async () => anvil?.stop());
  beforeEach(() => {
    odr = new OdrFacade({ retriever, chain });
    liar.tamper = undefined;
    retriever.rejected.length = 0;
  });

  const liarId = () => (retriever.list[0] as FakeServer).id;
  const requests = () => retriever.sent().length;

  it("account, storage and code equal anvil's, though the first server drops a proof node", async () => {
    liar.tamper = (_c, r) => r.nodes?.splice(1, 1);
    const account = await odr.account(head, hex(traffic.wallet));
    assert.equal(account?.balance, BigInt(await anvil.rpc<string>('eth_getBalance', [traffic.wallet, 'latest'])));
    assert.equal(await odr.storage(head, hex(traffic.contract), hex(word(1n))), 1000n);
    assert.equal(toHex(await odr.code(head, hex(traffic.contract))), await anvil.rpc<string>('eth_getCode', [traffic.contract, 'latest']));
    assert.ok(retriever.rejected.length >= 2 && retriever.rejected.every((r) => r.server === liarId() && r.error instanceof VerificationError));
  });

  it('a second ask is answered from the cache', async () => {
    await odr.account(head, hex(traffic.wallet));
    await odr.storage(head, hex(traffic.contract), hex(word(0x1234n)));
    await odr.code(head, hex(traffic.contract));
    const n = requests();
    assert.equal(await odr.storage(head, hex(traffic.contract), hex(word(0x1234n))), 1002n);
    await odr.account(head, hex(traffic.wallet));
    await odr.code(head, hex(traffic.contract));
    assert.equal(requests(), n);
  });

  it('caches by block hash: the same address at another block is asked again and differs', async () => {
    const atLatest = await odr.account(head, hex(traffic.wallet));
    const n = requests();
    const atOne = await odr.account(vh(1), hex(traffic.wallet));
    assert.equal(requests(), n + 1);
    assert.equal(atOne?.nonce, BigInt(await anvil.rpc<string>('eth_getTransactionCount', [traffic.wallet, '0x1'])));
    assert.notEqual(atOne?.nonce, atLatest?.nonce);
  });

  it('answers without a server: empty block body and receipts, storage of an account without storage, code of an EOA', async () => {
    const n = requests();
    const empty = vh(5);
    assert.deepEqual(await odr.body(empty), { transactions: [], uncles: [], withdrawals: [] });
    assert.deepEqual(await odr.receipts(empty), []);
    assert.equal(requests(), n);
    await odr.account(head, hex(RECIPIENT));
    const m = requests();
    assert.equal(await odr.storage(head, hex(RECIPIENT), hex(word(1n))), 0n);
    assert.deepEqual(await odr.code(head, hex(RECIPIENT)), new Uint8Array(0));
    assert.equal(requests(), m);
  });

  it('body and receipts: a changed receipt and a changed transaction are caught; the caller gets anvil data', async () => {
    liar.tamper = (_c, r) => {
      if (r.receipts?.[0]) r.receipts[0][0] = flipByte(r.receipts[0][0] as Uint8Array, 30);
      if (r.bodies?.[0]) r.bodies[0].transactions[0] = flipByte(r.bodies[0].transactions[0] as Uint8Array, 30);
    };
    const body = await odr.body(vh(1));
    assert.deepEqual(body.transactions.map((t) => toHex(keccak256(t))), (data.blocks[1] as Json).transactions);
    const receipts = await odr.receipts(vh(1));
    const json = await anvil.rpc<Json[]>('eth_getBlockReceipts', ['0x1']);
    assert.deepEqual(receipts.map((r) => r.cumulativeGasUsed), json.map((r) => BigInt(r.cumulativeGasUsed as string)));
    assert.equal(retriever.rejected.length, 2);
  });

  it('bloom bits through a trusted section, cached by section, root and bit', async () => {
    const section: TrustedSection = { index: 1, sectionHead: data.hashes[15] as Uint8Array, chtRoot: liar.chtRoots[1] as Uint8Array, bloomTrieRoot: liar.bloomRoots[1] as Uint8Array };
    liar.tamper = (_c, r) => r.nodes?.pop();
    const h = keccak256(hex(traffic.contract));
    const bit = (((h[0] as number) << 8) | (h[1] as number)) & 2047;
    const v = await odr.bloomBits(section, bit, 0);
    assert.equal(((v[0] as number) & (0x80 >> traffic.logBlock)) !== 0, true, 'block 1 holds a log of the contract');
    const n = requests();
    await odr.bloomBits(section, bit, 0);
    assert.equal(requests(), n);
  });

  it('tx status: an "included" claim at the wrong index is refuted against the body; the servers disagree', async () => {
    const hash = hex(traffic.txHashes[2] as string);
    liar.tamper = (_c, r) => r.statuses?.forEach((s) => s.lookup && (s.lookup.txIndex += 1));
    const [report] = await odr.txStatus([hash]);
    const rec = await anvil.rpc<Json>('eth_getTransactionReceipt', [traffic.txHashes[2]]);
    assert.equal(report?.status, TxState.Included);
    assert.equal(report?.lookup?.txIndex, Number(rec.transactionIndex));
    assert.deepEqual([report?.answers, report?.refuted, report?.disagreement], [2, 1, true]);
    liar.tamper = undefined;
    const [agreed] = await odr.txStatus([hash]);
    assert.deepEqual([agreed?.refuted, agreed?.disagreement], [0, false]);
  });

  it('tx status: an "included" claim for a transaction no block holds is not believed', async () => {
    const unknown = keccak256(Uint8Array.of(7));
    liar.tamper = (_c, r) => r.statuses && (r.statuses[0] = { status: TxState.Included, lookup: { blockHash: data.hashes[1] as Uint8Array, blockNumber: 1, txIndex: 0 } });
    const [report] = await odr.txStatus([unknown]);
    assert.equal(report?.status, TxState.Unknown);
    assert.equal(report?.refuted, 1);
  });

  it('sendTransaction relays to both servers and returns the best status', async () => {
    await anvil.rpc('evm_setAutomine', [false]);
    try {
      const w = new Wallet(KEY0);
      const nonce = Number(await anvil.rpc<string>('eth_getTransactionCount', [w.address, 'pending']));
      const raw = hex(await w.signTransaction({ chainId: CHAIN_ID, nonce, to: RECIPIENT, value: 5n, gasLimit: 21000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, type: 2 }));
      const report = await odr.sendTransaction(raw);
      assert.equal(report.status, TxState.Pending, 'the first relay made it pending; the second was told it is known');
      assert.equal(report.answers, 2);
      const pending = await anvil.rpc<Json | null>('eth_getTransactionByHash', [toHex(keccak256(raw))]);
      assert.ok(pending);
    } finally {
      await anvil.rpc('evm_setAutomine', [true]);
    }
    for (const s of retriever.list) s.caps = { ...s.caps, txRelay: false };
    // Connected servers that do not relay: not served (-32000), not "no server connected".
    await assert.rejects(odr.sendTransaction(new Uint8Array([1])), (e: unknown) => e instanceof NotServedError && e.code === 'NOT_SERVED');
    for (const s of retriever.list) s.caps = { ...s.caps, txRelay: true };
  });
});
