// What the client says about its head, from trusted and verified numbers only, against real
// LesServers over anvil:
// - the quorum counts the CONFIGURED trusted servers: with two of three stopped, the last one's
//   announces move nothing, and status(), eth_syncing and the `quorum` event say why;
// - an untrusted server's announce of a huge head neither makes the client "syncing" nor /health red;
// - a head older than staleHeadSec is reported as not synced (a server that stopped announcing).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { TrustStatus } from '../../src/client/engine/client.js';
import type { LesServer } from '../../src/serve/index.js';
import { signAnnounce } from '../../src/verify/announce-signature.js';
import { Code, encodeAnnounce } from '../../src/wire/index.js';
import type { Anvil } from '../helpers/anvil.js';
import { type ClientSurfaces, type Devnet, clientAtHead, serversIdle, startClient, startDevnet, until } from '../helpers/devnet-stack.js';

describe('trust status: configured quorum, untrusted announces, a stale head', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  const keys = [0, 1, 2].map(() => secp256k1.utils.randomPrivateKey());

  before(async () => {
    devnet = await startDevnet({ servers: 3, serverOptions: (i) => ({ nodeKey: keys[i] }), noClient: true });
    anvil = devnet.anvil;
  });
  after(async () => devnet?.stop());

  it('an untrusted server announcing a huge head: still synced, eth_syncing false', async () => {
    const [a, b, c] = devnet.servers as [LesServer, LesServer, LesServer];
    const s = await startClient(anvil, [{ enode: a.enode, trusted: true }, { enode: b.enode, trusted: true }, { enode: c.enode, trusted: false }]);
    try {
      await until('three servers connected', () => (s.client.status().servers === 3 ? true : undefined));
      await clientAtHead(anvil, s.client);
      const head = s.client.status().head?.number as number;
      const huge = { headHash: keccak256(Buffer.from('far ahead')), headNumber: head + 1_000_000, headTd: 10n ** 30n };
      for (const session of c.service.sessions) {
        session.send(Code.Announce, encodeAnnounce({ ...huge, reorgDepth: 0, updates: [], signature: signAnnounce(keys[2] as Uint8Array, huge) }));
      }
      await until('the announce reached the client', () => (s.client.parts?.scheduler.servers().some((x) => x.head.number === huge.headNumber) ? true : undefined));
      assert.equal(s.client.status().synced, true, s.client.status().reason);
      assert.equal(await s.eip.request({ method: 'eth_syncing', params: [] }), false);
    } finally {
      await s.stop();
    }
  });

  it('a head older than staleHeadSec is not synced; a new block makes it synced again', async () => {
    const s = await startClient(anvil, devnet.servers.slice(0, 2), { staleHeadSec: 1 });
    try {
      await clientAtHead(anvil, s.client);
      await until('the head is 2 s old', () => ((s.client.status().headAgeSec ?? 0) >= 2 ? true : undefined), 10_000);
      const stale = s.client.status();
      assert.equal(stale.synced, false);
      assert.match(stale.reason ?? '', /old/);
      await anvil.rpc('anvil_mine', ['0x1']);
      await serversIdle(anvil, devnet.servers);
      await clientAtHead(anvil, s.client);
      assert.equal(s.client.status().synced, true, s.client.status().reason);
    } finally {
      await s.stop();
    }
  });

  it('with 2 of 3 configured trusted servers gone, the head stops and the client says why', async () => {
    let s: ClientSurfaces | undefined;
    try {
      s = await startClient(anvil, devnet.servers, { trustedFraction: 0.6 }); // 2 of 3 must agree
      const client = s.client;
      await clientAtHead(anvil, client);
      assert.deepEqual(client.status().trust, { configured: 3, connected: 3, needed: 2 });
      const events: TrustStatus[] = [];
      client.on('quorum', (t) => events.push(t));
      const [, b, c] = devnet.servers as [LesServer, LesServer, LesServer];
      await b.stop();
      await c.stop();
      await until('one server left', () => (client.status().servers === 1 ? true : undefined));
      const stuck = client.status().head?.number as number;
      await anvil.rpc('anvil_mine', ['0x3']);
      await serversIdle(anvil, devnet.servers);
      // The server left announces the new head: one voice of the three configured.
      await until('the last server announced the new head', () => (client.parts?.scheduler.servers()[0]?.head.number === stuck + 3 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const status = client.status();
      assert.equal(status.head?.number, stuck, 'the head did not move');
      assert.equal(status.synced, false);
      assert.deepEqual(status.trust, { configured: 3, connected: 1, needed: 2, stalled: '1 of 3 trusted servers connected; 2 must agree on a head' });
      assert.equal(status.reason, status.trust.stalled);
      const syncing = (await s.eip.request({ method: 'eth_syncing', params: [] })) as Record<string, string>;
      assert.equal(syncing.stalled, status.trust.stalled);
      assert.equal(Number(syncing.currentBlock), stuck);
      assert.ok(events.some((e) => e.stalled !== undefined), 'a quorum event said so');
    } finally {
      await s?.stop();
    }
  });
});
