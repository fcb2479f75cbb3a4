/**
 * Restart on the same LevelDB datadir: a LesServer that built N helper-trie sections and followed
 * the state is stopped and started again against the same anvil. Nothing is rebuilt (no section,
 * no start state) and every answer is byte-for-byte the same as before the restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LesServer } from '../../src/serve/index.js';
import { accountKey } from '../../src/verify/index.js';
import { AuxReq, HelperTrieType } from '../../src/wire/index.js';
import { type Anvil, sendTx, startAnvil } from '../helpers/anvil.js';
import { LesTestClient } from '../helpers/les-client.js';

const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const be8 = (n: number): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
};
const NODE_KEY = bytes('4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318');

let anvil: Anvil;
let datadir: string;
const servers: LesServer[] = [];
let genesis: Uint8Array;

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  datadir = mkdtempSync(join(tmpdir(), 'lesp-restart-'));
  genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
});

after(async () => {
  for (const s of servers) await s.stop();
  await anvil?.stop();
  rmSync(datadir, { recursive: true, force: true });
});

function serverOn(): LesServer {
  const s = new LesServer({ rpcUrl: anvil.url, datadir, nodeKey: NODE_KEY, port: 0, sectionSize: 64, confirmations: 16, pollIntervalMs: 50, progressStream: null });
  servers.push(s);
  return s;
}

/** The same questions every time: section roots, CHT and BloomBits proofs, headers, a state proof. */
async function answers(server: LesServer, head: { hash: string }): Promise<string[]> {
  const c = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis, respectFlow: true });
  try {
    const out: string[] = [];
    const sections = server.stats().sections;
    for (let s = 0; s < sections; s++) {
      const r = await c.helperTries([
        { subType: HelperTrieType.CHT, sectionIdx: s, key: be8(0), fromLevel: 0, auxReq: AuxReq.Root },
        { subType: HelperTrieType.BloomBits, sectionIdx: s, key: new Uint8Array(10), fromLevel: 0, auxReq: AuxReq.Root },
        { subType: HelperTrieType.CHT, sectionIdx: s, key: be8(s * 64 + 17), fromLevel: 0, auxReq: AuxReq.Header },
        { subType: HelperTrieType.BloomBits, sectionIdx: s, key: Uint8Array.from([0, 5, 0, 0, 0, 0, 0, 0, 0, s]), fromLevel: 0, auxReq: 0 },
      ]);
      out.push(Buffer.from(r.nodes.flatMap((n) => [...n])).toString('hex'), ...r.auxData.map((a) => Buffer.from(a).toString('hex')));
    }
    const h = await c.headers({ origin: { number: 0 }, amount: 192, skip: 0, reverse: false });
    out.push(...h.headers.map((x) => Buffer.from(x).toString('hex')));
    // A standard request: served only while the preimage index knows both accounts.
    const p = await c.proofs([DEV, '0x00000000000000000000000000000000000000cc'].map((a) => ({ blockHash: bytes(head.hash), accountKey: accountKey(bytes(a)), storageKey: new Uint8Array(0), fromLevel: 0 })));
    assert.ok(p.nodes.length > 0);
    out.push(...p.nodes.map((x) => Buffer.from(x).toString('hex')));
    return out;
  } finally {
    await c.close();
  }
}

describe('restart on the same datadir', () => {
  it('resumes the built sections and the state without rebuilding, and answers exactly as before', async () => {
    const first = serverOn();
    const enode = await first.start();
    await sendTx(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000cc', value: '0x1' });
    await anvil.rpc('anvil_mine', ['0xd8']);
    await first.stack.idle();
    const head = await anvil.rpc<{ hash: string; number: string }>('eth_getBlockByNumber', ['latest', false]);
    const sections = first.stats().sections;
    assert.equal(sections, Math.floor((Number(head.number) - 16 + 1) / 64));
    assert.ok(sections >= 3);
    assert.equal(first.stack.indexer.stats.sectionsBuilt, sections);
    const before = await answers(first, head);
    await first.stop();

    const second = serverOn();
    const enode2 = await second.start();
    assert.equal(enode2.split('@')[0], enode.split('@')[0], 'the same node key, so the same node id');
    await second.stack.idle();
    assert.equal(second.stats().sections, sections, 'every section is there');
    assert.equal(second.stack.indexer.stats.sectionsBuilt, 0, 'no section was rebuilt');
    assert.equal(second.stack.feed.stats.blocks, 0, 'no block was indexed again: the preimages of 0xcc come from the stored index');
    assert.equal(second.stats().head.number, Number(head.number));
    const afterRestart = await answers(second, head);
    assert.deepEqual(afterRestart, before);
    await second.stop();
  });
});
