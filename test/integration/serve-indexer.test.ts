/**
 * The section indexers over a real anvil chain (devnet sections: 64 blocks, 16 confirmations): a
 * contract emits a log in known blocks, the chain is mined past five sections, and everything the
 * indexers serve is checked against anvil's own answers (block hashes, blooms, eth_getLogs).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEVNET } from '../../src/config/network.js';
import { SectionIndexer } from '../../src/serve/indexer/index.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { ProofNodeSet, verifyBloomBitsProof, verifyChtProof } from '../../src/verify/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { MemorySource, type SourceBlock, be, bloomBit, bloomBitsOf, hexOf } from '../unit/serve/indexer-fixtures.js';

const SIZE = DEVNET.sectionSize;
const SECTIONS = 5;
const HEAD = SECTIONS * SIZE - 1 + DEVNET.buildConfirmations + 5;
// Blocks whose transaction calls the emitter (edges of sections included).
const LOG_BLOCKS = [5, 6, 63, 64, 100, 130, 191, 200, 255, 256, 300, 319, 330];
// Runtime: LOG0 with empty data, STOP. Init code returns it.
const INIT_CODE = '0x6560006000a0006000526006601af3';

const bytes = (hex: string) => Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
const btKey = (bit: number, s: number) => Uint8Array.from([...be(bit, 2), ...be(s, 8)]);

let anvil: Anvil;
let emitter: string;
let logged: Set<number>;
const blocks: SourceBlock[] = [];
let ix: SectionIndexer;

async function blockNumber(): Promise<number> {
  return Number(await anvil.rpc<string>('eth_blockNumber'));
}

async function send(from: string, tx: Record<string, string>): Promise<{ blockNumber: string; contractAddress: string | null }> {
  const hash = await anvil.rpc<string>('eth_sendTransaction', [{ from, ...tx }]);
  // Automine answers before the block is always queryable: poll for the receipt.
  for (let i = 0; i < 200; i++) {
    const r = await anvil.rpc<{ blockNumber: string; contractAddress: string | null } | null>('eth_getTransactionReceipt', [hash]);
    if (r !== null) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`no receipt for ${hash}`);
}

async function mineTo(n: number): Promise<void> {
  const count = n - (await blockNumber());
  if (count > 0) await anvil.rpc('anvil_mine', [`0x${count.toString(16)}`]);
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  const [from] = await anvil.rpc<string[]>('eth_accounts');
  const deployed = await send(from as string, { data: INIT_CODE });
  emitter = deployed.contractAddress as string;
  for (const target of LOG_BLOCKS) {
    await mineTo(target - 1);
    const r = await send(from as string, { to: emitter, gas: '0x10000' });
    assert.equal(Number(r.blockNumber), target, 'the call was mined in its planned block');
  }
  await mineTo(HEAD);
  for (let n = 0; n <= HEAD; n++) {
    const b = await anvil.rpc<{ hash: string; totalDifficulty?: string; logsBloom: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
    blocks.push({ hash: bytes(b.hash), td: BigInt(b.totalDifficulty ?? '0x0'), logsBloom: bytes(b.logsBloom) });
  }
  const logs = await anvil.rpc<Array<{ blockNumber: string }>>('eth_getLogs', [{ address: emitter, fromBlock: '0x0', toBlock: 'latest' }]);
  logged = new Set(logs.map((l) => Number(l.blockNumber)));
  ix = await SectionIndexer.open({ store: openMemoryStore().namespace('ix'), source: new MemorySource(blocks), network: DEVNET, progressStream: null });
  assert.equal(await ix.update(), SECTIONS);
});

after(async () => {
  await anvil?.stop();
});

describe('section indexers over anvil', () => {
  it('anvil logged in exactly the planned blocks (the test’s premise)', () => {
    assert.deepEqual([...logged].sort((a, b) => a - b), LOG_BLOCKS);
  });

  it('section heads are anvil’s hashes of each section’s last block', () => {
    assert.equal(ix.sectionCount, SECTIONS);
    for (let s = 0; s < SECTIONS; s++) assert.equal(hexOf(ix.sectionHead(s)), hexOf(blocks[(s + 1) * SIZE - 1]!.hash));
    assert.equal(ix.latestCheckpoint()?.sectionIndex, SECTIONS - 1);
  });

  it('a CHT proof of every block of the finished sections verifies against the CHT root and gives anvil’s hash', () => {
    const root = ix.chtRoot(SECTIONS - 1);
    for (let n = 0; n < SECTIONS * SIZE; n++) {
      const entry = verifyChtProof(root, n, ix.chtProof(SECTIONS - 1, be(n, 8)));
      assert.equal(hexOf(entry.hash), hexOf(blocks[n]!.hash), `block ${n}`);
      assert.equal(entry.td, blocks[n]!.td);
    }
  });

  it('the emitter’s three BloomBits vectors, proven from the BloomTrie, AND to exactly the blocks where it logged', () => {
    const bits = bloomBitsOf(bytes(emitter));
    const root = ix.bloomTrieRoot(SECTIONS - 1);
    const matched: number[] = [];
    for (let s = 0; s < SECTIONS; s++) {
      const vectors = bits.map((b) => verifyBloomBitsProof(root, b, s, ix.bloomTrieProof(SECTIONS - 1, btKey(b, s)), SIZE));
      vectors.forEach((v, i) => {
        for (let j = 0; j < SIZE; j++) {
          if ((v[j >> 3]! & (0x80 >> (j & 7))) !== 0) assert.ok(bloomBit(blocks[s * SIZE + j]!.logsBloom, bits[i]!), `bit ${bits[i]} of block ${s * SIZE + j}`);
        }
      });
      for (let j = 0; j < SIZE; j++) if (vectors.every((v) => (v[j >> 3]! & (0x80 >> (j & 7))) !== 0)) matched.push(s * SIZE + j);
    }
    const expected = LOG_BLOCKS.filter((n) => n < SECTIONS * SIZE);
    assert.deepEqual(matched, expected);
    // No other block of anvil's chain has all three bits.
    const allThree = blocks.slice(0, SECTIONS * SIZE).flatMap((b, n) => (bits.every((bit) => bloomBit(b.logsBloom, bit)) ? [n] : []));
    assert.deepEqual(allThree, expected);
  });

  it('an address that never logged has an all-zero vector, proven absent from the BloomTrie', () => {
    const never = bytes('0x000000000000000000000000000000000000dead');
    const root = ix.bloomTrieRoot(SECTIONS - 1);
    let absent = 0;
    for (const bit of bloomBitsOf(never)) {
      for (let s = 0; s < SECTIONS; s++) {
        if (ix.bloomBits(bit, s).length > 0) continue;
        const set = new ProofNodeSet(ix.bloomTrieProof(SECTIONS - 1, btKey(bit, s)));
        assert.equal(set.walk(root, btKey(bit, s)), undefined, `bit ${bit} section ${s} is absent`);
        set.assertAllUsed();
        assert.ok(blocks.slice(s * SIZE, (s + 1) * SIZE).every((b) => !bloomBit(b.logsBloom, bit)), 'and anvil has that bit in no block of the section');
        absent++;
      }
    }
    assert.ok(absent >= 1, `${absent} absent vectors`);
  });
});
