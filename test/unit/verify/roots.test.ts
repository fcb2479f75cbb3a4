import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { Transaction, Wallet, getBytes } from 'ethers';
import {
  type BlockHeader,
  type Receipt,
  EMPTY_TRIE_ROOT,
  EMPTY_UNCLE_HASH,
  decodeReceipt,
  decodeReceiptItem,
  encodeReceipt,
  verifyBody,
  verifyReceipts,
} from '../../../src/verify/index.js';
import { encodeUint } from '../../../src/wire/rlp.js';
import { assertRejects, flipByte, hex } from './helpers.js';

type Item = Uint8Array | Item[];

/** Expected roots from @ethereumjs/trie over key rlp(i). */
async function ordered(values: Uint8Array[]): Promise<Uint8Array> {
  const t = new Trie();
  for (let i = 0; i < values.length; i++) await t.put(RLP.encode(encodeUint(i)), values[i] as Uint8Array);
  return t.root();
}

const wallet = new Wallet('0x' + '01'.repeat(32));
const to = '0x' + '42'.repeat(20);
let txBytes: Uint8Array[];
/** The body as the wire carries it: legacy = decoded list, typed = the envelope bytes. */
let wireTxs: Item[];

const base: BlockHeader = {
  parentHash: new Uint8Array(32),
  uncleHash: EMPTY_UNCLE_HASH,
  coinbase: new Uint8Array(20),
  stateRoot: new Uint8Array(32),
  transactionsRoot: EMPTY_TRIE_ROOT,
  receiptsRoot: EMPTY_TRIE_ROOT,
  logsBloom: new Uint8Array(256),
  difficulty: 0n,
  number: 1,
  gasLimit: 30_000_000n,
  gasUsed: 0n,
  timestamp: 1,
  extraData: new Uint8Array(0),
  mixHash: new Uint8Array(32),
  nonce: new Uint8Array(8),
};

before(async () => {
  const txs = [
    { type: 0, to, nonce: 0, gasLimit: 21000, gasPrice: 10n ** 9n, value: 1n, chainId: 1 },
    { type: 1, to, nonce: 1, gasLimit: 21000, gasPrice: 10n ** 9n, value: 2n, chainId: 1, accessList: [] },
    { type: 2, to, nonce: 2, gasLimit: 21000, maxFeePerGas: 10n ** 9n, maxPriorityFeePerGas: 1n, value: 3n, chainId: 1 },
  ];
  txBytes = await Promise.all(txs.map(async (t) => getBytes(await wallet.signTransaction(Transaction.from(t)))));
  wireTxs = txBytes.map((b) => ((b[0] as number) >= 0xc0 ? (RLP.decode(b) as Item[]) : b));
});

const receipts: Receipt[] = [
  { type: 0, status: 1, cumulativeGasUsed: 21000n, logsBloom: new Uint8Array(256), logs: [] },
  {
    type: 2,
    status: 0,
    cumulativeGasUsed: 63000n,
    logsBloom: new Uint8Array(256).fill(3),
    logs: [{ address: hex('0x' + '42'.repeat(20)), topics: [new Uint8Array(32).fill(1)], data: Uint8Array.of(1, 2) }],
  },
  { type: 0, postState: new Uint8Array(32).fill(7), cumulativeGasUsed: 84000n, logsBloom: new Uint8Array(256), logs: [] },
];

describe('verifyBody', () => {
  it('accepts a body whose transactions (legacy, 2930, 1559) hash to the header root', async () => {
    const header = { ...base, transactionsRoot: await ordered(txBytes) };
    verifyBody({ transactions: wireTxs, uncles: [] }, header);
  });

  it('rejects a transaction with one byte changed', async () => {
    const header = { ...base, transactionsRoot: await ordered(txBytes) };
    const changed = [...wireTxs.slice(0, 2), flipByte(wireTxs[2] as Uint8Array, 20)];
    assertRejects(() => verifyBody({ transactions: changed, uncles: [] }, header), 'ROOT_MISMATCH', 'body.transactions');
    assertRejects(() => verifyBody({ transactions: wireTxs.slice(1), uncles: [] }, header), 'ROOT_MISMATCH', 'body.transactions');
  });

  it('rejects a typed envelope with type byte 0 or >= 0x80', async () => {
    const header = { ...base, transactionsRoot: await ordered(txBytes) };
    assertRejects(() => verifyBody({ transactions: [Uint8Array.of(0, 1)], uncles: [] }, header), 'BAD_ENCODING', 'body.transactions[0]');
    assertRejects(() => verifyBody({ transactions: [new Uint8Array(0)], uncles: [] }, header), 'BAD_ENCODING', 'body.transactions[0]');
  });

  it('checks the uncle hash', () => {
    const uncle = RLP.decode(RLP.encode(Array.from({ length: 15 }, () => Uint8Array.of(1)))) as Item[];
    assertRejects(() => verifyBody({ transactions: [], uncles: [uncle] }, base), 'HASH_MISMATCH', 'body.uncles');
    assertRejects(() => verifyBody({ transactions: [], uncles: [] }, { ...base, uncleHash: flipByte(EMPTY_UNCLE_HASH, 0) }), 'HASH_MISMATCH', 'body.uncles');
  });

  it('requires withdrawals exactly when the header has a withdrawalsRoot, and checks their root', async () => {
    const w = [encodeUint(5), encodeUint(9), hex('0x' + '42'.repeat(20)), encodeUint(32_000_000_000n)];
    const shanghai = { ...base, baseFeePerGas: 7n, withdrawalsRoot: await ordered([RLP.encode(w)]) };
    verifyBody({ transactions: [], uncles: [], withdrawals: [w] }, shanghai);
    assertRejects(() => verifyBody({ transactions: [], uncles: [] }, shanghai), 'BAD_ENCODING', 'body.withdrawals');
    assertRejects(() => verifyBody({ transactions: [], uncles: [], withdrawals: [] }, base), 'BAD_ENCODING', 'body.withdrawals');
    assertRejects(() => verifyBody({ transactions: [], uncles: [], withdrawals: [[...w.slice(0, 3), encodeUint(1n)]] }, shanghai), 'ROOT_MISMATCH', 'body.withdrawals');
    assertRejects(
      () => verifyBody({ transactions: [], uncles: [], withdrawals: [[w[0], w[1], new Uint8Array(19), w[3]] as Item[]] }, shanghai),
      'BAD_ENCODING',
      'body.withdrawals[0].address',
    );
  });
});

describe('receipts', () => {
  it('round-trips legacy, typed and pre-Byzantium receipts through their canonical bytes', () => {
    for (const r of receipts) assert.deepEqual(decodeReceipt(encodeReceipt(r)), r);
    assert.equal(encodeReceipt(receipts[1] as Receipt)[0], 2);
  });

  it('verifyReceipts accepts wire items whose trie root is the header receiptsRoot, and rejects one changed byte', async () => {
    const bytes = receipts.map(encodeReceipt);
    const header = { ...base, receiptsRoot: await ordered(bytes) };
    const wire: Item[] = bytes.map((b) => ((b[0] as number) >= 0xc0 ? (RLP.decode(b) as Item[]) : b));
    assert.deepEqual(verifyReceipts(wire, header), receipts);
    const changed = [...wire.slice(0, 1), flipByte(wire[1] as Uint8Array, 300), ...wire.slice(2)];
    assertRejects(() => verifyReceipts(changed, header), 'ROOT_MISMATCH', 'receipts');
  });

  const fields = () => RLP.decode(encodeReceipt(receipts[1] as Receipt).subarray(1)) as Item[];
  const typed = (f: Item[]) => Uint8Array.from([2, ...RLP.encode(f)]);
  const broken: Array<[string, () => Item, string]> = [
    ['a status of 2', () => typed([Uint8Array.of(2), ...fields().slice(1)]), 'receipt.status'],
    ['a 255-byte bloom', () => typed([...fields().slice(0, 2), new Uint8Array(255), ...fields().slice(3)]), 'receipt.logsBloom'],
    ['a log with five topics', () => typed([...fields().slice(0, 3), [[new Uint8Array(20), Array.from({ length: 5 }, () => new Uint8Array(32)), new Uint8Array(0)]]]), 'receipt.logs[0].topics'],
    ['a log address of 19 bytes', () => typed([...fields().slice(0, 3), [[new Uint8Array(19), [], new Uint8Array(0)]]]), 'receipt.logs[0].address'],
    ['three fields', () => typed(fields().slice(0, 3)), 'receipt'],
    ['a type byte of 0x80', () => Uint8Array.from([0x80, ...RLP.encode(fields())]), 'receipt'],
    ['a typed payload that is not RLP', () => Uint8Array.of(2, 0xf8, 0x01), 'receipt'],
  ];
  for (const [what, make, field] of broken) {
    it(`rejects a receipt with ${what}`, () => assertRejects(() => decodeReceiptItem(make()), 'BAD_ENCODING', field));
  }
});
