/**
 * The start probe against a real anvil behind relays that lack one method or another (as other
 * execution clients do): the server refuses to start only without a block method, naming it;
 * without eth_getBlockReceipts it reads receipts per transaction (and a source that meets the
 * refusal later moves there by itself), without any receipt method it serves none, without
 * eth_getProof no state — each said in the one summary it logs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NodeBlockSource } from '../../src/serve/chain/index.js';
import { LesServer, type ServeLog } from '../../src/serve/index.js';
import { probeNode } from '../../src/serve/probe.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { NO_STATE } from '../../src/serve/state/window.js';
import { decodeReceipt } from '../../src/verify/receipts.js';
import { type Anvil, sendTx, startAnvil } from '../helpers/anvil.js';
import { type PrunedRelay, startPrunedRelay } from '../helpers/pruned-relay.js';

const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';

let anvil: Anvil;
const relays: PrunedRelay[] = [];
let head: number;
let txBlock: { hash: string; number: string; transactions: string[] };

/** A relay over anvil with these methods missing and every state kept. */
async function lacking(hidden: RegExp): Promise<PrunedRelay> {
  const r = await startPrunedRelay(anvil.url, { hidden, keptStates: Number.MAX_SAFE_INTEGER });
  relays.push(r);
  return r;
}

function recordingLog(): ServeLog & { infos: string[] } {
  const infos: string[] = [];
  return { infos, debug() {}, info: (_o, msg) => void infos.push(msg), warn() {}, error() {} };
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  const r = await sendTx<{ blockHash: string }>(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000aa', value: '0x1' });
  await sendTx(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000bb', value: '0x2' });
  await anvil.rpc('anvil_mine', ['0x3']);
  head = Number(await anvil.rpc<string>('eth_blockNumber'));
  txBlock = await anvil.rpc('eth_getBlockByHash', [r.blockHash, false]);
});

after(async () => {
  for (const r of relays) await r.close();
  await anvil?.stop();
});

describe('the node probe at start', () => {
  it('anvil itself: receipts per block, state from block 1, code, relay, raw transactions', async () => {
    const caps = await probeNode(new NodeRpcClient({ url: anvil.url }), { head });
    assert.equal(caps.receipts, 'block');
    assert.equal(caps.state.since, 1);
    assert.deepEqual([caps.code, caps.rawTx, caps.txRelay], [true, true, true]);
    assert.doesNotMatch(caps.summary, /not served/);
  });

  for (const method of ['eth_getBlockByNumber', 'eth_getBlockByHash']) {
    it(`without ${method}: the server refuses to start, naming it`, async () => {
      const relay = await lacking(new RegExp(`^${method}$`));
      const server = new LesServer({ rpcUrl: relay.url, port: 0, progressStream: null });
      await assert.rejects(server.start(), (e: Error & { code?: string; field?: string }) => {
        assert.equal(e.code, 'SERVE_NODE_UNSUITABLE');
        assert.equal(e.field, method);
        assert.match(e.message, new RegExp(`${method} fails \\(the node does not have it\\)`));
        return true;
      });
    });
  }

  it('without eth_getBlockReceipts: receipts per transaction, said in the one summary, and served equal to the node\'s', async () => {
    const relay = await lacking(/^eth_getBlockReceipts$/);
    const log = recordingLog();
    const server = new LesServer({ rpcUrl: relay.url, port: 0, progressStream: null, log });
    await server.start();
    try {
      const summary = log.infos.filter((m) => m.startsWith('serving from'));
      assert.equal(summary.length, 1);
      assert.match(summary[0]!, /receipts per transaction \(no eth_getBlockReceipts: eth_getTransactionReceipt for each\)/);
      assert.equal(server.stack.follower.source.receiptsMethod, 'transaction');
      const stored = await server.stack.chainStore.headerByHash(Uint8Array.from(Buffer.from(txBlock.hash.slice(2), 'hex')));
      const receipts = await server.stack.chainStore.getReceipts(stored!.hash);
      const theirs = await anvil.rpc<Array<{ cumulativeGasUsed: string }>>('eth_getBlockReceipts', [txBlock.hash]);
      assert.deepEqual(receipts?.map((r) => decodeReceipt(r).cumulativeGasUsed), theirs.map((r) => BigInt(r.cumulativeGasUsed)));
    } finally {
      await server.stop();
    }
  });

  it('a source that meets "no such method" for eth_getBlockReceipts moves to per-transaction receipts by itself', async () => {
    const relay = await lacking(/^eth_getBlockReceipts$/);
    const source = new NodeBlockSource(new NodeRpcClient({ url: relay.url }));
    assert.equal(source.receiptsMethod, 'block');
    const full = await source.fullBlock(Number(txBlock.number));
    assert.equal(source.receiptsMethod, 'transaction');
    assert.equal(source.stats.txReceipts, txBlock.transactions.length);
    const theirs = await anvil.rpc<Array<{ cumulativeGasUsed: string }>>('eth_getBlockReceipts', [txBlock.hash]);
    assert.deepEqual(full?.receipts?.map((r) => decodeReceipt(r).cumulativeGasUsed), theirs.map((r) => BigInt(r.cumulativeGasUsed)));
  });

  it('without any receipt method: receipts not served; without eth_getProof: no state; both said why', async () => {
    const noReceipts = await probeNode(new NodeRpcClient({ url: (await lacking(/^eth_get(BlockReceipts|TransactionReceipt)$/)).url }), { head });
    assert.equal(noReceipts.receipts, 'none');
    assert.match(noReceipts.summary, /not served: .*receipts \(the node has neither eth_getBlockReceipts nor eth_getTransactionReceipt\)/);
    const noState = await probeNode(new NodeRpcClient({ url: (await lacking(/^eth_getProof$/)).url }), { head });
    assert.equal(noState.state.since, NO_STATE);
    assert.match(noState.summary, /not served: .*state: none \(eth_getProof at the head fails: .*does not exist/);
    assert.equal(noState.code, false, 'code is not served without the proofs that bind it');
  });
});
