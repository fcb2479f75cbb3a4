/**
 * The small methods on an in-memory chain, each expected value from an implementation or text we
 * did not write: web3_sha3 against published Keccak-256 values; the blob base fee against
 * ethereumjs' Cancun header arithmetic, the blob schedule against ethereumjs' per-fork parameters,
 * the fork chosen by the network schedule (not the header's shape), EIP-7918's reserve-price rule
 * on the EIP's own formula; an uncle of a pre-merge block against ethereumjs' own block with that
 * uncle (hash, fields, size); eth_getHeaderBy* as the block object's header fields; net_peerCount.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Block, BlockHeader as EjsHeader } from '@ethereumjs/block';
import { Common as Common4 } from '@ethereumjs/common';
import { Common as Common10, Mainnet } from 'ethereumjs-common-10';
import type { HeaderChainView, VerifiedBody, VerifiedHeader } from '../../../src/client/contracts.js';
import { type MethodDeps, type MethodsOdr, createMethods } from '../../../src/client/methods/index.js';
import { BLOB_SCHEDULE, type BlobParams, GAS_PER_BLOB, blobBaseFee, fakeExponential, nextBlobBaseFee, nextExcessBlobGas } from '../../../src/client/methods/fee-math.js';
import { decodeHeader } from '../../../src/verify/header.js';
import { LespError } from '../../../src/errors.js';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { RLP } from '@ethereumjs/rlp';

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

/** Methods over a chain of the given headers (the last is the head) and bodies. */
function methodsOver(headers: VerifiedHeader[], bodies: VerifiedBody[], extra: Partial<MethodDeps> = {}) {
  const head = headers[headers.length - 1] as VerifiedHeader;
  const chain = {
    head: () => head,
    headerByNumber: async (n: number) => headers[n] as VerifiedHeader,
    headerByHash: async (h: Uint8Array) => {
      const found = headers.find((x) => Buffer.compare(x.hash, h) === 0);
      if (found === undefined) throw new LespError('NOT_AVAILABLE', 'no such block on the verified chain');
      return found;
    },
    sectionSize: 64,
  } as unknown as HeaderChainView;
  const odr = { body: async (vh: VerifiedHeader) => bodies[vh.header.number] as VerifiedBody } as unknown as MethodsOdr;
  return createMethods({ odr, chain, config: { chainId: 1n, networkId: 1n }, ...extra });
}

/** A verified header from an ethereumjs header (its own RLP and hash). */
function verified(h: EjsHeader): VerifiedHeader {
  const rlp = h.serialize();
  return { header: decodeHeader(rlp), hash: h.hash(), rlp };
}

describe('web3_sha3', () => {
  const m = methodsOver([{ header: { number: 0 } as VerifiedHeader['header'], hash: new Uint8Array(32), rlp: new Uint8Array() }], [{ transactions: [], uncles: [] }]);
  it('is Keccak-256 (the empty string; geth’s documented "hello world")', async () => {
    assert.equal(await m.request('web3_sha3', ['0x']), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470');
    assert.equal(await m.request('web3_sha3', ['0x68656c6c6f20776f726c64']), '0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad');
  });
  it('refuses what is not 0x-hex bytes, naming the param', async () => {
    for (const bad of ['hello', '0x123', 42]) await assert.rejects(m.request('web3_sha3', [bad]), (e: unknown) => (e as { field?: string }).field === 'data');
  });
});

describe('blob base fee', () => {
  const cancun = new Common4({ chain: 'mainnet', hardfork: 'cancun' });
  // Spread over the range where the fee moves from 1 to millions; blobGasUsed 0..6 blobs.
  const cases = Array.from({ length: 40 }, (_, i) => ({ excess: BigInt(i) * 1_234_567n + BigInt(i % 3) * GAS_PER_BLOB, used: BigInt(i % 7) * GAS_PER_BLOB }));

  it('Cancun: this block’s and the next block’s fee equal ethereumjs’ header arithmetic (40 headers)', () => {
    for (const { excess, used } of cases) {
      const ejs = EjsHeader.fromHeaderData({ number: 1, excessBlobGas: excess, blobGasUsed: used, baseFeePerGas: 7n, timestamp: 1710338135 }, { common: cancun });
      const h = verified(ejs).header;
      assert.equal(blobBaseFee(h, 'cancun'), ejs.getBlobGasPrice(), `excess ${excess}`);
      assert.equal(nextExcessBlobGas(h, 'cancun'), ejs.calcNextExcessBlobGas(), `excess ${excess}`);
      assert.equal(nextBlobBaseFee(h, 'cancun'), ejs.calcNextBlobGasPrice(), `excess ${excess}, used ${used}`);
      // Without a schedule a Cancun-shaped header (no requestsHash) is read as Cancun.
      assert.equal(nextBlobBaseFee(h), ejs.calcNextBlobGasPrice());
    }
  });

  it('the blob schedule per fork: Cancun’s and the BPO forks’ are ethereumjs’ parameters, Prague’s EIP-7691’s; EIP-7918 from Osaka', () => {
    const c4 = new Common4({ chain: 'mainnet', hardfork: 'cancun' });
    const cancun = BLOB_SCHEDULE.cancun as BlobParams;
    assert.equal(cancun.target, c4.param('gasConfig', 'targetBlobGasPerBlock'));
    assert.equal(cancun.max, c4.param('gasConfig', 'maxblobGasPerBlock'));
    assert.equal(cancun.updateFraction, c4.param('gasConfig', 'blobGasPriceUpdateFraction'));
    for (const fork of ['bpo1', 'bpo2']) {
      const c = new Common10({ chain: Mainnet, hardfork: fork });
      const p = BLOB_SCHEDULE[fork] as BlobParams;
      assert.equal(p.target, BigInt(c.param('target')) * GAS_PER_BLOB, `${fork} target`);
      assert.equal(p.max, BigInt(c.param('max')) * GAS_PER_BLOB, `${fork} max`);
      assert.equal(p.updateFraction, BigInt(c.param('blobGasPriceUpdateFraction')), `${fork} fraction`);
    }
    // EIP-7691: target 6, max 9 blobs, BLOB_BASE_FEE_UPDATE_FRACTION_PRAGUE 5007716; Osaka keeps them.
    for (const fork of ['prague', 'osaka']) assert.deepEqual([BLOB_SCHEDULE[fork]?.target, BLOB_SCHEDULE[fork]?.max, BLOB_SCHEDULE[fork]?.updateFraction], [6n * GAS_PER_BLOB, 9n * GAS_PER_BLOB, 5007716n]);
    for (const fork of ['cancun', 'prague', 'osaka', 'bpo1', 'bpo2']) {
      assert.equal(BLOB_SCHEDULE[fork]?.reservePrice, new Common10({ chain: Mainnet, hardfork: fork }).isActivatedEIP(7918), `${fork} EIP-7918`);
    }
  });

  it('eth_blobBaseFee is the next block’s fee under the fork the network schedule names for the head', async () => {
    // Excess 20 blobs' worth, 9 blobs used: past Prague's target, under Cancun's rules more so.
    const header = { number: 5, timestamp: 1000, excessBlobGas: 20n * GAS_PER_BLOB, blobGasUsed: 9n * GAS_PER_BLOB, baseFeePerGas: 1n } as VerifiedHeader['header'];
    const vh: VerifiedHeader = { header, hash: new Uint8Array(32).fill(5), rlp: new Uint8Array() };
    const chainOf = (fork: string | undefined) =>
      methodsOver([vh, vh, vh, vh, vh, vh], [], fork === undefined ? {} : { forkAt: (n, t) => (n === 5 && t === 1000 ? fork : 'wrong') });
    const expect = (target: bigint, fraction: bigint) => `0x${fakeExponential(1n, 20n * GAS_PER_BLOB + 9n * GAS_PER_BLOB - target * GAS_PER_BLOB, fraction).toString(16)}`;
    assert.equal(await chainOf('prague').request('eth_blobBaseFee', []), expect(6n, 5007716n));
    assert.equal(await chainOf('cancun').request('eth_blobBaseFee', []), expect(3n, 3338477n));
    assert.equal(await chainOf('bpo1').request('eth_blobBaseFee', []), expect(10n, 8346193n));
    assert.notEqual(expect(6n, 5007716n), expect(3n, 3338477n));
    // No requestsHash and no schedule: Cancun by shape.
    assert.equal(await chainOf(undefined).request('eth_blobBaseFee', []), expect(3n, 3338477n));
    // Before Cancun (no excessBlobGas): null, as geth.
    const old: VerifiedHeader = { header: { number: 0, timestamp: 0 } as VerifiedHeader['header'], hash: new Uint8Array(32), rlp: new Uint8Array() };
    assert.equal(await methodsOver([old], []).request('eth_blobBaseFee', []), null);
  });

  it('Osaka: EIP-7918 — while the execution base fee prices blobs above their own fee, the excess grows by used·(max−target)/max', () => {
    const osaka = BLOB_SCHEDULE.osaka as NonNullable<(typeof BLOB_SCHEDULE)['osaka']>;
    const h = { number: 1, timestamp: 1, excessBlobGas: 0n, blobGasUsed: 9n * GAS_PER_BLOB, baseFeePerGas: 10n ** 9n } as VerifiedHeader['header'];
    // BLOB_BASE_COST (2^13) × 1 gwei > GAS_PER_BLOB × 1 wei: the reserve branch.
    assert.equal(nextExcessBlobGas(h, 'osaka'), (9n * GAS_PER_BLOB * (osaka.max - osaka.target)) / osaka.max);
    // With a base fee of 0 the ordinary EIP-4844 rule: excess + used − target.
    assert.equal(nextExcessBlobGas({ ...h, baseFeePerGas: 0n }, 'osaka'), 3n * GAS_PER_BLOB);
    // Prague has no reserve price: the ordinary rule whatever the base fee.
    assert.equal(nextExcessBlobGas(h, 'prague'), 3n * GAS_PER_BLOB);
  });
});

describe('uncles and headers', () => {
  const london = new Common4({ chain: 'mainnet', hardfork: 'london' });
  const uncleHeader = EjsHeader.fromHeaderData(
    { number: 9, difficulty: 131072n, gasLimit: 30_000_000n, gasUsed: 21_000n, timestamp: 1_650_000_000, coinbase: `0x${'11'.repeat(20)}`, extraData: '0xbeef', baseFeePerGas: 7n },
    { common: london },
  );
  const parentOfBlock = EjsHeader.fromHeaderData({ number: 9, difficulty: 131072n, gasLimit: 30_000_000n, timestamp: 1_650_000_001, baseFeePerGas: 7n }, { common: london });
  const block = Block.fromBlockData(
    {
      header: {
        number: 10, parentHash: parentOfBlock.hash(), difficulty: 131072n, gasLimit: 30_000_000n, timestamp: 1_650_000_013, baseFeePerGas: 7n,
        uncleHash: keccak256(RLP.encode([uncleHeader.raw()])),
      },
      uncleHeaders: [uncleHeader.toJSON()],
    },
    { common: london },
  );
  // Blocks 0..9 stand-ins; block 10 is ethereumjs' block with one uncle, its body as a server sends it.
  const filler = (n: number): VerifiedHeader => ({ header: { number: n } as VerifiedHeader['header'], hash: new Uint8Array(32).fill(n + 100), rlp: new Uint8Array() });
  const head = verified(block.header);
  const headers = [...Array.from({ length: 10 }, (_, n) => filler(n)), head];
  const bodies: VerifiedBody[] = [];
  bodies[10] = { transactions: [], uncles: [uncleHeader.serialize()] };
  const m = methodsOver(headers, bodies, { peerCount: () => 3 });

  it('the body’s uncle list is the one the header commits to (ethereumjs checks it)', () => {
    assert.ok(block.uncleHashIsValid());
    assert.equal(hex(keccak256(RLP.encode(block.uncleHeaders.map((u) => u.raw())))), hex(head.header.uncleHash));
  });

  it('counts by number and by hash; an unknown block is null', async () => {
    assert.equal(await m.request('eth_getUncleCountByBlockNumber', ['0xa']), '0x1');
    assert.equal(await m.request('eth_getUncleCountByBlockHash', [hex(head.hash)]), '0x1');
    assert.equal(await m.request('eth_getUncleCountByBlockNumber', ['0xb']), null);
    assert.equal(await m.request('eth_getUncleCountByBlockHash', [`0x${'ab'.repeat(32)}`]), null);
  });

  it('the uncle is ethereumjs’ uncle header: hash, every field, size of [header, [], []], no transactions or uncles; a missing index is null', async () => {
    const want = uncleHeader.toJSON();
    for (const got of [await m.request('eth_getUncleByBlockNumberAndIndex', ['0xa', '0x0']), await m.request('eth_getUncleByBlockHashAndIndex', [hex(head.hash), '0x0'])]) {
      const u = got as Record<string, unknown>;
      assert.equal(u.hash, hex(uncleHeader.hash()));
      assert.equal(u.number, want.number);
      assert.equal(u.parentHash, want.parentHash);
      assert.equal(u.sha3Uncles, want.uncleHash);
      assert.equal(u.miner, want.coinbase);
      assert.equal(u.stateRoot, want.stateRoot);
      assert.equal(u.transactionsRoot, want.transactionsTrie);
      assert.equal(u.receiptsRoot, want.receiptTrie);
      assert.equal(u.logsBloom, want.logsBloom);
      assert.equal(u.difficulty, want.difficulty);
      assert.equal(u.gasLimit, want.gasLimit);
      assert.equal(u.gasUsed, want.gasUsed);
      assert.equal(u.timestamp, want.timestamp);
      assert.equal(u.extraData, want.extraData);
      assert.equal(u.mixHash, want.mixHash);
      assert.equal(u.nonce, want.nonce);
      assert.equal(u.baseFeePerGas, want.baseFeePerGas);
      assert.deepEqual(u.transactions, []);
      assert.deepEqual(u.uncles, []);
      const alone = Block.fromBlockData({ header: uncleHeader.toJSON() }, { common: london });
      assert.equal(u.size, `0x${alone.serialize().length.toString(16)}`);
    }
    assert.equal(await m.request('eth_getUncleByBlockNumberAndIndex', ['0xa', '0x1']), null);
    assert.equal(await m.request('eth_getUncleByBlockNumberAndIndex', ['0xb', '0x0']), null);
  });

  it('eth_getHeaderByNumber / ByHash are the block object without its block-only fields', async () => {
    const blockObj = (await m.request('eth_getBlockByNumber', ['0xa', false])) as Record<string, unknown>;
    for (const k of ['size', 'uncles', 'transactions', 'withdrawals', 'totalDifficulty']) delete blockObj[k];
    assert.deepEqual(await m.request('eth_getHeaderByNumber', ['0xa']), blockObj);
    assert.deepEqual(await m.request('eth_getHeaderByHash', [hex(head.hash)]), blockObj);
    assert.equal(blockObj.hash, hex(block.hash()));
    assert.equal(await m.request('eth_getHeaderByNumber', ['0xb']), null);
  });

  it('net_peerCount is the connected servers as a quantity', async () => {
    assert.equal(await m.request('net_peerCount', []), '0x3');
  });
});
