// A server that does not have what it is asked answers with empty entries: an empty body and
// receipt list for a block it does not know, the empty code, no proof nodes. That is "not
// answered", never a lie: the client asks the other server, the caller gets anvil's answer, and
// the server that did not have it is neither scored as a liar nor dropped.
//
// Server A answers every body, receipt list, code and proof that way (through the reply seam, in
// the exact form LesServer uses for an unknown block); server B is honest but slow (250 ms), so
// the client asks A first.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseEnode } from '../../src/net/index.js';
import type { LesServer } from '../../src/serve/index.js';
import { Code, codecOf, encodeBlockBodies, encodeContractCodes, encodeProofsV2, encodeReceipts } from '../../src/wire/index.js';
import type { Anvil } from '../helpers/anvil.js';
import { type ClientSurfaces, type Devnet, clientAtHead, serversIdle, startClient, startDevnet } from '../helpers/devnet-stack.js';
import { Tamperer } from '../helpers/lying-server.js';
import { type Workload, runWorkload } from '../unit/client/methods-workload.js';

type Json = Record<string, unknown>;
const idOf = (s: LesServer) => Buffer.from(parseEnode(s.enode).id).toString('hex');

describe('empty answers are unanswered, not lies', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let w: Workload;
  let s: ClientSurfaces;
  let empty: LesServer;
  let slow: Tamperer;
  let emptied = 0;

  before(async () => {
    devnet = await startDevnet({
      servers: 2,
      noClient: true,
      workload: async (a) => {
        w = await runWorkload(a);
      },
    });
    anvil = devnet.anvil;
    await serversIdle(anvil, devnet.servers);
    const [a, b] = devnet.servers as [LesServer, LesServer];
    empty = a;
    slow = new Tamperer(b, { delayMs: 250 });
    a.service.dispatcher.replyTransform = (r) => {
      const reqID = (r.request as { reqID: bigint }).reqID;
      switch (r.code) {
        case Code.GetBlockBodies:
          emptied++;
          return encodeBlockBodies({ reqID, bv: codecOf(Code.BlockBodies).decode(r.bytes).bv, bodies: (r.request as { hashes: unknown[] }).hashes.map(() => ({ transactions: [], uncles: [] })) });
        case Code.GetReceipts:
          emptied++;
          return encodeReceipts({ reqID, bv: codecOf(Code.Receipts).decode(r.bytes).bv, receipts: (r.request as { hashes: unknown[] }).hashes.map(() => []) });
        case Code.GetContractCodes:
          emptied++;
          return encodeContractCodes({ reqID, bv: codecOf(Code.ContractCodes).decode(r.bytes).bv, codes: (r.request as { reqs: unknown[] }).reqs.map(() => new Uint8Array(0)) });
        case Code.GetProofsV2:
          emptied++;
          return encodeProofsV2({ reqID, bv: codecOf(Code.ProofsV2).decode(r.bytes).bv, nodes: [] });
        default:
          return r.bytes;
      }
    };
    s = await startClient(anvil, devnet.servers);
    await clientAtHead(anvil, s.client);
  });
  after(async () => {
    slow?.uninstall();
    await s?.stop();
    await devnet?.stop();
  });

  const same = async (method: string, params: unknown[]) => {
    const ours = await s.eip.request({ method, params });
    assert.deepEqual(ours, await anvil.rpc(method, params), `${method} ${JSON.stringify(params)}`);
  };

  it("the caller gets anvil's answers; the server that had nothing is not scored as a liar", async () => {
    const head = Number(await anvil.rpc<string>('eth_blockNumber'));
    const hex = (n: number) => `0x${n.toString(16)}`;
    for (const n of [head, head - 1, head - 2]) {
      await same('eth_getBalance', [w.wallets[0]?.address as string, hex(n)]);
      await same('eth_getStorageAt', [w.contractA, '0x1', hex(n)]);
    }
    await same('eth_getCode', [w.contractA, 'latest']);
    const block = (await s.eip.request({ method: 'eth_getBlockByNumber', params: [hex(head - 3), true] })) as Json;
    assert.deepEqual(block.transactions, ((await anvil.rpc<Json>('eth_getBlockByNumber', [hex(head - 3), true])).transactions as unknown[]));
    const receipts = (await s.eip.request({ method: 'eth_getBlockReceipts', params: [hex(head - 4)] })) as Json[];
    assert.deepEqual(receipts.map((r) => r.transactionHash), ((await anvil.rpc<Json[]>('eth_getBlockReceipts', [hex(head - 4)])) ?? []).map((r) => r.transactionHash));
    assert.ok(emptied >= 4, `the empty server was asked (${emptied} empty replies)`);
    const info = s.client.parts?.pool.list().find((x) => x.id === idOf(empty));
    assert.equal(info?.invalidAnswers, 0, 'no empty answer was counted as invalid');
    assert.equal(s.client.status().servers, 2, 'the server is still connected');
  });
});
