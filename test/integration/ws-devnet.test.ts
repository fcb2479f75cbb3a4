/**
 * startDevnet()'s LES servers take browsers too: each one's `?transport=ws` enode (wsServers)
 * carries the same node id as its TCP enode, and the pure-JS RLPx initiator over a WHATWG-shaped
 * WebSocket completes RLPx and Status with every one of them and gets the node's block 1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { computeForkId } from '../../src/config/forkid.js';
import { type Devnet, startDevnet } from '../../src/devnet/index.js';
import { parseEnode } from '../../src/net/index.js';
import { type WebSocketConstructor, dialWs } from '../../src/net/ws-dial.js';
import { headerHash } from '../../src/verify/index.js';
import type { Status } from '../../src/wire/status.js';
import { Code, codecOf, encodeGetBlockHeaders } from '../../src/wire/index.js';
import { rpcCall } from '../helpers/anvil.js';

describe("the devnet's LES servers over WebSocket", () => {
  let devnet: Devnet;
  before(async () => {
    devnet = await startDevnet({ servers: 2, sections: 0 });
  });
  after(async () => {
    await devnet?.stop();
  });

  it('every server has a ws enode with its own node id, and answers a browser-style dial', async () => {
    assert.equal(devnet.wsServers.length, devnet.servers.length);
    const genesis = Uint8Array.from(Buffer.from(devnet.genesisHash.slice(2), 'hex'));
    const status: Status = {
      protocolVersion: 4,
      networkId: devnet.chainId,
      headTd: 0n,
      headHash: genesis,
      headNum: 0,
      genesisHash: genesis,
      forkID: computeForkId(genesis, { blocks: [], timestamps: [] }, 0, 0),
      announceType: 1,
      unknown: [],
    };
    const one = await rpcCall<{ hash: string }>(devnet.node.url, 'eth_getBlockByNumber', ['0x1', false]);
    for (const [i, ws] of devnet.wsServers.entries()) {
      assert.match(ws, /^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+\?transport=ws$/);
      assert.deepEqual(parseEnode(ws).id, parseEnode(devnet.servers[i]!.enode).id);
      const peer = await dialWs(ws, { status, WebSocket: WebSocket as unknown as WebSocketConstructor });
      const reply = await peer.request(Code.GetBlockHeaders, (reqID) => encodeGetBlockHeaders({ reqID, origin: { number: 1 }, amount: 1, skip: 0, reverse: false }));
      assert.equal(`0x${Buffer.from(headerHash(codecOf(Code.BlockHeaders).fromRlp(reply.item).headers[0]!)).toString('hex')}`, one.hash);
      peer.disconnect(8);
    }
  });
});
