// JSON → canonical binary conversions (src/verify/tx-rpc.ts, receipt-rpc.ts) against anvil's
// recorded answers (chain-fixture.json: debug_getRawTransaction, ethers' signed bytes, the
// header's roots) and ethers' own serialization (EIP-4844 without sidecar), plus malformed input.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ethers } from 'ethers';
import { VerificationError } from '../../../src/verify/errors.js';
import { decodeReceipt } from '../../../src/verify/receipts.js';
import { receiptsRoot, transactionsRoot } from '../../../src/verify/roots.js';
import { receiptFromRpc, receiptObjectFromRpc } from '../../../src/verify/receipt-rpc.js';
import { txFromRpc } from '../../../src/verify/tx-rpc.js';

type Json = Record<string, unknown>;
interface FixtureBlock {
  full: Json & { transactions: Json[] };
  receipts: Json[];
  raw: Record<string, string>;
}
const fixture = JSON.parse(readFileSync(new URL('./chain-fixture.json', import.meta.url), 'utf8')) as { blocks: FixtureBlock[]; signed: Record<string, string> };
const hex = (b: Uint8Array) => ethers.hexlify(b);
const clone = <T>(v: T): T => structuredClone(v);
const txs = fixture.blocks.flatMap((b) => b.full.transactions.map((tx) => ({ tx, raw: b.raw[tx.hash as string] as string })));
const receipts = fixture.blocks.flatMap((b) => b.receipts);
const txOfType = (t: string) => {
  const found = txs.find(({ tx }) => tx.type === t);
  assert.ok(found, `fixture has a type ${t} transaction`);
  return found;
};

function rejects(fn: () => unknown, field: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof VerificationError, `expected VerificationError, got ${String(e)}`);
    assert.equal(e.code, 'BAD_ENCODING');
    if (typeof field === 'string') assert.equal(e.field, field, e.message);
    else assert.match(e.field ?? '', field, e.message);
    return true;
  });
}

describe('txFromRpc on anvil transactions', () => {
  it('fixture covers legacy (EIP-155 and unprotected), 2930, 1559, 7702 and a contract creation', () => {
    const types = new Set(txs.map(({ tx }) => tx.type));
    for (const t of ['0x0', '0x1', '0x2', '0x4']) assert.ok(types.has(t), `type ${t}`);
    assert.ok(txs.some(({ tx }) => tx.type === '0x0' && BigInt(tx.v as string) <= 28n), 'an unprotected legacy tx');
    assert.ok(txs.some(({ tx }) => tx.to === null), 'a contract creation');
  });

  it('rebuilds the exact bytes anvil returns from debug_getRawTransaction (= ethers-signed bytes)', () => {
    for (const { tx, raw } of txs) {
      const got = hex(txFromRpc(tx));
      assert.equal(got, raw, `tx ${tx.hash as string} (type ${tx.type as string})`);
      assert.equal(got, fixture.signed[tx.hash as string], 'same as ethers signed');
      assert.equal(hex(keccak256(txFromRpc(tx))), tx.hash);
    }
  });

  it('gives the transactionsRoot of every block header', () => {
    for (const b of fixture.blocks) {
      assert.equal(hex(transactionsRoot(b.full.transactions.map((t) => txFromRpc(t)))), b.full.transactionsRoot);
    }
  });

  it('accepts a typed tx with only v (older nodes) and a legacy tx without a type field', () => {
    const typed = clone(txOfType('0x2'));
    delete typed.tx.yParity;
    assert.equal(hex(txFromRpc(typed.tx)), typed.raw);
    const legacy = clone(txOfType('0x0'));
    delete legacy.tx.type;
    assert.equal(hex(txFromRpc(legacy.tx)), legacy.raw);
  });

  it('rebuilds an EIP-4844 transaction (no sidecar) exactly as ethers serializes it', async () => {
    const w = ethers.Wallet.createRandom();
    const t = ethers.Transaction.from({
      type: 3, chainId: 31337n, nonce: 7, maxPriorityFeePerGas: 2n, maxFeePerGas: 3_000_000_000n, gasLimit: 50_000n,
      to: w.address, value: 12345n, data: '0xc0ffee', maxFeePerBlobGas: 9n,
      blobVersionedHashes: [`0x01${'ab'.repeat(31)}`, `0x01${'cd'.repeat(31)}`],
      accessList: [{ address: w.address, storageKeys: [ethers.ZeroHash] }],
    });
    t.signature = w.signingKey.sign(t.unsignedHash);
    const q = (v: bigint | number) => ethers.toQuantity(v);
    const json = {
      type: '0x3', chainId: q(31337), nonce: q(7), maxPriorityFeePerGas: q(2), maxFeePerGas: q(3_000_000_000n), gas: q(50_000),
      to: w.address.toLowerCase(), value: q(12345), input: '0xc0ffee', maxFeePerBlobGas: q(9),
      blobVersionedHashes: t.blobVersionedHashes, accessList: [{ address: w.address, storageKeys: [ethers.ZeroHash] }],
      yParity: q(t.signature.yParity), v: q(t.signature.yParity), r: q(BigInt(t.signature.r)), s: q(BigInt(t.signature.s)),
      hash: t.hash,
    };
    assert.equal(hex(txFromRpc(json)), t.serialized);
    await Promise.resolve();
  });
});

describe('txFromRpc refuses malformed transactions', () => {
  const base = txOfType('0x2').tx;
  const variants: Array<[string, (t: Json) => void, string | RegExp]> = [
    ['not an object', () => {}, 'tx'],
    ['missing nonce', (t) => delete t.nonce, 'tx.nonce'],
    ['missing r', (t) => delete t.r, 'tx.r'],
    ['missing accessList', (t) => delete t.accessList, 'tx.accessList'],
    ['missing input', (t) => delete t.input, 'tx.input'],
    ['19-byte to', (t) => (t.to = '0x' + '11'.repeat(19)), 'tx.to'],
    ['33-byte r', (t) => (t.r = '0x' + '11'.repeat(33)), 'tx.r'],
    ['nonce above 64 bits', (t) => (t.nonce = '0x1' + '0'.repeat(16)), 'tx.nonce'],
    ['quantity without 0x', (t) => (t.value = '10'), 'tx.value'],
    ['number instead of hex', (t) => (t.gas = 21000), 'tx.gas'],
    ['odd hex input', (t) => (t.input = '0xabc'), 'tx.input'],
    ['yParity 2', (t) => (t.yParity = '0x2'), 'tx.yParity'],
    ['yParity and v disagree', (t) => (t.v = t.yParity === '0x0' ? '0x1' : '0x0'), 'tx.yParity'],
    ['31-byte storage key', (t) => (t.accessList = [{ address: '0x' + '22'.repeat(20), storageKeys: ['0x' + '00'.repeat(31)] }]), 'tx.accessList[0].storageKeys[0]'],
    ['access list entry not an object', (t) => (t.accessList = ['0x00']), 'tx.accessList[0]'],
    ['unknown type 0x7e', (t) => (t.type = '0x7e'), 'tx.type'],
    ['type above one byte', (t) => (t.type = '0x100'), 'tx.type'],
  ];
  for (const [name, mutate, field] of variants) {
    it(name, () => {
      const t = clone(base);
      mutate(t);
      rejects(() => txFromRpc(name === 'not an object' ? 'tx' : t), field);
    });
  }

  it('a 7702 tx with a malformed authorization, or without a recipient', () => {
    const t = clone(txOfType('0x4').tx);
    (t.authorizationList as Json[])[0]!.address = '0x1234';
    rejects(() => txFromRpc(t), 'tx.authorizationList[0].address');
    const u = clone(txOfType('0x4').tx);
    u.to = null;
    rejects(() => txFromRpc(u), 'tx.to');
  });

  it('a changed value still encodes, but no longer hashes to the node hash (the caller checks)', () => {
    const { tx } = txOfType('0x2');
    const t = clone(tx);
    t.value = '0x2';
    assert.notEqual(hex(keccak256(txFromRpc(t))), tx.hash);
  });
});

describe('receiptFromRpc on anvil receipts', () => {
  it('fixture covers success, failure (status 0), logs, and typed receipts', () => {
    assert.ok(receipts.some((r) => r.status === '0x0'));
    assert.ok(receipts.some((r) => (r.logs as unknown[]).length === 2));
    assert.ok(new Set(receipts.map((r) => r.type)).size >= 4);
  });

  it('gives the receiptsRoot of every block header', () => {
    for (const b of fixture.blocks) assert.equal(hex(receiptsRoot(b.receipts.map((r) => receiptFromRpc(r)))), b.full.receiptsRoot);
  });

  it('decodes back to the JSON fields', () => {
    for (const r of receipts) {
      const d = decodeReceipt(receiptFromRpc(r));
      assert.equal(d.type, Number(r.type));
      assert.equal(d.status, Number(r.status));
      assert.equal(d.cumulativeGasUsed, BigInt(r.cumulativeGasUsed as string));
      assert.equal(hex(d.logsBloom), r.logsBloom);
      assert.deepEqual(
        d.logs.map((l) => ({ address: hex(l.address), topics: l.topics.map(hex), data: hex(l.data) })),
        (r.logs as Json[]).map((l) => ({ address: l.address, topics: l.topics, data: l.data })),
      );
    }
  });

  it('takes a pre-Byzantium post-state root instead of a status', () => {
    const r = clone(receipts[0] as Json);
    delete r.status;
    r.root = '0x' + '5a'.repeat(32);
    const d = receiptObjectFromRpc(r);
    assert.equal(hex(d.postState as Uint8Array), r.root);
    assert.equal(d.status, undefined);
  });
});

describe('receiptFromRpc refuses malformed receipts', () => {
  const withLogs = receipts.find((r) => (r.logs as unknown[]).length > 0) as Json;
  const variants: Array<[string, (r: Json) => void, string]> = [
    ['neither status nor root', (r) => delete r.status, 'receipt.status'],
    ['both status and root', (r) => (r.root = '0x' + '00'.repeat(32)), 'receipt.status'],
    ['status 2', (r) => (r.status = '0x2'), 'receipt.status'],
    ['31-byte root', (r) => { delete r.status; r.root = '0x' + '00'.repeat(31); }, 'receipt.root'],
    ['missing cumulativeGasUsed', (r) => delete r.cumulativeGasUsed, 'receipt.cumulativeGasUsed'],
    ['255-byte bloom', (r) => (r.logsBloom = '0x' + '00'.repeat(255)), 'receipt.logsBloom'],
    ['logs not an array', (r) => (r.logs = {}), 'receipt.logs'],
    ['5 topics', (r) => ((r.logs as Json[])[0]!.topics = Array(5).fill('0x' + '00'.repeat(32))), 'receipt.logs[0].topics'],
    ['short topic', (r) => ((r.logs as Json[])[0]!.topics = ['0x00']), 'receipt.logs[0].topics[0]'],
    ['log without data', (r) => delete (r.logs as Json[])[0]!.data, 'receipt.logs[0].data'],
    ['log address of 21 bytes', (r) => ((r.logs as Json[])[0]!.address = '0x' + '00'.repeat(21)), 'receipt.logs[0].address'],
    ['type 0x80', (r) => (r.type = '0x80'), 'receipt.type'],
  ];
  for (const [name, mutate, field] of variants) {
    it(name, () => {
      const r = clone(withLogs);
      mutate(r);
      rejects(() => receiptFromRpc(r), field);
    });
  }
  it('null', () => rejects(() => receiptFromRpc(null), 'receipt'));
});
