// eth_getLogs through the method table against anvil (prague): for each filter the answer equals
// anvil's own eth_getLogs over the same range. The chain has logs in BloomBits sections 0 and 1
// (sectionSize 64, trusted once 16 blocks past their end) and in the unindexed tail above them, so
// the section search (bloom-bit vectors computed from anvil's headers by the test Odr) and the
// header-bloom scan both run; receipts are fetched for candidate blocks only.
// One documented difference: trailing null topic positions (see the topics test).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { zeroPadValue } from 'ethers';
import { type Methods, createMethods, toRpcError } from '../../src/client/methods/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { AnvilOdr } from '../helpers/anvil-odr.js';
import { ABSENT, CHAIN_ID, TOPIC_A, TOPIC_B, type Workload, runWorkload, word } from '../unit/client/methods-workload.js';

type Json = Record<string, unknown>;

describe('eth_getLogs against anvil', () => {
  let anvil: Anvil;
  let odr: AnvilOdr;
  let methods: Methods;
  let w: Workload;
  let hashes: string[];

  const make = (o: AnvilOdr) => createMethods({ odr: o, chain: o, config: { chainId: BigInt(CHAIN_ID), networkId: BigInt(CHAIN_ID) } });
  const same = async (filter: Json, m: Methods = methods) => {
    const ours = (await m.request('eth_getLogs', [filter])) as Json[];
    const theirs = await anvil.rpc<Json[]>('eth_getLogs', [filter]);
    assert.deepEqual(ours, theirs, JSON.stringify(filter));
    return ours;
  };
  const whole = (f: Json = {}) => ({ fromBlock: 'earliest', toBlock: 'latest', ...f });
  const blocksOf = (logs: Json[]) => [...new Set(logs.map((l) => Number(l.blockNumber)))];

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    w = await runWorkload(anvil);
    odr = new AnvilOdr(anvil, { sectionSize: 64, confirmations: 16 });
    await odr.sync();
    methods = make(odr);
    hashes = [];
    for (let n = 0; n <= w.head; n++) hashes.push((await anvil.rpc<Json>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).hash as string);
  });
  after(async () => anvil?.stop());
  beforeEach(() => {
    for (const k of Object.keys(odr.calls)) delete odr.calls[k];
    odr.receiptBlocks.clear();
  });

  it('the chain has sections 0 and 1 trusted and logs in both and in the tail', () => {
    assert.equal(odr.latestSection()?.index, 1);
    assert.deepEqual(w.logBlocks, [2, 3, 5, 71, 72, 141, 142]);
    assert.ok(w.head > 128 + 16);
  });

  it('one address over the whole chain: BloomBits for sections, header blooms for the tail, receipts of candidates only', async () => {
    const logs = await same(whole({ address: w.contractA }));
    assert.deepEqual(blocksOf(logs), [2, 71, 142]);
    assert.ok((odr.calls.bloomBits ?? 0) >= 3 * 2, `bloomBits asked ${odr.calls.bloomBits ?? 0} times`);
    // Receipts only of blocks whose bloom may hold contract A (all of them do hold it here).
    assert.deepEqual([...odr.receiptBlocks].sort((a, b) => a - b), [2, 71, 142]);
  });

  it('an OR-list of addresses, the delegated EOA, an absent address', async () => {
    assert.deepEqual(blocksOf(await same(whole({ address: [w.contractA, w.contractB] }))), [2, 3, 71, 72, 141, 142]);
    assert.deepEqual(blocksOf(await same(whole({ address: w.delegated }))), [5]);
    odr.receiptBlocks.clear();
    assert.deepEqual(await same(whole({ address: ABSENT })), []);
    assert.equal(odr.receiptBlocks.size, 0, 'no receipts fetched for an address no bloom holds');
  });

  it('topics: a single topic, OR-lists, nulls, too many positions', async () => {
    assert.deepEqual(blocksOf(await same(whole({ topics: [TOPIC_B] }))), [3, 72, 141]);
    const caller1 = zeroPadValue((w.wallets[1] as { address: string }).address, 32).toLowerCase();
    assert.deepEqual(blocksOf(await same(whole({ topics: [null, caller1] }))), [2, 3, 5, 72]);
    assert.deepEqual(blocksOf(await same(whole({ topics: [[TOPIC_A, TOPIC_B], null, [word(2000n), word(5555n)]] }))), [2, 141]);
    assert.deepEqual(blocksOf(await same(whole({ topics: [[TOPIC_A, null]] }))).length, 7);
    // geth: a log with fewer topics than the filter has positions does not match; anvil lets
    // trailing nulls match absent topics. Expected: anvil's answer with geth's rule applied.
    const fourNulls = whole({ topics: [null, null, null, null] });
    const anvils = await anvil.rpc<Json[]>('eth_getLogs', [fourNulls]);
    assert.ok(anvils.length > 0);
    assert.deepEqual(await methods.request('eth_getLogs', [fourNulls]), anvils.filter((l) => (l.topics as string[]).length >= 4));
    await same(whole({ topics: [null, null, null] }));
    await same(whole({ address: w.contractB, topics: [TOPIC_A] }));
  });

  it('everything (no address, no topics) over the whole chain, and partial ranges across a section edge', async () => {
    const all = await same(whole());
    assert.deepEqual(blocksOf(all), w.logBlocks);
    assert.equal(all.length, 8);
    await same({ fromBlock: '0x3', toBlock: '0x47', address: w.contractB });
    await same({ fromBlock: '0x48', toBlock: '0x8e', address: [w.contractA, w.contractB] });
    await same({ fromBlock: '0x7f', toBlock: '0x80' });
    await same({ fromBlock: 'finalized', toBlock: 'latest' });
  });

  it('a log in the unindexed tail is found by its header bloom', async () => {
    const logs = await same({ fromBlock: '0x80', toBlock: 'latest', address: w.contractB });
    assert.deepEqual(blocksOf(logs), [141]);
    assert.equal(odr.calls.bloomBits ?? 0, 0, 'no section in range');
  });

  it('blockHash filters', async () => {
    assert.equal((await same({ blockHash: hashes[2] })).length, 2);
    assert.equal((await same({ blockHash: hashes[2], address: w.contractB })).length, 0);
    assert.equal((await same({ blockHash: hashes[141], topics: [TOPIC_B] })).length, 1);
    assert.deepEqual(await same({ blockHash: hashes[4] }), []);
  });

  it('default range is the latest block', async () => {
    assert.deepEqual(await same({}), []);
    assert.deepEqual(await same({ address: w.contractA }), []);
  });

  it('limits: too many results and too many tail headers are -32005, too wide a range -32602', async () => {
    const limited = (config: Json) => createMethods({ odr, chain: odr, config: { chainId: BigInt(CHAIN_ID), networkId: BigInt(CHAIN_ID), ...config } });
    const code = async (m: Methods, filter: Json) => {
      try {
        await m.request('eth_getLogs', [filter]);
      } catch (e) {
        return toRpcError(e).code;
      }
      return 'no error';
    };
    assert.equal(await code(limited({ maxLogs: 7 }), whole()), -32005);
    assert.equal((await limited({ maxLogs: 8 }).request('eth_getLogs', [whole()]) as Json[]).length, 8);
    assert.equal(await code(limited({ maxHeaderScan: 10 }), whole({ address: w.contractA })), -32005);
    assert.equal(await code(limited({ maxLogBlockRange: 100 }), whole({ address: w.contractA })), -32602);
  });

  it('with only the newest section listed, older sections are asked through it (data section)', async () => {
    const sparse = new AnvilOdr(anvil, { sectionSize: 64, confirmations: 16, sparseSections: true });
    await sparse.sync();
    assert.equal(sparse.section(0), undefined);
    const logs = await same(whole({ address: [w.contractA, w.contractB, w.delegated] }), make(sparse));
    assert.deepEqual(blocksOf(logs), w.logBlocks);
    assert.ok((sparse.calls.bloomBits ?? 0) > 0);
  });
});
