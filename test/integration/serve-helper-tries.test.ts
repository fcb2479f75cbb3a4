/**
 * GetHelperTrieProofs against a LesServer with sections of 64 blocks and 16 confirmations,
 * following anvil: CHT proofs of every block of the finished sections verify against the
 * server's CHT root (asked with auxReq 1) and their auxReq 2 headers are anvil's blocks; the
 * BloomBits vectors of a logging contract's bloom bits are exactly what anvil's logsBloom fields
 * give, their AND marks exactly the blocks it logged in, and an all-zero vector is proven absent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { LesServer } from '../../src/serve/index.js';
import { AuxReq, HelperTrieType } from '../../src/wire/index.js';
import { ProofNodeSet, checkChtHeader, readBloomBits, readChtEntry } from '../../src/verify/index.js';
import { type Anvil, receiptOf, startAnvil } from '../helpers/anvil.js';
import { LesTestClient } from '../helpers/les-client.js';

const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
/** Runtime: SSTORE(cd[32..64], cd[0..32]); LOG1(0, 0, topic = cd[0..32]). See serve-requests.test.ts. */
const INIT = '0x6010600c60003960106000f36000356020355560003560006000a100';
const SECTION = 64;
const CONFIRMATIONS = 16;

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const be = (n: number, width: number): Uint8Array => {
  const out = new Uint8Array(width);
  for (let i = width - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
  return out;
};
/** Bloom bit b of a 256-byte logsBloom (DESIGN §4): byte 255 − b/8, mask 1 << (b mod 8). */
const bloomBit = (bloom: Uint8Array, b: number): boolean => ((bloom[255 - (b >> 3)] as number) & (1 << (b & 7))) !== 0;
/** The three bloom bits of x (DESIGN §4). */
const bitsOf = (x: Uint8Array): number[] => {
  const h = keccak256(x);
  return [0, 1, 2].map((i) => (((h[2 * i] as number) << 8) | (h[2 * i + 1] as number)) & 2047);
};

let anvil: Anvil;
let server: LesServer;
let client: LesTestClient;
let contract: string;
const logBlocks: number[] = [];
const blooms = new Map<number, Uint8Array>();
const hashes = new Map<number, string>();

async function call(topic: number): Promise<number> {
  const tx = await anvil.rpc<string>('eth_sendTransaction', [{ from: DEV, to: contract, data: `0x${topic.toString(16).padStart(64, '0')}${'0'.repeat(63)}1` }]);
  const r = await receiptOf<{ blockNumber: string }>(anvil, tx);
  return Number(r.blockNumber);
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  const deploy = await anvil.rpc<string>('eth_sendTransaction', [{ from: DEV, data: INIT }]);
  contract = (await receiptOf<{ contractAddress: string }>(anvil, deploy)).contractAddress;
  server = new LesServer({ rpcUrl: anvil.url, port: 0, sectionSize: SECTION, confirmations: CONFIRMATIONS, pollIntervalMs: 50, progressStream: null });
  await server.start();
  await anvil.rpc('anvil_mine', ['0x8']);
  logBlocks.push(await call(1));
  await anvil.rpc('anvil_mine', ['0x32']);
  logBlocks.push(await call(2));
  logBlocks.push(await call(3));
  await anvil.rpc('anvil_mine', ['0x28']);
  logBlocks.push(await call(4));
  await anvil.rpc('anvil_mine', ['0x40']);
  await server.stack.idle();
  const head = Number(await anvil.rpc<string>('eth_blockNumber'));
  for (let n = 0; n <= head; n++) {
    const b = await anvil.rpc<{ hash: string; logsBloom: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false]);
    blooms.set(n, bytes(b.logsBloom));
    hashes.set(n, b.hash);
  }
  client = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: bytes(hashes.get(0)!), respectFlow: true });
});

after(async () => {
  await client?.close();
  await server?.stop();
  await anvil?.stop();
});

async function chtRoot(section: number): Promise<Uint8Array> {
  const r = await client.helperTries([{ subType: HelperTrieType.CHT, sectionIdx: section, key: be(0, 8), fromLevel: 0, auxReq: AuxReq.Root }]);
  assert.equal(r.nodes.length, 0, 'auxReq 1 returns the root and no nodes');
  assert.equal(r.auxData.length, 1);
  return r.auxData[0]!;
}

describe('helper-trie proofs from lesp serve (sections of 64, 16 confirmations)', () => {
  it('builds exactly the sections the head allows', () => {
    const head = Number(hashes.size - 1);
    const expected = Math.floor((head - CONFIRMATIONS + 1) / SECTION);
    assert.ok(expected >= 2, `chain of ${head} blocks finishes at least two sections`);
    assert.equal(server.stats().sections, expected);
    assert.ok(logBlocks.some((n) => n < SECTION) && logBlocks.some((n) => n >= SECTION && n < 2 * SECTION));
  });

  it('CHT: every block of the finished sections is proven against the server\'s CHT root with anvil\'s header (auxReq 2)', async () => {
    const sections = server.stats().sections;
    for (let s = 0; s < sections; s++) {
      const root = await chtRoot(s);
      assert.equal(hex(root), hex(server.stack.indexer.chtRoot(s)));
      // CHT section s covers blocks 0..(s+1)·64−1; ask for the blocks of section s, 32 per request.
      for (let from = s * SECTION; from < (s + 1) * SECTION; from += 32) {
        const numbers = Array.from({ length: 32 }, (_, i) => from + i);
        const reply = await client.helperTries(numbers.map((n) => ({ subType: HelperTrieType.CHT, sectionIdx: s, key: be(n, 8), fromLevel: 0, auxReq: AuxReq.Header })));
        assert.equal(reply.auxData.length, numbers.length);
        const set = new ProofNodeSet(reply.nodes, 'cht');
        for (const [i, n] of numbers.entries()) {
          const entry = readChtEntry(set, root, n);
          assert.equal(hex(entry.hash), hashes.get(n), `CHT hash of block ${n}`);
          const header = checkChtHeader(entry, n, reply.auxData[i]!);
          assert.equal(header.number, n);
        }
        set.assertAllUsed();
      }
    }
  });

  it('CHT: an older block under a later section\'s root, and a section not built yet stops the batch', async () => {
    const sections = server.stats().sections;
    const root = await chtRoot(sections - 1);
    const reply = await client.helperTries([
      { subType: HelperTrieType.CHT, sectionIdx: sections - 1, key: be(5, 8), fromLevel: 0, auxReq: AuxReq.Header },
      { subType: HelperTrieType.CHT, sectionIdx: sections, key: be(5, 8), fromLevel: 0, auxReq: AuxReq.Header },
      { subType: HelperTrieType.CHT, sectionIdx: 0, key: be(6, 8), fromLevel: 0, auxReq: AuxReq.Header },
    ]);
    assert.equal(reply.auxData.length, 1, 'only the request before the unbuilt section is answered');
    const set = new ProofNodeSet(reply.nodes, 'cht');
    assert.equal(hex(checkChtHeader(readChtEntry(set, root, 5), 5, reply.auxData[0]!).parentHash), hashes.get(4));
    set.assertAllUsed();
  });

  it('BloomBits: the vectors of the contract\'s bloom bits equal anvil\'s blooms, and their AND marks the blocks it logged in', async () => {
    const sections = server.stats().sections;
    const bits = bitsOf(bytes(contract));
    for (let s = 0; s < sections; s++) {
      const rootReply = await client.helperTries([{ subType: HelperTrieType.BloomBits, sectionIdx: sections - 1, key: new Uint8Array(10), fromLevel: 0, auxReq: AuxReq.Root }]);
      const root = rootReply.auxData[0]!;
      assert.equal(hex(root), hex(server.stack.indexer.bloomTrieRoot(sections - 1)));
      const reply = await client.helperTries(bits.map((b) => ({ subType: HelperTrieType.BloomBits, sectionIdx: sections - 1, key: new Uint8Array([...be(b, 2), ...be(s, 8)]), fromLevel: 0, auxReq: 0 })));
      const set = new ProofNodeSet(reply.nodes, 'bloombits');
      const vectors = bits.map((b) => readBloomBits(set, root, b, s, SECTION));
      set.assertAllUsed();
      for (const [k, b] of bits.entries()) {
        for (let j = 0; j < SECTION; j++) {
          const got = ((vectors[k]![j >> 3] as number) & (0x80 >> (j & 7))) !== 0;
          assert.equal(got, bloomBit(blooms.get(s * SECTION + j)!, b), `section ${s} bit ${b} block ${s * SECTION + j}`);
        }
      }
      const matches: number[] = [];
      for (let j = 0; j < SECTION; j++) if (vectors.every((v) => ((v[j >> 3] as number) & (0x80 >> (j & 7))) !== 0)) matches.push(s * SECTION + j);
      assert.deepEqual(matches, logBlocks.filter((n) => Math.floor(n / SECTION) === s), `blocks the contract logged in, section ${s}`);
    }
  });

  it('BloomBits: a bit no block of a section sets is proven absent (all zeros)', async () => {
    const sections = server.stats().sections;
    let zero = -1;
    for (let b = 0; b < 2048 && zero < 0; b++) {
      let any = false;
      for (let j = 0; j < SECTION && !any; j++) any = bloomBit(blooms.get(j)!, b);
      if (!any) zero = b;
    }
    assert.ok(zero >= 0);
    const rootReply = await client.helperTries([{ subType: HelperTrieType.BloomBits, sectionIdx: sections - 1, key: new Uint8Array(10), fromLevel: 0, auxReq: AuxReq.Root }]);
    const key = new Uint8Array([...be(zero, 2), ...be(0, 8)]);
    const reply = await client.helperTries([{ subType: HelperTrieType.BloomBits, sectionIdx: sections - 1, key, fromLevel: 0, auxReq: 0 }]);
    assert.ok(reply.nodes.length > 0, 'a proof of absence has nodes');
    const set = new ProofNodeSet(reply.nodes, 'absent');
    const vector = readBloomBits(set, rootReply.auxData[0]!, zero, 0, SECTION);
    assert.ok(vector.every((x) => x === 0));
    set.assertAllUsed();
  });
});
