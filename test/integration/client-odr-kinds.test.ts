// Every ODR kind against real data: anvil (prague) makes transfers, a deployment, storage writes
// and logs; the replies an LES server would send are built from anvil's own answers with the
// src/wire encoders (test/unit/client/odr-fixture.ts). Each kind verifies the honest reply and
// yields anvil's values, and refuses each tampered reply.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Wallet, keccak256 as ethersKeccak } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { OdrKind, TrustedSection, VerifiedHeader } from '../../src/client/contracts.js';
import { OdrError } from '../../src/client/odr/errors.js';
import { bodyKind, receiptsKind } from '../../src/client/odr/bodies.js';
import { headerByHashKind, headerRange, headerRangeKind } from '../../src/client/odr/headers.js';
import { bloomBitsKind, chtHeaderKind, trieRootKind } from '../../src/client/odr/helper-tries.js';
import { codeKind, stateProofKind } from '../../src/client/odr/state.js';
import { sendTxKind, txStatusKind } from '../../src/client/odr/tx.js';
import { decodeHeader, decodeReceipt, encodeReceipt } from '../../src/verify/index.js';
import { VerificationError } from '../../src/verify/errors.js';
import { ProofNodeSet } from '../../src/verify/proof.js';
import { ProtocolError } from '../../src/wire/errors.js';
import { TxState } from '../../src/wire/tx.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { FakeRetriever, FakeServer } from '../helpers/fake-retriever.js';
import { ABSENT, type AnvilChain, AnvilLes, CHAIN_ID, KEY0, RECIPIENT, type Traffic, loadChain, makeTraffic, word } from '../unit/client/odr-fixture.js';
import { flipByte, hex, toHex } from '../unit/verify/helpers.js';

type Json = Record<string, unknown>;
const SECTION = 8;
const LENGTH = 40; // blocks 0..39: sections 0..3 are full, 4 is not

const isVerification = (code: string, field?: string) => (e: unknown) => {
  assert.ok(e instanceof VerificationError, `expected a VerificationError, got ${String(e)}`);
  assert.equal(e.code, code, e.message);
  if (field !== undefined) assert.equal(e.field, field, e.message);
  return true;
};
const isProtocol = (e: unknown) => e instanceof ProtocolError;

type Item = Uint8Array | Item[];
/** The node with the last byte of its (possibly embedded) leaf's value changed: a wrong value. */
function alterLeafValue(node: Uint8Array): Uint8Array {
  const edit = (item: Item): boolean => {
    if (!Array.isArray(item)) return false;
    if (item.length === 2 && item[1] instanceof Uint8Array && ((item[0] as Uint8Array)[0] as number) >> 4 >= 2) {
      const v = item[1];
      item[1] = flipByte(v, v.length - 1);
      return true;
    }
    return item.some(edit);
  };
  const decoded = RLP.decode(node) as Item;
  if (!edit(decoded)) throw new Error('no leaf in the node');
  return RLP.encode(decoded);
}

describe('ODR kinds against anvil data', () => {
  let anvil: Anvil;
  let traffic: Traffic;
  let chain: AnvilChain;
  let les: AnvilLes;
  let server: FakeServer;
  let retriever: FakeRetriever;
  let vh: (n: number) => VerifiedHeader;
  let latest: number;
  const ask = <I, R>(kind: OdrKind<I, R>, items: I[]) => retriever.ask(server, kind, items);

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    traffic = await makeTraffic(anvil, LENGTH);
    chain = await loadChain(anvil);
    latest = chain.headers.length - 1;
    les = new AnvilLes(anvil, chain);
    les.know([traffic.wallet, RECIPIENT, traffic.contract, ABSENT], [...traffic.writtenSlots, 5n, 77n]);
    await les.buildHelperTries(SECTION);
    server = new FakeServer({ seed: 1, handler: les.handler, head: { hash: chain.hashes[latest] as Uint8Array, number: latest, td: 0n } });
    retriever = new FakeRetriever([server]);
    vh = (n) => ({ header: decodeHeader(chain.headers[n] as Uint8Array), hash: chain.hashes[n] as Uint8Array, rlp: chain.headers[n] as Uint8Array });
  });
  after(async () => anvil?.stop());
  beforeEach(() => {
    les.tamper = undefined;
  });

  describe('headers', () => {
    it('header by hash: every block hashes to anvil and carries its fields', async () => {
      for (let n = 0; n <= latest; n++) {
        const [h] = await ask(headerByHashKind, [{ hash: chain.hashes[n] as Uint8Array, number: n }]);
        const b = chain.blocks[n] as Json;
        assert.equal(toHex(h?.hash ?? new Uint8Array()), b.hash);
        assert.equal(toHex(h?.header.stateRoot ?? new Uint8Array()), b.stateRoot);
        assert.equal(h?.header.number, n);
      }
    });

    it('refuses a changed byte, another block header, a wrong number, two headers; empty = unanswered', async () => {
      const item = { hash: chain.hashes[2] as Uint8Array, number: 2 };
      les.tamper = (_c, r) => (r.headers = r.headers?.map((h) => flipByte(h, 40)));
      await assert.rejects(ask(headerByHashKind, [item]), isVerification('HASH_MISMATCH', 'header'));
      les.tamper = (_c, r) => (r.headers = [chain.headers[3] as Uint8Array]);
      await assert.rejects(ask(headerByHashKind, [item]), isVerification('HASH_MISMATCH', 'header'));
      les.tamper = undefined;
      await assert.rejects(ask(headerByHashKind, [{ ...item, number: 3 }]), isVerification('FIELD_MISMATCH', 'header.number'));
      les.tamper = (_c, r) => r.headers?.push(chain.headers[1] as Uint8Array);
      await assert.rejects(ask(headerByHashKind, [item]), isProtocol);
      les.tamper = (_c, r) => (r.headers = []);
      assert.deepEqual(await ask(headerByHashKind, [item]), [undefined]);
    });

    it('header range: a run back from the head, linked by parentHash, equals anvil blocks', async () => {
      const [run] = await ask(headerRangeKind, [headerRange(chain.hashes[latest] as Uint8Array, latest, 12)]);
      assert.deepEqual(run?.map((h) => toHex(h.hash)), chain.blocks.slice(latest - 11).reverse().map((b) => b.hash));
    });

    it('header range: refuses a dropped, a swapped and a foreign header, and more than asked', async () => {
      const item = headerRange(chain.hashes[20] as Uint8Array, 20, 6);
      les.tamper = (_c, r) => r.headers?.splice(3, 1);
      await assert.rejects(ask(headerRangeKind, [item]), isVerification('HASH_MISMATCH', 'headers[3]'));
      les.tamper = (_c, r) => r.headers && ([r.headers[1], r.headers[2]] = [r.headers[2] as Uint8Array, r.headers[1] as Uint8Array]);
      await assert.rejects(ask(headerRangeKind, [item]), isVerification('HASH_MISMATCH', 'headers[1]'));
      les.tamper = (_c, r) => r.headers?.splice(4, 1, chain.headers[30] as Uint8Array);
      await assert.rejects(ask(headerRangeKind, [item]), isVerification('HASH_MISMATCH', 'headers[4]'));
      les.tamper = (_c, r) => r.headers?.push(chain.headers[14] as Uint8Array);
      await assert.rejects(ask(headerRangeKind, [item]), isProtocol);
      assert.throws(() => headerRange(chain.hashes[2] as Uint8Array, 2, 4), OdrError, 'a run cannot go below block 0');
    });
  });

  describe('bodies and receipts', () => {
    it('bodies of several blocks in one message: transactions hash to anvil transaction hashes', async () => {
      const blocks = [1, 2, 3, 0];
      const bodies = await ask(bodyKind, blocks.map((n) => ({ header: vh(n) })));
      assert.equal(retriever.sent('body').at(-1)?.items, 4);
      blocks.forEach((n, i) => {
        const b = chain.blocks[n] as Json;
        assert.deepEqual(bodies[i]?.transactions.map((t) => toHex(keccak256(t))), b.transactions);
        assert.deepEqual(bodies[i]?.withdrawals, [], 'prague: an empty withdrawals list');
      });
      assert.equal((bodies[0]?.transactions.length ?? 0) > 4, true);
    });

    it('refuses a changed transaction, a removed one, an added uncle, missing withdrawals, swapped bodies', async () => {
      const items = [{ header: vh(1) }, { header: vh(2) }];
      const cases: Array<[(r: { bodies?: Array<{ transactions: Uint8Array[]; uncles: Uint8Array[]; withdrawals?: Uint8Array[] }> }) => void, string, string]> = [
        [(r) => r.bodies?.[0] && (r.bodies[0].transactions[2] = flipByte(r.bodies[0].transactions[2] as Uint8Array, 30)), 'ROOT_MISMATCH', 'body.transactions'],
        [(r) => r.bodies?.[1]?.transactions.pop(), 'ROOT_MISMATCH', 'body.transactions'],
        [(r) => r.bodies?.[0]?.uncles.push(chain.headers[0] as Uint8Array), 'HASH_MISMATCH', 'body.uncles'],
        [(r) => r.bodies?.[1] && delete r.bodies[1].withdrawals, 'BAD_ENCODING', 'body.withdrawals'],
        [(r) => r.bodies?.reverse(), 'ROOT_MISMATCH', 'body.transactions'],
      ];
      for (const [edit, code, field] of cases) {
        les.tamper = (_c, r) => void edit(r);
        await assert.rejects(ask(bodyKind, items), isVerification(code, field));
      }
      les.tamper = (_c, r) => r.bodies?.push(chain.bodies[3] as never);
      await assert.rejects(ask(bodyKind, items), isProtocol);
      les.tamper = (_c, r) => r.bodies?.pop();
      const partial = await ask(bodyKind, items);
      assert.equal(partial[1], undefined, 'a shorter reply leaves the last item unanswered');
      assert.ok(partial[0]);
      // The server's "unknown block" entry: an empty body, an empty receipt list.
      les.tamper = (_c, r) => r.bodies && (r.bodies[1] = { transactions: [], uncles: [] });
      const unknown = await ask(bodyKind, items);
      assert.equal(unknown[1], undefined, 'an empty body for a non-empty block is unanswered, not a lie');
      assert.equal(unknown[0]?.transactions.length, (chain.blocks[1]?.transactions as unknown[]).length);
      les.tamper = (_c, r) => r.receipts && (r.receipts[0] = []);
      const receipts = await ask(receiptsKind, items);
      assert.equal(receipts[0], undefined, 'an empty receipt list for a block with receipts is unanswered');
      assert.ok(receipts[1]);
    });

    it('receipts of blocks 1 and 2 equal anvil eth_getBlockReceipts (status, gas, logs)', async () => {
      const got = await ask(receiptsKind, [{ header: vh(1) }, { header: vh(2) }]);
      for (const [i, n] of [1, 2].entries()) {
        const json = await anvil.rpc<Json[]>('eth_getBlockReceipts', [`0x${n.toString(16)}`]);
        assert.equal(got[i]?.length, json.length);
        json.forEach((r, j) => {
          const mine = got[i]?.[j];
          assert.equal(mine?.status, Number(r.status));
          assert.equal(mine?.cumulativeGasUsed, BigInt(r.cumulativeGasUsed as string));
          assert.deepEqual(
            mine?.logs.map((l) => [toHex(l.address), l.topics.map(toHex), toHex(l.data)]),
            (r.logs as Json[]).map((l) => [(l.address as string).toLowerCase(), l.topics, l.data]),
          );
        });
      }
      assert.equal(got[0]?.flatMap((r) => r.logs).length, traffic.writtenSlots.length);
    });

    it('refuses a changed receipt and a receipt with a removed log', async () => {
      const items = [{ header: vh(1) }];
      les.tamper = (_c, r) => r.receipts?.[0] && (r.receipts[0][0] = flipByte(r.receipts[0][0] as Uint8Array, 20));
      await assert.rejects(ask(receiptsKind, items), isVerification('ROOT_MISMATCH', 'receipts'));
      les.tamper = (_c, r) => {
        const list = r.receipts?.[0] as Uint8Array[];
        const i = list.findIndex((x) => decodeReceipt(x).logs.length > 0);
        const rec = decodeReceipt(list[i] as Uint8Array);
        list[i] = encodeReceipt({ ...rec, logs: [] });
      };
      await assert.rejects(ask(receiptsKind, items), isVerification('ROOT_MISMATCH', 'receipts'));
    });
  });

  describe('state', () => {
    const accountsAt = (h: VerifiedHeader) => [traffic.wallet, RECIPIENT, traffic.contract, ABSENT].map((a) => ({ header: h, address: hex(a) }));
    const slotsAt = (h: VerifiedHeader) => [
      ...[...traffic.writtenSlots, 77n].map((s) => ({ header: h, address: hex(traffic.contract), slot: hex(word(s)) })),
      { header: h, address: hex(traffic.wallet), slot: hex(word(5n)) },
      { header: h, address: hex(ABSENT), slot: hex(word(5n)) },
    ];

    it("accounts and slots of two blocks in one GetProofsV2 equal anvil's balance, nonce, codeHash and storage", async () => {
      const items = [...accountsAt(vh(1)), ...slotsAt(vh(1)), ...accountsAt(vh(latest)), ...slotsAt(vh(latest))];
      const results = await ask(stateProofKind, items);
      assert.equal(retriever.sent('stateProof').at(-1)?.items, items.length);
      for (const [i, item] of items.entries()) {
        const tag = `0x${item.header.header.number.toString(16)}`;
        const addr = toHex(item.address);
        const r = results[i];
        const slot = (item as { slot?: Uint8Array }).slot;
        if (slot !== undefined) {
          assert.equal(r?.value, BigInt(await anvil.rpc<string>('eth_getStorageAt', [addr, toHex(slot), tag])), `${addr} ${toHex(slot)}`);
          continue;
        }
        if (addr === ABSENT) {
          assert.equal(r?.account, null);
          continue;
        }
        const proof = await anvil.rpc<Json>('eth_getProof', [addr, [], tag]);
        assert.equal(r?.account?.balance, BigInt(await anvil.rpc<string>('eth_getBalance', [addr, tag])));
        assert.equal(r?.account?.nonce, BigInt(await anvil.rpc<string>('eth_getTransactionCount', [addr, tag])));
        assert.equal(toHex(r?.account?.codeHash ?? new Uint8Array()), proof.codeHash);
        assert.equal(toHex(r?.account?.storageRoot ?? new Uint8Array()), proof.storageHash);
      }
      assert.equal(results.find((_, i) => toHex((items[i] as { slot?: Uint8Array }).slot ?? new Uint8Array()) === word(2n) && items[i]?.header.header.number === latest)?.value, 0n, 'slot 2 was deleted in block 2');
    });

    it('refuses a changed byte in any node, a dropped node, an extra node, a duplicate, a wrong header', async () => {
      const items = [...accountsAt(vh(latest)).slice(0, 3), ...slotsAt(vh(latest)).slice(0, 2)];
      let nodes: Uint8Array[] = [];
      les.tamper = (_c, r) => void (nodes = [...(r.nodes ?? [])]);
      await ask(stateProofKind, items);
      for (let i = 0; i < nodes.length; i++) {
        les.tamper = (_c, r) => r.nodes && (r.nodes[i] = flipByte(r.nodes[i] as Uint8Array, (r.nodes[i] as Uint8Array).length - 3));
        await assert.rejects(ask(stateProofKind, items), (e) => e instanceof VerificationError && ['BAD_PROOF', 'UNUSED_PROOF_NODES'].includes(e.code), `node ${i} changed`);
        // A dropped node is a lie, unless only the batch's tail needed it: then the tail is unanswered.
        les.tamper = (_c, r) => r.nodes?.splice(i, 1);
        const got = await ask(stateProofKind, items).then(
          (r) => r,
          (e: unknown) => e,
        );
        if (got instanceof VerificationError) assert.ok(['BAD_PROOF', 'UNUSED_PROOF_NODES'].includes(got.code), `node ${i} dropped: ${got.message}`);
        else {
          const results = got as Array<unknown>;
          const k = results.indexOf(undefined);
          assert.ok(k >= 0, `node ${i} dropped, yet every item was answered`);
          assert.ok(results.slice(k).every((x) => x === undefined), `node ${i} dropped: the unanswered items are a tail`);
        }
      }
      const other = (await anvil.rpc<Json>('eth_getProof', [traffic.wallet, [], '0x1'])).accountProof as string[];
      const foreign = hex(other.find((n) => !nodes.some((m) => toHex(m) === n)) as string);
      les.tamper = (_c, r) => r.nodes?.push(foreign);
      await assert.rejects(ask(stateProofKind, items), isVerification('UNUSED_PROOF_NODES'));
      les.tamper = (_c, r) => r.nodes?.push(r.nodes[0] as Uint8Array);
      await assert.rejects(ask(stateProofKind, items), isVerification('UNUSED_PROOF_NODES'));
      les.tamper = undefined;
      // The server proves the latest block's state; the item's header is block 1's.
      const wrong: VerifiedHeader = { ...vh(1), hash: chain.hashes[latest] as Uint8Array };
      // Nothing in the reply starts at the asked root: every node sent is one no item could use.
      await assert.rejects(ask(stateProofKind, [{ header: wrong, address: hex(traffic.wallet) }]), isVerification('UNUSED_PROOF_NODES'));
    });

    it('a proven prefix of a batch: the rest is unanswered, not a lie; a partial path past the prefix is a lie', async () => {
      const items = [...accountsAt(vh(latest)).slice(0, 3), ...slotsAt(vh(latest)).slice(0, 2)];
      let nodes: Uint8Array[] = [];
      les.tamper = (_c, r) => void (nodes = [...(r.nodes ?? [])]);
      const honest = await ask(stateProofKind, items);
      // The nodes the first two accounts need: what a server sends when it stops at the third item.
      const set = new ProofNodeSet(nodes);
      for (const item of items.slice(0, 2)) set.walk(item.header.header.stateRoot, keccak256(item.address));
      const unused = new Set(set.unusedIndexes());
      const prefix = nodes.filter((_, i) => !unused.has(i));
      les.tamper = (_c, r) => void (r.nodes = [...prefix]);
      const got = await ask(stateProofKind, items);
      assert.deepEqual(got.slice(0, 2).map((r) => r?.account), honest.slice(0, 2).map((r) => r?.account));
      assert.deepEqual(got.slice(2), [undefined, undefined, undefined]);
      const beyond = nodes.filter((_, i) => unused.has(i));
      assert.ok(beyond.length > 0);
      les.tamper = (_c, r) => void (r.nodes = [...prefix, beyond[0] as Uint8Array]);
      await assert.rejects(ask(stateProofKind, items), isVerification('UNUSED_PROOF_NODES'));
    });

    it("code is anvil's eth_getCode, checked against the proven codeHash; wrong code is refused", async () => {
      const [c] = await ask(stateProofKind, [{ header: vh(latest), address: hex(traffic.contract) }]);
      const codeHash = c?.account?.codeHash as Uint8Array;
      const item = { header: vh(latest), address: hex(traffic.contract), codeHash };
      const [code] = await ask(codeKind, [item]);
      assert.equal(toHex(code ?? new Uint8Array()), await anvil.rpc<string>('eth_getCode', [traffic.contract, 'latest']));
      les.tamper = (_c, r) => r.codes && (r.codes[0] = flipByte(r.codes[0] as Uint8Array, 0));
      await assert.rejects(ask(codeKind, [item]), isVerification('HASH_MISMATCH', 'code'));
      les.tamper = (_c, r) => r.codes?.push(new Uint8Array(1));
      await assert.rejects(ask(codeKind, [item]), isProtocol);
      les.tamper = (_c, r) => r.codes && (r.codes[0] = new Uint8Array(0));
      assert.deepEqual(await ask(codeKind, [item]), [undefined], 'an empty code for an account with code is unanswered');
    });
  });

  describe('helper tries', () => {
    const section = (i: number): TrustedSection => ({ index: i, sectionHead: chain.hashes[(i + 1) * SECTION - 1] as Uint8Array, chtRoot: les.chtRoots[i] as Uint8Array, bloomTrieRoot: les.bloomRoots[i] as Uint8Array });
    const chtItems = (s: number, blocks: number[]) => blocks.map((number) => ({ section: section(s), sectionSize: SECTION, number }));

    it('CHT headers of several blocks in one message hash to anvil blocks, with their TD', async () => {
      const blocks = [0, 1, 5, 17, 31];
      const got = await ask(chtHeaderKind, chtItems(3, blocks));
      blocks.forEach((n, i) => {
        assert.equal(toHex(got[i]?.hash ?? new Uint8Array()), (chain.blocks[n] as Json).hash);
        assert.equal(got[i]?.header.number, n);
        assert.equal(got[i]?.td, chain.tds[n]);
      });
      const [old] = await ask(chtHeaderKind, chtItems(1, [9]));
      assert.equal(toHex(old?.hash ?? new Uint8Array()), (chain.blocks[9] as Json).hash, 'an older section root proves its own blocks');
    });

    it('refuses a wrong header, a dropped node, an extra node, a root of another section; a block outside the section', async () => {
      const items = chtItems(3, [5, 17]);
      les.tamper = (_c, r) => r.auxData && (r.auxData[1] = chain.headers[18] as Uint8Array);
      await assert.rejects(ask(chtHeaderKind, items), isVerification('HASH_MISMATCH', 'auxData.header'));
      les.tamper = (_c, r) => r.nodes?.splice(1, 1);
      await assert.rejects(ask(chtHeaderKind, items), isVerification('BAD_PROOF'));
      les.tamper = undefined;
      let extra: Uint8Array[] = [];
      les.tamper = (_c, r) => void (extra = r.nodes ?? []);
      await ask(chtHeaderKind, chtItems(3, [30]));
      const foreign = extra.at(-1) as Uint8Array;
      les.tamper = (_c, r) => r.nodes?.push(foreign);
      await assert.rejects(ask(chtHeaderKind, items), isVerification('UNUSED_PROOF_NODES'));
      les.tamper = undefined;
      const stale = { ...section(3), chtRoot: les.chtRoots[2] as Uint8Array };
      await assert.rejects(ask(chtHeaderKind, [{ section: stale, sectionSize: SECTION, number: 5 }]), isVerification('BAD_PROOF'));
      await assert.rejects(ask(chtHeaderKind, chtItems(1, [16])), (e) => e instanceof OdrError && e.code === 'BAD_ITEM');
    });

    it("BloomBits of the contract's bloom bits decompress to anvil's logsBloom bits of each block", async () => {
      // Bloom bit indexes of an address, straight from the yellow paper's M3:2048.
      const h = hex(ethersKeccak(traffic.contract));
      const bits = [0, 1, 2].map((i) => (((h[2 * i] as number) << 8) | (h[2 * i + 1] as number)) & 2047);
      const blooms = chain.blocks.slice(0, SECTION).map((b) => hex(b.logsBloom as string));
      const has = (bloom: Uint8Array, b: number) => (((bloom[255 - (b >> 3)] as number) >> (b & 7)) & 1) === 1;
      const unset = Array.from({ length: 2048 }, (_, b) => b).find((b) => blooms.every((bl) => !has(bl, b))) as number;
      for (const trie of [section(0), section(3)]) {
        const items = [...bits, unset].map((bitIndex) => ({ trie, sectionSize: SECTION, sectionIndex: 0, bitIndex }));
        const vectors = await ask(bloomBitsKind, items);
        items.forEach((item, i) => {
          const v = vectors[i] as Uint8Array;
          assert.equal(v.length, SECTION / 8);
          for (let j = 0; j < SECTION; j++) {
            assert.equal((((v[j >> 3] as number) >> (7 - (j & 7))) & 1) === 1, has(blooms[j] as Uint8Array, item.bitIndex), `bit ${item.bitIndex} block ${j}`);
          }
        });
        assert.ok(vectors.slice(0, 3).every((v) => (((v as Uint8Array)[0] as number) & (0x80 >> traffic.logBlock)) !== 0), 'block 1 has the logs');
      }
    });

    it('refuses a wrong bloom vector, a dropped node, an extra node', async () => {
      const items = [{ trie: section(3), sectionSize: SECTION, sectionIndex: 0, bitIndex: 0 }];
      const h = hex(ethersKeccak(traffic.contract));
      items[0]!.bitIndex = (((h[0] as number) << 8) | (h[1] as number)) & 2047;
      // The vector is the value of the leaf (embedded in the last node when it is this small).
      les.tamper = (_c, r) => r.nodes && (r.nodes[r.nodes.length - 1] = alterLeafValue(r.nodes.at(-1) as Uint8Array));
      await assert.rejects(ask(bloomBitsKind, items), isVerification('BAD_PROOF'));
      les.tamper = (_c, r) => r.nodes?.pop();
      await assert.rejects(ask(bloomBitsKind, items), isVerification('BAD_PROOF'));
      let extra: Uint8Array[] = [];
      les.tamper = (_c, r) => void (extra = r.nodes ?? []);
      await ask(bloomBitsKind, [{ ...items[0]!, sectionIndex: 2 }]);
      les.tamper = (_c, r) => r.nodes?.push(extra.at(-1) as Uint8Array);
      await assert.rejects(ask(bloomBitsKind, items), isVerification('UNUSED_PROOF_NODES'));
    });

    it('trie roots (auxReq 1) are what the server built; nodes with them are refused', async () => {
      const got = await ask(trieRootKind, [{ subType: 0, sectionIndex: 2, sectionSize: SECTION }, { subType: 1, sectionIndex: 2, sectionSize: SECTION }]);
      assert.deepEqual(got.map((r) => toHex(r as Uint8Array)), [toHex(les.chtRoots[2] as Uint8Array), toHex(les.bloomRoots[2] as Uint8Array)]);
      les.tamper = (_c, r) => r.nodes?.push(chain.headers[0] as Uint8Array);
      await assert.rejects(ask(trieRootKind, [{ subType: 0, sectionIndex: 2, sectionSize: SECTION }]), isVerification('UNUSED_PROOF_NODES'));
    });
  });

  describe('transactions and capabilities', () => {
    it("tx status: anvil's inclusion of a sent transaction, and unknown for another hash", async () => {
      const hash = traffic.txHashes[1] as string;
      const [included, unknown] = await ask(txStatusKind, [{ hash: hex(hash) }, { hash: keccak256(Uint8Array.of(1)) }]);
      const r = await anvil.rpc<Json>('eth_getTransactionReceipt', [hash]);
      assert.equal(included?.status, TxState.Included);
      assert.equal(toHex(included?.lookup?.blockHash ?? new Uint8Array()), r.blockHash);
      assert.equal(included?.lookup?.blockNumber, Number(r.blockNumber));
      assert.equal(included?.lookup?.txIndex, Number(r.transactionIndex));
      assert.equal(unknown?.status, TxState.Unknown);
    });

    it('send tx: a new transfer is relayed (anvil mines it); sending it again is an error', async () => {
      const w = new Wallet(KEY0);
      const nonce = Number(await anvil.rpc<string>('eth_getTransactionCount', [w.address, 'pending']));
      const raw = hex(await w.signTransaction({ chainId: CHAIN_ID, nonce, to: RECIPIENT, value: 3n, gasLimit: 21000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 1n, type: 2 }));
      const [sent] = await ask(sendTxKind, [{ raw }]);
      // anvil mines on receipt, but its reply to eth_sendRawTransaction may come before the block:
      // the server then rightly says pending, and the status is asked again until it is included.
      assert.ok(sent?.status === TxState.Included || sent?.status === TxState.Pending, `status ${sent?.status}`);
      let status: typeof sent | undefined = sent;
      for (let i = 0; status?.status !== TxState.Included && i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        [status] = await ask(txStatusKind, [{ hash: keccak256(raw) }]);
      }
      assert.equal(status?.status, TxState.Included);
      const mined = await anvil.rpc<Json | null>('eth_getTransactionReceipt', [toHex(keccak256(raw))]);
      assert.equal(Number(mined?.blockNumber), status?.lookup?.blockNumber);
      const [again] = await ask(sendTxKind, [{ raw }]);
      assert.equal(again?.status, TxState.Error);
      assert.ok((again?.error ?? '').length > 0);
      assert.equal(RLP.decode(raw.subarray(1)).length, 12, 'an EIP-1559 transaction (type 2) of 12 fields');
    });

    it('canServe follows the server windows, txRelay, recentTxLookup and its head', () => {
      const s = new FakeServer({ seed: 9, handler: les.handler, head: { hash: new Uint8Array(32), number: 100, td: 0n }, caps: { serveChainSince: 10, serveRecentChain: 50, serveStateSince: 0, serveRecentState: 16, txRelay: false, recentTxLookup: 1 } });
      const at = (n: number) => ({ ...vh(1), header: { ...vh(1).header, number: n } });
      assert.deepEqual([40, 51, 100, 101].map((n) => bodyKind.canServe(s, { header: at(n) })), [false, true, true, false], 'chain: max(10, 100-50+1)..100');
      assert.deepEqual([84, 85, 100].map((n) => stateProofKind.canServe(s, { header: at(n), address: new Uint8Array(20) })), [false, true, true]);
      assert.equal(sendTxKind.canServe(s, { raw: new Uint8Array(1) }), false);
      assert.equal(txStatusKind.canServe(s, { hash: new Uint8Array(32) }), false);
      assert.equal(headerByHashKind.canServe(s, { hash: new Uint8Array(32), number: 101 }), false);
      assert.equal(receiptsKind.canServe({ ...s, caps: { ...s.caps, serveChainSince: undefined } } as FakeServer, { header: at(60) }), false, 'no serveChainSince: no chain data');
      assert.equal(chtHeaderKind.canServe(s, { section: { ...({} as TrustedSection), index: 12 }, sectionSize: SECTION, number: 1 }), false, 'section 12 ends at 103 > head 100');
    });
  });
});
