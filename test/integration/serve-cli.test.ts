/**
 * The real `lesp serve` command, spawned as a process: bad flags end it with one line on stderr
 * and a non-zero exit (no stack trace); an unreachable node fails fast the same way; against
 * anvil it prints its enode, serves a plain LES client (answers verified and compared with
 * anvil), keeps its node key under --datadir, and exits 0 on SIGTERM and on SIGINT.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { accountKey, decodeHeader, headerHash, verifyAccountProof, verifyReceipts } from '../../src/verify/index.js';
import { decodeRlp, type RlpItem } from '../../src/wire/index.js';
import { type Anvil, freePort, sendTx, startAnvil } from '../helpers/anvil.js';
import { allocFromDump } from '../helpers/anvil-alloc.js';
import { LesTestClient } from '../helpers/les-client.js';
import { type LespRun as Run, enodeOf, spawnLesp } from '../helpers/lesp-process.js';

const DEV = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

const lesp = (args: string[]): Run => spawnLesp(args);

/** Lines of stderr that are not pino JSON logs. */
const plainLines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

let anvil: Anvil;
let datadir: string;
const running: Run[] = [];

let badAlloc: string;

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await sendTx(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000dd', value: '0x10' });
  datadir = mkdtempSync(join(tmpdir(), 'lesp-cli-'));
  badAlloc = join(datadir, 'bad-genesis.json');
  writeFileSync(badAlloc, JSON.stringify({ alloc: { 'not-an-address': { balance: '1' } } }));
});

after(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  await anvil?.stop();
  rmSync(datadir, { recursive: true, force: true });
});

describe('lesp serve (the command)', () => {
  const bad: Array<[string, string[], RegExp]> = [
    ['no --rpc', [], /--rpc/],
    ['an --rpc that is not a URL', ['--rpc', 'localhost'], /--rpc/],
    ['an unknown flag', ['--rpc', 'http://127.0.0.1:1', '--frobnicate'], /frobnicate/],
    ['a port that is not a number', ['--rpc', 'http://127.0.0.1:1', '--port', 'x1'], /--port/],
    ['a port out of range', ['--rpc', 'http://127.0.0.1:1', '--port', '70000'], /--port/],
    ['a short node key', ['--rpc', 'http://127.0.0.1:1', '--nodekey', 'abcd'], /--nodekey/],
    ['both key flags', ['--rpc', 'http://127.0.0.1:1', '--nodekey', '11'.repeat(32), '--nodekey-file', 'k'], /cannot be used with/],
    ['an unknown network', ['--rpc', 'http://127.0.0.1:1', '--network', 'no-such-net.json'], /--network/],
    ['a section size below 8', ['--rpc', 'http://127.0.0.1:1', '--section-size', '4'], /--section-size/],
    ['a missing key file', ['--rpc', 'http://127.0.0.1:1', '--nodekey-file', '/nonexistent/key'], /--nodekey-file/],
    ['a missing genesis alloc', ['--rpc', 'http://127.0.0.1:1', '--genesis-alloc', '/nonexistent/genesis.json'], /--genesis-alloc/],
    ['a genesis alloc with a bad address', ['--rpc', 'http://127.0.0.1:1', '--genesis-alloc', 'BAD_ALLOC'], /--genesis-alloc/],
  ];
  for (const [what, args, pattern] of bad) {
    it(`rejects ${what} with one line and a non-zero exit`, async () => {
      const run = lesp(['serve', '--log-level', 'silent', ...args.map((a) => (a === 'BAD_ALLOC' ? badAlloc : a))]);
      const { code } = await run.exit;
      assert.notEqual(code, 0);
      const lines = plainLines(run.stderr());
      assert.equal(lines.length, 1, `one line, got:\n${run.stderr()}`);
      assert.match(lines[0]!, pattern);
      assert.doesNotMatch(run.stderr(), /\n\s+at /, 'no stack trace');
      assert.equal(run.stdout(), '');
    });
  }

  it('fails fast with one line when the node does not answer', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const run = lesp(['serve', '--log-level', 'silent', '--rpc', `http://127.0.0.1:${port}`, '--port', '0']);
    const { code } = await run.exit;
    assert.equal(code, 1);
    assert.ok(Date.now() - t0 < 20_000);
    const lines = plainLines(run.stderr());
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0]!, /does not answer/);
  });

  it('prints its enode, serves verified answers, keeps its key in --datadir and exits 0 on SIGTERM', async () => {
    const args = ['serve', '--rpc', anvil.url, '--port', '0', '--datadir', datadir, '--section-size', '64', '--confirmations', '16', '--log-level', 'info'];
    const run = lesp(args);
    running.push(run);
    const enode = await enodeOf(run);
    assert.match(enode, /^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/);
    const key = readFileSync(join(datadir, 'nodekey'), 'utf8').trim();
    assert.match(key, /^[0-9a-f]{64}$/);
    assert.ok(run.stderr().split('\n').some((l) => l.includes('serve: listening')), 'progress is logged');

    await sendTx(anvil, { from: DEV, to: '0x00000000000000000000000000000000000000ee', value: '0x20' });
    const latest = await anvil.rpc<{ hash: string; number: string; stateRoot: string }>('eth_getBlockByNumber', ['latest', false]);
    const genesis = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false]);
    const client = await LesTestClient.connect({ enode, networkId: 31337n, genesisHash: bytes(genesis.hash) });
    try {
      // The new block reaches the command's follower (1 s polls) and is announced.
      const deadline = Date.now() + 15_000;
      while (!client.announces.some((a) => hex(a.headHash) === latest.hash) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.ok(client.announces.some((a) => hex(a.headHash) === latest.hash), 'the new head is announced');
      const h = await client.headers({ origin: { hash: bytes(latest.hash) }, amount: 1, skip: 0, reverse: false });
      assert.equal(hex(headerHash(h.headers[0]!)), latest.hash);
      const header = decodeHeader(h.headers[0]!);
      const r = await client.receipts([bytes(latest.hash)]);
      const receipts = verifyReceipts(r.receipts[0]!.map((x): RlpItem => ((x[0] as number) >= 0xc0 ? decodeRlp(x, 't') : x)), header);
      assert.equal(receipts.length, 1);
      const p = await client.proofs([{ blockHash: bytes(latest.hash), accountKey: accountKey(bytes(DEV)), storageKey: new Uint8Array(0), fromLevel: 0 }]);
      const acc = verifyAccountProof(bytes(latest.stateRoot), bytes(DEV), p.nodes);
      assert.equal(acc?.balance, BigInt(await anvil.rpc<string>('eth_getBalance', [DEV, latest.number])));
    } finally {
      await client.close();
    }
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exit;
    assert.equal(signal, null);
    assert.equal(code, 0, run.stderr().slice(-2000));
    assert.ok(run.stderr().includes('store closed'), 'the store was flushed and closed');

    // Started again on the same datadir: the same key, so the same node id; SIGINT also exits 0.
    const again = lesp(args);
    running.push(again);
    const enode2 = await enodeOf(again);
    assert.equal(enode2.split('@')[0], enode.split('@')[0]);
    again.child.kill('SIGINT');
    assert.equal((await again.exit).code, 0);
  });

  it('--genesis-alloc seeds the preimage index: before a node without debug_* or anvil_*, an alloc account no block names is served to a standard request', async () => {
    // A node of its own behind a relay that refuses debug_* and anvil_* as a plain node would; the
    // alloc is that node's own genesis accounts (anvil's dump, read here by the test).
    const node = await startAnvil({ hardfork: 'prague' });
    let refused = 0;
    const relay = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const calls = JSON.parse(body) as { id: number; method: string } | Array<{ id: number; method: string }>;
        const list = Array.isArray(calls) ? calls : [calls];
        const no = (m: string) => m.startsWith('debug_') || m.startsWith('anvil_');
        if (list.some((c) => no(c.method))) {
          refused++;
          const err = (c: { id: number; method: string }) => ({ jsonrpc: '2.0', id: c.id, error: { code: -32601, message: `the method ${c.method} does not exist/is not available` } });
          // Answer the whole batch: the refused calls as errors, the rest from the node.
          const rest = list.filter((c) => !no(c.method));
          const forward = rest.length === 0 ? Promise.resolve([]) : fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rest) }).then((r) => r.json() as Promise<unknown[]>);
          forward
            .then((answers) => {
              res.setHeader('content-type', 'application/json');
              const out = [...answers, ...list.filter((c) => no(c.method)).map(err)];
              res.end(JSON.stringify(Array.isArray(calls) ? out : out[0]));
            })
            .catch(() => res.destroy());
          return;
        }
        fetch(node.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          .then(async (r) => {
            res.setHeader('content-type', 'application/json');
            res.end(await r.text());
          })
          .catch(() => res.destroy());
      });
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    try {
      const file = join(datadir, 'genesis.json');
      writeFileSync(file, JSON.stringify(await allocFromDump(node)));
      // anvil's dev account #7: funded at genesis, in no block.
      const quiet = '0x14dc79964da2c08b23698b3d3cc7ca32193d9955';
      const run = lesp(['serve', '--rpc', relayUrl, '--port', '0', '--genesis-alloc', file, '--log-level', 'warn']);
      running.push(run);
      const enode = await enodeOf(run);
      const to = '0x00000000000000000000000000000000000000ab';
      await sendTx(node, { from: DEV, to, value: '0x99' });
      await node.rpc('evm_mine');
      const latest = await node.rpc<{ hash: string; number: string; stateRoot: string }>('eth_getBlockByNumber', ['latest', false]);
      const genesis = await node.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false]);
      const client = await LesTestClient.connect({ enode, networkId: 31337n, genesisHash: bytes(genesis.hash) });
      try {
        const deadline = Date.now() + 15_000;
        while (!client.announces.some((a) => hex(a.headHash) === latest.hash) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        for (const a of [to, quiet]) {
          const p = await client.proofs([{ blockHash: bytes(latest.hash), accountKey: accountKey(bytes(a)), storageKey: new Uint8Array(0), fromLevel: 0 }]);
          const acc = verifyAccountProof(bytes(latest.stateRoot), bytes(a), p.nodes);
          assert.equal(acc?.balance, BigInt(await node.rpc<string>('eth_getBalance', [a, latest.number])), `balance of ${a}`);
        }
      } finally {
        await client.close();
      }
      assert.ok(refused > 0, 'the server asked for the prestate tracer and did without it');
      run.child.kill('SIGTERM');
      assert.equal((await run.exit).code, 0);
    } finally {
      relay.close();
      await node.stop();
    }
  });
});
