/**
 * The browser's dial path run in Node: our pure-JS RLPx initiator (rlpx-ecies.ts,
 * rlpx-session.ts) over a WHATWG-shaped WebSocket (the `ws` package's), against a real LesServer
 * whose RLPx side is devp2p's. Every handshake byte and frame we produce is checked by that
 * second implementation, and the headers it serves hash to anvil's blocks. A wrong node key, a
 * plain enode and a server sending text are refused with typed errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { WebSocket, WebSocketServer } from 'ws';
import { computeForkId } from '../../src/config/forkid.js';
import { CarrierError, DialError, FramingError, formatEnode, nodeIdFromPrivateKey, parseEnode } from '../../src/net/index.js';
import { type WebSocketConstructor, dialWs } from '../../src/net/ws-dial.js';
import { LesServer } from '../../src/serve/index.js';
import { decodeHeader, headerHash } from '../../src/verify/index.js';
import { Code, codecOf, encodeGetBlockHeaders } from '../../src/wire/index.js';
import type { Status } from '../../src/wire/status.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';

const Ws = WebSocket as unknown as WebSocketConstructor;
const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

describe('the pure-JS RLPx initiator over WebSocket against a real LesServer', () => {
  let anvil: Anvil;
  let server: LesServer;
  let wsEnode: string;
  let status: Status;

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    const [acct] = await anvil.rpc<string[]>('eth_accounts');
    await anvil.rpc('eth_sendTransaction', [{ from: acct, to: acct, value: '0x1' }]);
    server = new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, wsPort: 0, pollIntervalMs: 50 });
    await server.start();
    wsEnode = server.wsEnode as string;
    const genesisHash = Uint8Array.from(Buffer.from((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash.slice(2), 'hex'));
    status = {
      protocolVersion: 4,
      networkId: 31337n,
      headTd: 0n,
      headHash: genesisHash,
      headNum: 0,
      genesisHash,
      forkID: computeForkId(genesisHash, { blocks: [], timestamps: [] }, 0, 0),
      announceType: 1,
      unknown: [],
    };
  });
  after(async () => {
    await server?.stop();
    await anvil?.stop();
  });

  it("completes RLPx and Status on les/4, and the served headers hash to anvil's blocks", async () => {
    const peer = await dialWs(wsEnode, { status, WebSocket: Ws });
    try {
      assert.equal(peer.version, 4);
      assert.ok(peer.remoteStatus?.flowControlBL !== undefined, 'a server Status with flow control');
      const reply = await peer.request(Code.GetBlockHeaders, (reqID) => encodeGetBlockHeaders({ reqID, origin: { number: 0 }, amount: 2, skip: 0, reverse: false }));
      const headers = codecOf(Code.BlockHeaders).fromRlp(reply.item).headers;
      assert.deepEqual(headers.map((h) => decodeHeader(h).number), [0, 1]);
      const one = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x1', false]);
      assert.equal(hex(headerHash(headers[1]!)), one.hash);
      // Many requests in a row: the CTR streams and MACs stay in step both ways.
      for (let i = 0; i < 20; i++) {
        const r = await peer.request(Code.GetBlockHeaders, (reqID) => encodeGetBlockHeaders({ reqID, origin: { number: 1 }, amount: 1, skip: 0, reverse: false }));
        assert.equal(hex(headerHash(codecOf(Code.BlockHeaders).fromRlp(r.item).headers[0]!)), one.hash);
      }
      const sessions = server.stats().sessions;
      assert.equal(sessions.length, 1);
      assert.equal(sessions[0]!.remote.transport, 'ws');
      assert.equal(sessions[0]!.remote.clientId, 'les-provider/browser');
    } finally {
      peer.disconnect(8);
    }
  });

  it('each les version the server offers is agreed on when it is the only one offered', async () => {
    for (const v of [2, 3] as const) {
      const peer = await dialWs(wsEnode, { status: { ...status, protocolVersion: v }, versions: [v], WebSocket: Ws });
      assert.equal(peer.version, v);
      const reply = await peer.request(Code.GetBlockHeaders, (reqID) => encodeGetBlockHeaders({ reqID, origin: { number: 0 }, amount: 1, skip: 0, reverse: false }));
      assert.equal(codecOf(Code.BlockHeaders).fromRlp(reply.item).headers.length, 1);
      peer.disconnect(8);
    }
  });

  it('a wrong node key is AUTH_DROPPED; an enode without a WebSocket transport is refused before dialing', async () => {
    const { host, port } = parseEnode(wsEnode);
    const other = nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey());
    await assert.rejects(dialWs(formatEnode({ id: other, host, port, transport: 'ws' }), { status, WebSocket: Ws, dialTimeoutMs: 8000 }), (err: unknown) => {
      assert.ok(err instanceof DialError, String(err));
      assert.equal(err.code, 'AUTH_DROPPED');
      return true;
    });
    await assert.rejects(dialWs(formatEnode({ id: other, host, port }), { status, WebSocket: Ws }), (err: unknown) => err instanceof DialError && err.code === 'CONNECT_FAILED');
  });

  it('a server answering with text or garbage is refused with a typed error, not a hang', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const port = (wss.address() as { port: number }).port;
    // An ack whose size prefix (598) is honest but whose bytes are no ECIES message; one claiming 65535 bytes.
    const garbage = Uint8Array.from([0x02, 0x56, ...new Uint8Array(598).fill(7)]);
    const huge = Uint8Array.from([0xff, 0xff, 0x04]);
    let mode: 'text' | 'garbage' | 'huge' = 'text';
    wss.on('connection', (s) => s.once('message', () => (mode === 'text' ? s.send('hello') : s.send(mode === 'garbage' ? garbage : huge))));
    try {
      const id = nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey());
      const target = formatEnode({ id, host: '127.0.0.1', port, transport: 'ws' });
      await assert.rejects(dialWs(target, { status, WebSocket: Ws, dialTimeoutMs: 5000 }), (err: unknown) => err instanceof CarrierError && err.code === 'WS_NOT_BINARY');
      for (const m of ['garbage', 'huge'] as const) {
        mode = m;
        await assert.rejects(dialWs(target, { status, WebSocket: Ws, dialTimeoutMs: 5000 }), (err: unknown) => {
          assert.ok(err instanceof DialError, String(err));
          assert.equal(err.code, 'CONNECTION_CLOSED');
          assert.ok(err.cause instanceof FramingError && err.cause.code === 'BAD_ACK', String(err.cause));
          return true;
        });
      }
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});
