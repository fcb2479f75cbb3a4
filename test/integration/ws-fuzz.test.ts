/**
 * Seeded fuzz of the WebSocket carrier of a real LesServer: at the WebSocket level (random raw
 * bytes after a valid upgrade, random opcodes and lengths, masked and not), at the message level
 * (random binary messages, text, one message past the limit, an RLPx auth cut at random points
 * and continued with noise), many connections at once. Afterwards the server still answers a
 * WebSocket client and a TCP client, and every hostile connection was closed by the server.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type Socket, connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { computeForkId } from '../../src/config/forkid.js';
import { parseEnode } from '../../src/net/index.js';
import { makeAuth } from '../../src/net/rlpx-ecies.js';
import { MAX_WS_MESSAGE } from '../../src/net/ws-carrier.js';
import { type WebSocketConstructor, dialWs } from '../../src/net/ws-dial.js';
import { LesServer } from '../../src/serve/index.js';
import type { Status } from '../../src/wire/status.js';
import { Code, encodeGetBlockHeaders } from '../../src/wire/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { LesTestClient } from '../helpers/les-client.js';
import { prng } from '../helpers/prng.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261208);
const ROUNDS = 40;

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms).unref())]);
}

describe(`WebSocket carrier fuzz (seed ${SEED})`, () => {
  let anvil: Anvil;
  let server: LesServer;
  let genesis: Uint8Array;
  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    server = new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, wsPort: 0, pollIntervalMs: 50, frameReadTimeoutMs: 2000 });
    await server.start();
    genesis = Uint8Array.from(Buffer.from((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash.slice(2), 'hex'));
  });
  after(async () => {
    await server?.stop();
    await anvil?.stop();
  });

  it('hostile WebSocket connections are all closed by the server, which keeps serving WebSocket and TCP clients', async () => {
    const rand = prng(SEED);
    const int = (n: number): number => Math.floor(rand() * n);
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => int(256));
    const { port, id } = parseEnode(server.wsEnode as string);
    const url = `ws://127.0.0.1:${port}/`;

    const raw = async (): Promise<void> => {
      const sock: Socket = tcpConnect(port, '127.0.0.1');
      sock.on('error', () => undefined);
      await once(sock, 'connect');
      sock.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      await once(sock, 'data');
      // A frame head with a random opcode, mask bit and 7/16/64-bit length, then noise.
      const lengthCode = int(2) === 0 ? int(126) : int(2) === 0 ? 126 : 127;
      const head = [int(256), lengthCode | (int(2) << 7)];
      sock.write(Uint8Array.from([...head, ...bytes(int(64))]));
      await within(once(sock, 'close'), 6000, 'raw frame closed');
    };
    const message = async (): Promise<void> => {
      const ws = new WebSocket(url);
      ws.on('error', () => undefined);
      const closed = once(ws, 'close');
      await once(ws, 'open');
      const kind = int(4);
      if (kind === 0) ws.send(bytes(1 + int(3000)));
      else if (kind === 1) ws.send('x'.repeat(1 + int(100)));
      else if (kind === 2) ws.send(new Uint8Array(MAX_WS_MESSAGE + 1 + int(100)));
      else {
        // A real auth to this server, cut somewhere, then noise in random pieces.
        const auth = makeAuth(bytes(32).map((b, i) => (i === 0 ? 1 : b)), id).packet;
        const cut = int(auth.length);
        ws.send(auth.subarray(0, cut));
        for (let i = int(4); i > 0; i--) ws.send(bytes(1 + int(500)));
      }
      await within(closed, 6000, `message kind ${kind} closed`);
    };
    for (let r = 0; r < ROUNDS; r += 8) {
      await Promise.all(Array.from({ length: 8 }, () => (int(3) === 0 ? raw() : message())));
    }

    const status: Status = { protocolVersion: 4, networkId: 31337n, headTd: 0n, headHash: genesis, headNum: 0, genesisHash: genesis, forkID: computeForkId(genesis, { blocks: [], timestamps: [] }, 0, 0), announceType: 1, unknown: [] };
    const peer = await dialWs(server.wsEnode as string, { status, WebSocket: WebSocket as unknown as WebSocketConstructor });
    const reply = await peer.request(Code.GetBlockHeaders, (reqID) => encodeGetBlockHeaders({ reqID, origin: { number: 0 }, amount: 1, skip: 0, reverse: false }));
    assert.ok(reply.item !== undefined);
    peer.disconnect(8);
    const tcp = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis });
    assert.equal((await tcp.headers({ origin: { number: 0 }, amount: 1, skip: 0, reverse: false })).headers.length, 1);
    await tcp.close();
  });
});
