// Unit tests of the serve module's JSON-RPC client and block reader (used by serve/state) against
// a scripted HTTP server on 127.0.0.1.
import assert from 'node:assert/strict';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { parseRpcBlock } from '../../../src/serve/rpc/block.js';
import { NodeRpcClient, isReadMethod } from '../../../src/serve/rpc/client.js';
import { NodeRpcError } from '../../../src/serve/rpc/errors.js';

type Handler = (body: unknown, res: ServerResponse) => void;
let handler: Handler = () => {};
let requests = 0;
let url = '';
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let data = '';
  req.on('data', (d: Buffer) => (data += d.toString()));
  req.on('end', () => {
    requests++;
    handler(JSON.parse(data), res);
  });
});
const json = (res: ServerResponse, body: unknown, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
type Req = { id: number; method: string; params: unknown[] };

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

const isErr = (code: string, extra: (e: NodeRpcError) => boolean = () => true) => (e: unknown) =>
  e instanceof NodeRpcError && e.code === code && extra(e);

describe('NodeRpcClient', () => {
  it('sends a JSON-RPC 2.0 request and returns the result', async () => {
    let seen: Req | undefined;
    handler = (body, res) => {
      seen = body as Req;
      json(res, { jsonrpc: '2.0', id: seen.id, result: '0x7a69' });
    };
    const rpc = new NodeRpcClient({ url });
    assert.equal(await rpc.call('eth_chainId'), '0x7a69');
    assert.equal(seen?.method, 'eth_chainId');
    assert.deepEqual(seen?.params, []);
  });

  it('refuses an answer longer than maxResponseBytes (NODE_BAD_RESPONSE, no retry), reading no further', async () => {
    let sent = 0;
    handler = (body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // A result that never ends: 64 KiB chunks until the client hangs up.
      res.write(`{"jsonrpc":"2.0","id":${(body as Req).id},"result":"0x`);
      const more = () => {
        if (res.destroyed || sent > 64 * 1024 * 1024) return void res.end();
        sent += 65_536;
        res.write('ab'.repeat(32_768), () => setImmediate(more));
      };
      more();
    };
    const before = requests;
    await assert.rejects(new NodeRpcClient({ url, maxResponseBytes: 1 << 20 }).call('eth_getProof', ['0x00', [], 'latest']), isErr('NODE_BAD_RESPONSE', (e) => /longer than 1048576 bytes/.test(e.message)));
    assert.equal(requests - before, 1, 'not retried');
    assert.ok(sent < 16 * 1024 * 1024, `the server sent ${sent} bytes before the client hung up`);
    const ok = new NodeRpcClient({ url });
    handler = (body, res) => json(res, { jsonrpc: '2.0', id: (body as Req).id, result: `0x${'ab'.repeat(600_000)}` });
    assert.equal(((await ok.call('eth_getCode', ['0x00', 'latest'])) as string).length, 1_200_002, 'the default bound lets a 1.2 MB answer through');
  });

  it('returns null results as null (a missing block is not an error)', async () => {
    handler = (body, res) => json(res, { jsonrpc: '2.0', id: (body as Req).id, result: null });
    assert.equal(await new NodeRpcClient({ url }).call('eth_getBlockByNumber', ['0x99', false]), null);
  });

  it('matches batch answers by id whatever their order, and settles each', async () => {
    handler = (body, res) => {
      const reqs = body as Req[];
      const answers = reqs.map((r) => (r.method === 'bad' ? { jsonrpc: '2.0', id: r.id, error: { code: -32601, message: 'no such method' } } : { jsonrpc: '2.0', id: r.id, result: r.params[0] }));
      json(res, answers.reverse());
    };
    const rpc = new NodeRpcClient({ url });
    assert.deepEqual(await rpc.batch([{ method: 'a', params: [1] }, { method: 'b', params: [2] }]), [1, 2]);
    const settled = await rpc.batchSettled([{ method: 'a', params: ['x'] }, { method: 'bad' }]);
    assert.deepEqual(settled[0], { ok: true, result: 'x' });
    assert.ok(!settled[1]!.ok && settled[1]!.error.code === 'NODE_RPC_ERROR' && settled[1]!.error.rpcCode === -32601);
    await assert.rejects(rpc.batch([{ method: 'bad' }]), isErr('NODE_RPC_ERROR', (e) => e.method === 'bad'));
    assert.deepEqual(await rpc.batch([]), []);
  });

  it('reports a JSON-RPC error with its code, message, data and method', async () => {
    handler = (body, res) => json(res, { jsonrpc: '2.0', id: (body as Req).id, error: { code: 3, message: 'execution reverted', data: '0x08c379a0' } });
    await assert.rejects(
      new NodeRpcClient({ url }).call('eth_call', [{}]),
      isErr('NODE_RPC_ERROR', (e) => e.rpcCode === 3 && e.data === '0x08c379a0' && e.method === 'eth_call' && /execution reverted/.test(e.message)),
    );
  });

  it('times out a call that gets no answer (NODE_TIMEOUT), without retrying a write', async () => {
    requests = 0;
    handler = () => {}; // never answers
    const rpc = new NodeRpcClient({ url, timeoutMs: 100, retries: 3, retryDelayMs: 1 });
    await assert.rejects(rpc.call('eth_sendRawTransaction', ['0x00']), isErr('NODE_TIMEOUT'));
    assert.equal(requests, 1);
  });

  it('retries a read after a transient failure, and succeeds', async () => {
    requests = 0;
    handler = (body, res) => (requests < 3 ? json(res, { error: 'busy' }, 503) : json(res, { jsonrpc: '2.0', id: (body as Req).id, result: '0x1' }));
    const rpc = new NodeRpcClient({ url, retries: 2, retryDelayMs: 1 });
    assert.equal(await rpc.call('eth_blockNumber'), '0x1');
    assert.equal(requests, 3);
  });

  it('gives up after the configured retries with the last error', async () => {
    requests = 0;
    handler = (_b, res) => json(res, { error: 'busy' }, 503);
    const rpc = new NodeRpcClient({ url, retries: 2, retryDelayMs: 1 });
    await assert.rejects(rpc.call('eth_getBalance', ['0x00', 'latest']), isErr('NODE_HTTP_ERROR', (e) => e.httpStatus === 503));
    assert.equal(requests, 3);
  });

  it('does not retry a JSON-RPC error: the node did answer', async () => {
    requests = 0;
    handler = (body, res) => json(res, { jsonrpc: '2.0', id: (body as Req).id, error: { code: -32000, message: 'header not found' } });
    await assert.rejects(new NodeRpcClient({ url, retries: 3, retryDelayMs: 1 }).call('eth_getProof', []), isErr('NODE_RPC_ERROR'));
    assert.equal(requests, 1);
  });

  it('reports an unreachable node as NODE_UNREACHABLE, distinct from a node error', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const rpc = new NodeRpcClient({ url: `http://127.0.0.1:${port}`, retries: 1, retryDelayMs: 1 });
    await assert.rejects(rpc.call('eth_blockNumber'), isErr('NODE_UNREACHABLE', (e) => e.transient));
  });

  const malformed: Array<[string, Handler, string, string | undefined]> = [
    ['a body that is not JSON', (_b, res) => res.end('<html>'), 'NODE_BAD_RESPONSE', 'body'],
    ['an answer with another id', (_b, res) => json(res, { jsonrpc: '2.0', id: 424242, result: 1 }), 'NODE_BAD_RESPONSE', 'id'],
    ['an answer with neither result nor error', (b, res) => json(res, { jsonrpc: '2.0', id: (b as Req).id }), 'NODE_BAD_RESPONSE', 'result'],
    ['a malformed error object', (b, res) => json(res, { jsonrpc: '2.0', id: (b as Req).id, error: 'oops' }), 'NODE_BAD_RESPONSE', 'error'],
    ['HTTP 404 with a non-JSON body', (_b, res) => { res.writeHead(404); res.end('not found'); }, 'NODE_HTTP_ERROR', undefined],
  ];
  for (const [what, h, code, field] of malformed) {
    it(`rejects ${what} as ${code}`, async () => {
      handler = h;
      await assert.rejects(new NodeRpcClient({ url, retries: 0 }).call('eth_blockNumber'), isErr(code, (e) => e.field === field));
    });
  }

  it('rejects a batch answered by a single error object, and a batch answer that is not an array', async () => {
    handler = (_b, res) => json(res, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'batch too large' } });
    await assert.rejects(new NodeRpcClient({ url }).batch([{ method: 'a' }, { method: 'b' }]), isErr('NODE_RPC_ERROR', (e) => e.rpcCode === -32600));
    handler = (_b, res) => json(res, { jsonrpc: '2.0', id: 1, result: 1 });
    await assert.rejects(new NodeRpcClient({ url }).batch([{ method: 'a' }]), isErr('NODE_BAD_RESPONSE', (e) => e.field === 'body'));
  });

  it('classifies reads and writes', () => {
    for (const m of ['eth_getBalance', 'eth_getProof', 'eth_call', 'debug_traceBlockByHash', 'eth_blockNumber', 'anvil_dumpState']) assert.ok(isReadMethod(m), m);
    for (const m of ['eth_sendRawTransaction', 'anvil_mine', 'evm_mine', 'eth_getFilterChanges', 'eth_newFilter', 'anvil_setBalance']) assert.ok(!isReadMethod(m), m);
  });
});

// A block of anvil 1.7.1 (prague), trimmed to the fields the reader takes.
const block = {
  hash: '0x071863de58e5ffc1b3fc4f47fae6a77272294baaca032f90c3ec8dd1a555d604',
  parentHash: '0x0000000000000000000000000000000000000000000000000000000000000000',
  miner: '0x0000000000000000000000000000000000000000',
  stateRoot: '0x55bc27f8f777a084736b928684209df76924e8d936bae8c0e03795c55bacb75c',
  difficulty: '0x0',
  number: '0x1',
  timestamp: '0x6b01a9ed',
  parentBeaconBlockRoot: '0x0000000000000000000000000000000000000000000000000000000000000000',
  uncles: [],
  withdrawals: [{ index: '0x5', validatorIndex: '0x10', address: '0x70997970c51812dc3a010c7d01b50e0d17dc79c8', amount: '0x3b9aca00' }],
};

describe('parseRpcBlock', () => {
  it('reads the fields state following needs', () => {
    const b = parseRpcBlock(block);
    assert.equal(b.number, 1);
    assert.equal(b.timestamp, 0x6b01a9ed);
    assert.equal(Buffer.from(b.stateRoot).toString('hex'), block.stateRoot.slice(2));
    assert.equal(b.withdrawals?.[0]?.amount, 1_000_000_000n);
    assert.equal(b.withdrawals?.[0]?.address.length, 20);
    assert.equal(parseRpcBlock({ ...block, withdrawals: undefined }).withdrawals, undefined);
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['a short hash', { hash: '0x1234' }, 'hash'],
    ['a non-hex state root', { stateRoot: `0x${'zz'.repeat(32)}` }, 'stateRoot'],
    ['a missing number', { number: undefined }, 'number'],
    ['a number past 2^53', { number: '0x20000000000000' }, 'number'],
    ['a negative timestamp', { timestamp: -1 }, 'timestamp'],
    ['an odd-length miner', { miner: '0x123' }, 'miner'],
    ['withdrawals that are not a list', { withdrawals: {} }, 'withdrawals'],
    ['a withdrawal with a bad amount', { withdrawals: [{ ...block.withdrawals[0], amount: 'lots' }] }, 'withdrawals[0].amount'],
  ];
  for (const [what, patch, field] of bad) {
    it(`rejects ${what} naming the field`, () => {
      assert.throws(() => parseRpcBlock({ ...block, ...patch }), isErr('NODE_BAD_RESPONSE', (e) => e.field === field));
    });
  }
  it('rejects a block that is not an object', () => {
    assert.throws(() => parseRpcBlock('0x01'), isErr('NODE_BAD_RESPONSE', (e) => e.field === 'block'));
  });
});
