// The eth_* method table against anvil (prague): every state, block, transaction and receipt
// method answers, through test/helpers/anvil-odr.ts (verified data from anvil), exactly what
// anvil's own JSON-RPC answers for the same call.
//
// Node-specific fields left out of the comparison (and why):
// - receipts: `blockTimestamp` (anvil adds it as a JSON number; not in the execution-apis receipt
//   schema) and `blobGasPrice` on non-blob receipts (anvil sets it on every receipt; geth and the
//   spec only on type-3 ones — ours has it exactly there).
// - blocks: `size` — anvil leaves the (empty) withdrawals list out of the block's RLP length;
//   geth counts it. Ours is checked against the RLP length of [header, txs, uncles, withdrawals]
//   encoded here with @ethereumjs/rlp from anvil's own data.
// - eth_accounts: anvil lists its dev keys; a light client holds no keys (ours is []).
// - web3_clientVersion: each node names itself.
// State at block 0 is not compared: anvil's genesis header has the empty stateRoot although the
// dev accounts are funded, so nothing at block 0 can be proven (the test Odr refuses anvil's proof).
import assert from 'node:assert/strict';
import { RLP } from '@ethereumjs/rlp';
import { after, before, describe, it } from 'node:test';
import { type Methods, createMethods } from '../../src/client/methods/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { hexToBytes } from '../../src/client/methods/params.js';
import { type TxStatusEntry, TxState } from '../../src/wire/tx.js';
import { AnvilOdr } from '../helpers/anvil-odr.js';
import { ABSENT, CHAIN_ID, RECIPIENT, type Workload, runWorkload, word } from '../unit/client/methods-workload.js';

type Json = Record<string, unknown>;
const RECEIPT_NODE_FIELDS = ['blockTimestamp', 'blobGasPrice'];

function stripReceipt(r: unknown): unknown {
  if (r === null || typeof r !== 'object') return r;
  const out = { ...(r as Json) };
  for (const k of RECEIPT_NODE_FIELDS) if (out.type !== '0x3' || k === 'blockTimestamp') delete out[k];
  return out;
}

describe('eth_* methods against anvil', () => {
  let anvil: Anvil;
  let odr: AnvilOdr;
  let methods: Methods;
  let w: Workload;
  let hashes: string[];

  /** Our answer and anvil's for the same call. */
  const both = async (method: string, params: unknown[]) => [await methods.request(method, params), await anvil.rpc(method, params)];
  const same = async (method: string, params: unknown[], strip: (x: unknown) => unknown = (x) => x) => {
    const [ours, theirs] = await both(method, params);
    assert.deepEqual(strip(ours), strip(theirs), `${method} ${JSON.stringify(params)}`);
    return ours;
  };

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    w = await runWorkload(anvil);
    odr = new AnvilOdr(anvil, { sectionSize: 64 });
    await odr.sync();
    // anvil's safe/finalized are one and two epochs (32 slots) behind its head.
    methods = createMethods({ odr, chain: odr, config: { chainId: BigInt(CHAIN_ID), networkId: BigInt(CHAIN_ID), safeDepth: 32, finalityDepth: 64 } });
    hashes = [];
    for (let n = 0; n <= w.head; n++) hashes.push((await anvil.rpc<Json>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).hash as string);
  });
  after(async () => anvil?.stop());

  it('chain ids, head number, listening, syncing', async () => {
    for (const m of ['eth_chainId', 'net_version', 'eth_blockNumber', 'net_listening', 'eth_syncing']) await same(m, []);
    assert.deepEqual(await methods.request('eth_accounts', []), []);
    assert.equal(await methods.request('web3_clientVersion', []), 'les-provider/0.1.0');
  });

  const blockParams = () => [
    'latest', 'pending', 'safe', 'finalized', '0x1', '0x2', '0x4', '0x47',
    { blockNumber: '0x3' }, { blockHash: hashes[5], requireCanonical: true }, { blockHash: hashes[2] }, hashes[71],
  ];

  it('eth_getBalance, eth_getTransactionCount, eth_getCode for every account at many blocks', async () => {
    const accounts = [...w.wallets.map((x) => x.address.toLowerCase()), w.contractA, w.contractB, RECIPIENT, ABSENT];
    for (const block of blockParams()) {
      for (const a of accounts) {
        await same('eth_getBalance', [a, block]);
        await same('eth_getTransactionCount', [a, block]);
        await same('eth_getCode', [a, block]);
      }
    }
    // The delegation designator of the 7702 EOA is its code.
    assert.match((await methods.request('eth_getCode', [w.delegated, 'latest'])) as string, new RegExp(`^0xef0100${w.contractA.slice(2)}$`));
  });

  it('eth_getStorageAt in both contracts and the delegated EOA, short and full slot keys', async () => {
    for (const block of ['latest', '0x2', '0x3', '0x5', '0x48', { blockHash: hashes[143] }]) {
      for (const a of [w.contractA, w.contractB, w.delegated, ABSENT]) {
        for (const slot of w.slots) {
          const ours = await same('eth_getStorageAt', [a, word(slot), block]);
          assert.equal(await methods.request('eth_getStorageAt', [a, `0x${slot.toString(16)}`, block]), ours);
        }
      }
    }
  });

  it('eth_getProof for contracts, EOAs and an absent account', async () => {
    const keys = w.slots.map(word);
    for (const block of ['latest', '0x3', { blockHash: hashes[72] }]) {
      for (const a of [w.contractA, w.contractB, w.delegated, (w.wallets[0] as { address: string }).address.toLowerCase(), ABSENT]) {
        await same('eth_getProof', [a, keys, block]);
        await same('eth_getProof', [a, [], block]);
      }
    }
  });

  /** The RLP length of the whole block, from anvil's header fields, raw transactions and withdrawals. */
  const rlpSize = async (n: number) => {
    const raw = (await odr.headerByNumber(n)).rlp;
    const block = await anvil.rpc<Json>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
    const txs = await Promise.all((block.transactions as string[]).map((h) => anvil.rpc<string>('debug_getRawTransaction', [h])));
    const wire = txs.map((t) => (parseInt(t.slice(2, 4), 16) >= 0xc0 ? RLP.decode(t) : Buffer.from(t.slice(2), 'hex')));
    const withdrawals = (block.withdrawals as Json[]).map((x) => [x.index, x.validatorIndex, x.address, x.amount] as string[]);
    return `0x${RLP.encode([RLP.decode(raw), wire as never, [], withdrawals]).length.toString(16)}`;
  };
  const noSize = (b: unknown) => (b === null ? b : { ...(b as Json), size: undefined });

  it('eth_getBlockByNumber / ByHash for every block, with and without transactions', async () => {
    for (let n = 0; n <= w.head; n++) {
      for (const full of [false, true]) {
        const ours = (await same('eth_getBlockByNumber', [`0x${n.toString(16)}`, full], noSize)) as Json;
        assert.equal(ours.size, await rlpSize(n), `size of block ${n}`);
        await same('eth_getBlockByHash', [hashes[n], full], noSize);
      }
    }
    for (const tag of ['latest', 'earliest', 'safe', 'finalized']) await same('eth_getBlockByNumber', [tag, true], noSize);
    // 'pending' is the latest block here (anvil builds a pending block on top of it).
    assert.deepEqual(noSize(await methods.request('eth_getBlockByNumber', ['pending', true])), noSize(await anvil.rpc('eth_getBlockByNumber', ['latest', true])));
    assert.equal(await same('eth_getBlockByNumber', [`0x${(w.head + 5).toString(16)}`, false]), null);
    assert.equal(await same('eth_getBlockByHash', ['0x' + '12'.repeat(32), true]), null);
  });

  it('eth_getBlockTransactionCountByNumber / ByHash', async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 71, w.head]) {
      await same('eth_getBlockTransactionCountByNumber', [`0x${n.toString(16)}`]);
      await same('eth_getBlockTransactionCountByHash', [hashes[n]]);
    }
    await same('eth_getBlockTransactionCountByNumber', ['latest']);
    // Above the head geth answers null (anvil an error): ours is null.
    assert.equal(await methods.request('eth_getBlockTransactionCountByNumber', [`0x${(w.head + 1).toString(16)}`]), null);
    assert.equal(await same('eth_getBlockTransactionCountByHash', ['0x' + '12'.repeat(32)]), null);
  });

  it('eth_getTransactionByHash and ByBlock*AndIndex for every transaction type', async () => {
    assert.ok(Object.keys(w.txs).length >= 15);
    for (const [label, hash] of Object.entries(w.txs)) {
      const tx = (await same('eth_getTransactionByHash', [hash])) as Json;
      assert.ok(tx !== null, label);
      await same('eth_getTransactionByBlockHashAndIndex', [tx.blockHash, tx.transactionIndex]);
      await same('eth_getTransactionByBlockNumberAndIndex', [tx.blockNumber, tx.transactionIndex]);
    }
    const types = await Promise.all(Object.values(w.txs).map(async (h) => ((await methods.request('eth_getTransactionByHash', [h])) as Json).type));
    assert.deepEqual([...new Set(types)].sort(), ['0x0', '0x1', '0x2', '0x4']);
    assert.equal(await same('eth_getTransactionByHash', ['0x' + '34'.repeat(32)]), null);
    assert.equal(await same('eth_getTransactionByBlockNumberAndIndex', ['0x2', '0x9']), null);
    assert.equal(await same('eth_getTransactionByBlockHashAndIndex', [hashes[2], '0x4']), null);
  });

  it('eth_getTransactionReceipt: success, revert, creation, failed creation, 7702, logs', async () => {
    for (const [label, hash] of Object.entries(w.txs)) {
      const r = (await same('eth_getTransactionReceipt', [hash], stripReceipt)) as Json;
      assert.ok(r !== null, label);
    }
    const status = async (label: string) => ((await methods.request('eth_getTransactionReceipt', [w.txs[label]])) as Json).status;
    assert.equal(await status('revert'), '0x0');
    assert.equal(await status('failedCreate'), '0x0');
    assert.equal(((await methods.request('eth_getTransactionReceipt', [w.txs.deployB])) as Json).contractAddress, w.contractB);
    const logs = ((await methods.request('eth_getTransactionReceipt', [w.txs.callDelegated])) as Json).logs as Json[];
    assert.equal(logs[0]?.address, w.delegated);
    assert.equal(await same('eth_getTransactionReceipt', ['0x' + '34'.repeat(32)]), null);
  });

  it('a tx status that does not hold against the verified body is not believed', async () => {
    const hash = w.txs.writeA2 as string;
    const truth = (await odr.txStatus([hexToBytes(hash)]))[0] as TxStatusEntry;
    const lookup = truth.lookup as NonNullable<TxStatusEntry['lookup']>;
    const lies: TxStatusEntry['lookup'][] = [
      { ...lookup, txIndex: lookup.txIndex + 1 }, // another transaction of the block
      { ...lookup, txIndex: 40 }, // no such index
      { ...lookup, blockNumber: lookup.blockNumber + 1 }, // number does not match the header
      { ...lookup, blockHash: hexToBytes(hashes[3] as string) }, // another block
      { ...lookup, blockNumber: w.head + 1 }, // beyond the head
      { ...lookup, blockHash: hexToBytes('0x' + '77'.repeat(32)) }, // unknown block
    ];
    for (const lie of lies) {
      const liar = Object.create(odr) as AnvilOdr;
      liar.txStatus = async () => [{ status: TxState.Included, lookup: lie }];
      const m = createMethods({ odr: liar, chain: odr, config: { chainId: BigInt(CHAIN_ID), networkId: BigInt(CHAIN_ID) } });
      assert.equal(await m.request('eth_getTransactionByHash', [hash]), null, JSON.stringify(lie));
      assert.equal(await m.request('eth_getTransactionReceipt', [hash]), null, JSON.stringify(lie));
    }
  });

  it('eth_getBlockReceipts by number, tag and hash', async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 71, 72, 141, 142]) {
      const strip = (x: unknown) => (Array.isArray(x) ? x.map(stripReceipt) : x);
      await same('eth_getBlockReceipts', [`0x${n.toString(16)}`], strip);
      await same('eth_getBlockReceipts', [hashes[n]], strip);
    }
    await same('eth_getBlockReceipts', ['latest']);
    assert.equal(await same('eth_getBlockReceipts', [`0x${(w.head + 3).toString(16)}`]), null);
  });
});
