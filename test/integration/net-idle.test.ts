/**
 * An idle LES connection must outlive devp2p's stray 5 s status timer and its 15 s RLPx ping
 * cycle: neither side may see a close, and the pings must have been answered.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import type { PeerCloseInfo } from '../../src/net/peer.js';
import { type Pair, startPair } from '../unit/net/rlpx-pair.js';

const IDLE_MS = 35_000; // covers the 5 s status timer and two 15 s RLPx ping rounds
const GET_BLOCK_HEADERS = 0x02;
const BLOCK_HEADERS = 0x03;

let p: Pair | undefined;
after(async () => {
  await p?.close();
});

describe('idle LES connection over RLPx', () => {
  it('slow: stays up for 35 s with RLPx pings answered and no close on either side', { timeout: IDLE_MS + 20_000 }, async () => {
    p = await startPair();
    const closes: Array<[string, PeerCloseInfo]> = [];
    p.toServer.on('close', (info) => closes.push(['client side', info]));
    p.toClient.on('close', (info) => closes.push(['server side', info]));
    await new Promise((r) => setTimeout(r, IDLE_MS));

    assert.deepEqual(closes, []);
    assert.equal(p.toServer.state, 'open');
    assert.equal(p.toClient.state, 'open');
    assert.equal(p.client.peers.length, 1);
    assert.equal(p.server.peers.length, 1);
    // Each side pings every 15 s: by 35 s each has received two pings and two pongs.
    for (const stats of [p.toServer.stats(), p.toClient.stats()]) {
      assert.ok(stats.pingsIn >= 2, `pingsIn ${stats.pingsIn}`);
      assert.ok(stats.pongsIn >= 2, `pongsIn ${stats.pongsIn}`);
    }
    // And it still carries a request.
    p.toClient.on('request', (r) => p?.toClient.reply(BLOCK_HEADERS, RLP.encode([r.reqID, 9, []])));
    const reply = await p.toServer.request(GET_BLOCK_HEADERS, (reqID) => RLP.encode([reqID, [1, 1, 0, 0]]));
    assert.equal(reply.bv, 9);
  });
});
