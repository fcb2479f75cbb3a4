/**
 * LES over WebSocket against a real LesServer following anvil: a LesClient dialing the server's
 * `?transport=ws` enode gets verified answers equal to anvil's, side by side with a TCP client
 * under the same flow-control parameters, and the sessions view names each one's transport.
 * Hostile WebSocket input (text messages, oversized messages, malformed frames, handshake
 * garbage) and a wrong node key are refused with typed errors, and the server keeps serving.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { WebSocket } from 'ws';
import { LesClient } from '../../src/index.js';
import { CarrierError, DialError, LesNode, nodeIdFromPrivateKey, parseEnode, formatEnode, type PeerFailure } from '../../src/net/index.js';
import { MAX_WS_MESSAGE } from '../../src/net/ws-carrier.js';
import { LesServer } from '../../src/serve/index.js';
import { sessionRows } from '../../src/admin/methods/operator.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { clientStatus, serverStatus } from '../unit/net/fixtures.js';

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Open a raw WebSocket to `url`; resolves with it and the close code it later gets. */
async function rawWs(url: string): Promise<{ ws: WebSocket; closed: Promise<number> }> {
  const ws = new WebSocket(url);
  ws.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  await once(ws, 'open');
  return { ws, closed };
}

const wsUrl = (enode: string): string => {
  const { host, port } = parseEnode(enode);
  return `ws://${host}:${port}/`;
};

describe('LES over WebSocket (a real LesServer following anvil)', () => {
  let anvil: Anvil;
  let server: LesServer;
  let wsEnode: string;
  let tcpEnode: string;
  let genesis: string;
  const clients: LesClient[] = [];

  const newClient = async (enode: string): Promise<LesClient> => {
    const c = new LesClient({ servers: [{ enode, trusted: true }], network: 'devnet', genesisHash: genesis });
    clients.push(c);
    await c.start();
    return c;
  };

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    const [acct] = await anvil.rpc<string[]>('eth_accounts');
    await anvil.rpc('eth_sendTransaction', [{ from: acct, to: '0x00000000000000000000000000000000000000aa', value: '0x1234' }]);
    server = new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, wsPort: 0, pollIntervalMs: 50 });
    tcpEnode = await server.start();
    wsEnode = server.wsEnode as string;
  });
  after(async () => {
    for (const c of clients) await c.stop().catch(() => undefined);
    await server?.stop();
    await anvil?.stop();
  });

  it('advertises a ws enode with the same node id as the TCP one', () => {
    assert.match(wsEnode, /\?transport=ws$/);
    assert.deepEqual(parseEnode(wsEnode).id, parseEnode(tcpEnode).id);
    assert.notEqual(parseEnode(wsEnode).port, parseEnode(tcpEnode).port);
  });

  it("a LesClient over WebSocket gets verified answers equal to anvil's, beside a TCP client under the same flow control", async () => {
    const ws = await newClient(wsEnode);
    const tcp = await newClient(tcpEnode);
    const n = Number(await anvil.rpc<string>('eth_blockNumber'));
    await until('both clients at anvil head', () => (ws.head()?.header.number === n && tcp.head()?.header.number === n ? true : undefined));
    const [acct] = await anvil.rpc<string[]>('eth_accounts');
    for (const who of [acct as string, '0x00000000000000000000000000000000000000aa']) {
      const want = await anvil.rpc<string>('eth_getBalance', [who, 'latest']);
      assert.equal(await ws.request('eth_getBalance', [who, 'latest']), want);
      assert.equal(await tcp.request('eth_getBalance', [who, 'latest']), want);
    }
    const block = await anvil.rpc<{ hash: string; stateRoot: string }>('eth_getBlockByNumber', ['0x1', false]);
    const got = (await ws.request('eth_getBlockByNumber', ['0x1', false])) as { hash: string; stateRoot: string };
    assert.equal(got.hash, block.hash);
    assert.equal(got.stateRoot, block.stateRoot);

    const sessions = server.stats().sessions;
    const byTransport = new Map(sessions.map((s) => [s.remote.transport, s]));
    assert.deepEqual([...byTransport.keys()].sort(), ['tcp', 'ws']);
    const [w, t] = [byTransport.get('ws')!, byTransport.get('tcp')!];
    assert.equal(w.bl, t.bl);
    assert.equal(w.mrr, t.mrr);
    assert.equal(w.capacity, t.capacity);
    // The operator's sessions view names each session's transport.
    assert.deepEqual(sessionRows(server).map((r) => r.transport).sort(), ['tcp', 'ws']);
    // Requests over WebSocket were charged like any other: the ws session's buffer was spent and counted.
    assert.ok(Object.values(w.counters).some((v) => typeof v === 'number' && v > 0), JSON.stringify(w.counters));
    for (const c of clients.splice(0)) await c.stop();
  });

  it('a wrong node key on the ws enode is a typed dial error, and no session opens', async () => {
    const other = nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey());
    const { host, port } = parseEnode(wsEnode);
    const node = new LesNode({ role: 'client', status: clientStatus({ genesisHash: Uint8Array.from(Buffer.from(genesis.slice(2), 'hex')), networkId: 31337n }), dialTimeoutMs: 8000 });
    try {
      await assert.rejects(node.dial(formatEnode({ id: other, host, port, transport: 'ws' })), (err: unknown) => {
        assert.ok(err instanceof DialError, String(err));
        assert.equal(err.code, 'AUTH_DROPPED');
        return true;
      });
    } finally {
      await node.close();
    }
  });

  it('text, oversized, malformed and garbage WebSocket input are refused; the server keeps serving', async () => {
    const url = wsUrl(wsEnode);
    // A text message where RLPx bytes belong: the connection is dropped.
    const text = await rawWs(url);
    text.ws.send('hello');
    assert.notEqual(await text.closed, 1000);
    // One message past the limit: ws closes with 1009 (message too big) before buffering it.
    const big = await rawWs(url);
    big.ws.send(new Uint8Array(MAX_WS_MESSAGE + 1));
    assert.equal(await big.closed, 1009);
    // Handshake garbage: bytes that are no ECIES auth.
    const junk = await rawWs(url);
    junk.ws.send(Uint8Array.from({ length: 400 }, (_, i) => (i * 37) & 0xff));
    assert.notEqual(await junk.closed, 1000);
    // A malformed frame: a raw upgrade, then an unmasked frame with a reserved opcode.
    const { port } = parseEnode(wsEnode);
    const sock = tcpConnect(port, '127.0.0.1');
    await once(sock, 'connect');
    sock.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    await until('101', () => new Promise<true | undefined>((r) => sock.once('data', (d: Buffer) => r(d.toString().startsWith('HTTP/1.1 101') ? true : undefined))));
    sock.write(Uint8Array.from([0x83, 0x02, 0x00, 0x00]));
    await once(sock, 'close');
    // A plain HTTP request is told to upgrade.
    const res = await fetch(url.replace('ws:', 'http:'));
    assert.equal(res.status, 426);

    const c = await newClient(wsEnode);
    const [acct] = await anvil.rpc<string[]>('eth_accounts');
    assert.equal(await c.request('eth_getBalance', [acct, 'latest']), await anvil.rpc<string>('eth_getBalance', [acct, 'latest']));
  });

  it('a server-role LesNode reports each refused WebSocket with a typed CarrierError', async () => {
    const node = new LesNode({ role: 'server', status: serverStatus() });
    const failures: PeerFailure[] = [];
    node.on('peerError', (f) => failures.push(f));
    try {
      await node.listen(0);
      const port = await node.listenWs(0);
      const url = `ws://127.0.0.1:${port}/`;
      const text = await rawWs(url);
      text.ws.send('not bytes');
      await text.closed;
      const big = await rawWs(url);
      big.ws.send(new Uint8Array(MAX_WS_MESSAGE + 1));
      await big.closed;
      const codes = await until('two failures', () => (failures.length >= 2 ? failures.map((f) => (f.error as CarrierError).code) : undefined), 5000);
      assert.ok(failures.every((f) => f.error instanceof CarrierError), failures.map((f) => String(f.error)).join('; '));
      assert.deepEqual(codes.sort(), ['WS_MESSAGE_TOO_LARGE', 'WS_NOT_BINARY']);
    } finally {
      await node.close();
    }
  });
});

describe('enode URLs with a WebSocket transport', () => {
  const id = nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey());
  it('parse and format ?transport=ws|wss, alone or beside discport', () => {
    for (const transport of ['ws', 'wss'] as const) {
      const url = formatEnode({ id, host: '127.0.0.1', port: 8546, transport });
      assert.equal(url.endsWith(`?transport=${transport}`), true);
      assert.equal(parseEnode(url).transport, transport);
    }
    const both = formatEnode({ id, host: 'les.example.org', port: 443, discport: 30303, transport: 'wss' });
    assert.deepEqual({ ...parseEnode(both), id: undefined }, { id: undefined, host: 'les.example.org', port: 443, discport: 30303, transport: 'wss' });
  });
  it('refuses another transport or one given twice, naming the field', () => {
    const base = formatEnode({ id, host: '127.0.0.1', port: 1 });
    for (const bad of [`${base}?transport=tcp`, `${base}?transport=`, `${base}?transport=ws&transport=ws`]) {
      assert.throws(() => parseEnode(bad), (err: unknown) => (err as { field?: string }).field === 'transport');
    }
  });
});
