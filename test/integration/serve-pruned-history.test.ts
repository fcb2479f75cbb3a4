/**
 * `lesp serve` in front of a node that pruned its old history (go-ethereum `--history.chain
 * postmerge`, EIP-4444): a relay over anvil refuses blocks, receipts and transactions below block
 * 30 with "pruned history unavailable" (4444) and gives their headers through go-ethereum's
 * eth_getHeaderByNumber. The server says so at start, fills every header from genesis anyway
 * (each checked against anvil's block hash), serves the headers over LES, and the bodies and tx
 * lookups of the blocks the node still has; a pruned block's body is the empty entry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NodeBlockSource } from '../../src/serve/chain/index.js';
import { LesServer, type ServeLog } from '../../src/serve/index.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { TxState } from '../../src/wire/index.js';
import { decodeHeader, headerHash } from '../../src/verify/index.js';
import { type Anvil, sendTx, startAnvil } from '../helpers/anvil.js';
import { LesTestClient } from '../helpers/les-client.js';
import { type PrunedRelay, startPrunedRelay } from '../helpers/pruned-relay.js';

const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const PRUNED_BELOW = 30;
const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));

let anvil: Anvil;
let relay: PrunedRelay;
let server: LesServer;
let client: LesTestClient;
const infos: string[] = [];
let oldTx: { transactionHash: string; blockNumber: string };
let newTx: { transactionHash: string; blockNumber: string; blockHash: string };
const hashes: string[] = [];

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  oldTx = await sendTx(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000aa', value: '0x1' });
  await anvil.rpc('anvil_mine', ['0x28']);
  newTx = await sendTx(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000bb', value: '0x2' });
  await anvil.rpc('anvil_mine', ['0x2']);
  relay = await startPrunedRelay(anvil.url, { prunedHistoryBelow: PRUNED_BELOW, keptStates: Number.MAX_SAFE_INTEGER });
  const log: ServeLog = { debug() {}, info: (_o, m) => void infos.push(m), warn() {}, error() {} };
  server = new LesServer({ rpcUrl: relay.url, port: 0, pollIntervalMs: 50, progressStream: null, log });
  await server.start();
  await server.stack.idle();
  const head = Number(await anvil.rpc<string>('eth_blockNumber'));
  for (let n = 0; n <= head; n++) hashes.push((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).hash);
  client = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: bytes(hashes[0]!) });
});

after(async () => {
  await client?.close();
  await server?.stop();
  await relay?.close();
  await anvil?.stop();
});

describe('a node with pruned history', () => {
  it('the start summary says which history is served and which not', () => {
    const summary = infos.find((m) => m.startsWith('serving from')) ?? '';
    assert.match(summary, /headers of the node's pruned history \(eth_getHeaderByNumber\)/);
    assert.match(summary, /not served: .*bodies, receipts and transaction lookups of the blocks the node pruned/);
  });

  it('every header from genesis is filled — the pruned ones from eth_getHeaderByNumber — and served over LES with anvil\'s hashes', async () => {
    const stats = server.stack.follower.source.stats;
    assert.equal(stats.prunedHistoryFrom, 0);
    // Blocks 0..12 in the header fill, 13..29 as the latest 32 blocks (each followed with its body).
    assert.equal(stats.prunedHeaders, PRUNED_BELOW, 'exactly the pruned blocks read as headers');
    assert.ok(relay.stats.prunedHistory > 0, 'the relay refused pruned blocks');
    const got = await client.headers({ origin: { number: 0 }, amount: hashes.length, skip: 0, reverse: false });
    assert.deepEqual(got.headers.map((h) => hex(headerHash(h))), hashes);
    assert.deepEqual(got.headers.map((h) => decodeHeader(h).number), hashes.map((_, i) => i));
  });

  it('bodies and tx lookups where the node still has them; the empty entry and unknown where it pruned them', async () => {
    assert.ok(Number(oldTx.blockNumber) < PRUNED_BELOW && Number(newTx.blockNumber) >= PRUNED_BELOW);
    const bodies = await client.bodies([bytes(hashes[Number(oldTx.blockNumber)]!), bytes(newTx.blockHash)]);
    assert.equal(bodies.bodies[0]!.transactions.length, 0, 'a pruned body is the empty entry');
    assert.equal(bodies.bodies[1]!.transactions.length, 1);
    const st = await client.txStatus([bytes(oldTx.transactionHash), bytes(newTx.transactionHash)]);
    assert.equal(st.statuses[0]!.status, TxState.Unknown, 'the node pruned it: no lookup');
    assert.equal(st.statuses[1]!.status, TxState.Included);
    assert.equal(hex(st.statuses[1]!.lookup!.blockHash), newTx.blockHash);
  });

  it('the fill reads headers only across the pruned run and blocks on both sides of it, batch by batch', async () => {
    const source = new NodeBlockSource(new NodeRpcClient({ url: relay.url }));
    const got: Array<{ number: number; hash: Uint8Array; txHashes: Uint8Array[] }> = [];
    // Batches of 8: 24..31 holds the end of the pruned range.
    for (let from = 0; from < hashes.length; from += 8) {
      const batch = await source.headersByNumber(from, Math.min(8, hashes.length - from));
      assert.equal(batch.failure, undefined);
      got.push(...batch.blocks);
    }
    assert.deepEqual(got.map((b) => hex(b.hash)), hashes);
    assert.equal(source.stats.prunedHeaders, PRUNED_BELOW, 'headers only for the pruned blocks, not for 30 and 31');
    assert.deepEqual(got[Number(oldTx.blockNumber)]!.txHashes, [], 'a pruned block lists no transactions');
    assert.deepEqual(got[Number(newTx.blockNumber)]!.txHashes.map(hex), [newTx.transactionHash]);
  });
});
