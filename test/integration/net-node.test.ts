/**
 * LesNode lifecycle on 127.0.0.1: options, listen, the enode URL, dial failures and timeouts,
 * maxPeers, and close().
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { DialError, NodeError, PeerClosedError } from '../../src/net/errors.js';
import { nodeIdFromPrivateKey, parseEnode } from '../../src/net/enode.js';
import { LesNode, type PeerFailure } from '../../src/net/node.js';
import { clientStatus, serverStatus } from '../unit/net/fixtures.js';
import { nodes, startPair } from '../unit/net/rlpx-pair.js';

const TOO_MANY_PEERS = 0x04;
const open: Array<{ close(): Promise<void> | void }> = [];
after(async () => {
  for (const o of open) await o.close();
});

/** A TCP server that accepts connections and never says a word. */
async function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets: Socket[] = [];
  const srv: Server = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const addr = srv.address();
  return {
    port: typeof addr === 'object' && addr !== null ? addr.port : 0,
    close: () => {
      for (const s of sockets) s.destroy();
      srv.close();
    },
  };
}

describe('LesNode', () => {
  it('refuses bad options', () => {
    assert.throws(() => new LesNode({ role: 'client', status: clientStatus(), versions: [] }), (e: unknown) => e instanceof NodeError && e.field === 'versions');
    assert.throws(() => new LesNode({ role: 'client', status: clientStatus(), versions: [1 as never] }), NodeError);
    assert.throws(() => new LesNode({ role: 'peer' as never, status: clientStatus() }), (e: unknown) => e instanceof NodeError && e.field === 'role');
  });

  it('listens on a free port and names itself by an enode URL of its key', async () => {
    const key = new Uint8Array(32).fill(0x11);
    const node = new LesNode({ role: 'server', status: serverStatus(), privateKey: key });
    open.push(node);
    assert.throws(() => node.enode, (e: unknown) => e instanceof NodeError && e.code === 'NOT_LISTENING');
    const port = await node.listen(0);
    assert.ok(port > 0);
    assert.equal(node.port, port);
    const e = parseEnode(node.enode);
    assert.deepEqual(e.id, nodeIdFromPrivateKey(key));
    assert.equal(e.host, '127.0.0.1');
    assert.equal(e.port, port);
    await assert.rejects(node.listen(0), (err: unknown) => err instanceof NodeError && err.code === 'ALREADY_LISTENING');
  });

  it('reports a port already in use as LISTEN_FAILED', async () => {
    const a = new LesNode({ role: 'server', status: serverStatus() });
    const b = new LesNode({ role: 'server', status: serverStatus() });
    open.push(a, b);
    const port = await a.listen(0);
    await assert.rejects(b.listen(port), (e: unknown) => e instanceof NodeError && e.code === 'LISTEN_FAILED');
  });

  it('times a dial out when the other end never speaks RLPx', async () => {
    const silent = await silentServer();
    open.push(silent);
    const client = new LesNode({ role: 'client', status: clientStatus(), dialTimeoutMs: 300 });
    open.push(client);
    const id = nodeIdFromPrivateKey(new Uint8Array(32).fill(0x22));
    await assert.rejects(client.dial({ id, host: '127.0.0.1', port: silent.port }), (e: unknown) => e instanceof DialError && e.code === 'DIAL_TIMEOUT');
  });

  it('fails a dial to the right address with the wrong node id; the server drops the socket after its RLPx timeout', async () => {
    const { server, client } = nodes({ server: { rlpxHandshakeTimeoutMs: 300 }, client: { dialTimeoutMs: 5000 } });
    open.push(server, client);
    const port = await server.listen(0);
    const wrongId = nodeIdFromPrivateKey(new Uint8Array(32).fill(0x33));
    const failures: PeerFailure[] = [];
    server.on('peerError', (f) => failures.push(f));
    // The server cannot decrypt an auth sealed to another key and drops the socket without a
    // byte; the dial says the node there is not the one named.
    await assert.rejects(
      client.dial({ id: wrongId, host: '127.0.0.1', port }),
      (e: unknown) => e instanceof DialError && e.code === 'AUTH_DROPPED' && e.message.startsWith(`node id at 127.0.0.1:${port} is not `),
    );
    assert.equal(server.peers.length, 0);
    assert.equal(failures.length, 1);
  });

  it('refuses a second dial to the same node', async () => {
    const p = await startPair();
    open.push(p);
    await assert.rejects(p.client.dial(p.server.enode), (e: unknown) => e instanceof DialError && e.code === 'ALREADY_CONNECTED');
  });

  it('turns away peers beyond maxPeers', async () => {
    const server = new LesNode({ role: 'server', status: serverStatus(), maxPeers: 1 });
    const c1 = new LesNode({ role: 'client', status: clientStatus() });
    const c2 = new LesNode({ role: 'client', status: clientStatus() });
    open.push(server, c1, c2);
    await server.listen(0);
    await c1.dial(server.enode);
    await assert.rejects(c2.dial(server.enode), (e: unknown) => e instanceof PeerClosedError && e.reason === TOO_MANY_PEERS);
    assert.equal(server.peers.length, 1);
  });

  it('close() disconnects every peer, rejects pending dials and refuses new work', async () => {
    const p = await startPair();
    const silent = await silentServer();
    open.push(silent);
    const pending = p.client.dial({ id: nodeIdFromPrivateKey(new Uint8Array(32).fill(0x44)), host: '127.0.0.1', port: silent.port });
    const dialRejected = assert.rejects(pending, (e: unknown) => e instanceof DialError && e.code === 'NODE_CLOSED');
    const closed = new Promise((r) => p.toClient.once('close', r));
    await p.client.close();
    await dialRejected;
    await closed;
    assert.equal(p.toServer.state, 'closed');
    assert.equal(p.client.peers.length, 0);
    await assert.rejects(p.client.dial(p.server.enode), (e: unknown) => e instanceof DialError && e.code === 'NODE_CLOSED');
    await assert.rejects(p.client.listen(0), (e: unknown) => e instanceof NodeError && e.code === 'NODE_CLOSED');
    await p.server.close();
    await p.server.close(); // idempotent
  });
});
