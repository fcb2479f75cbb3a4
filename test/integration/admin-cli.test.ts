/**
 * The real commands as processes: `lesp serve --admin-port` with a datadir writes a full-access
 * token (0600) at its first start and prints it once, serves the management endpoint on
 * 127.0.0.1, and `lesp admin` reads that token from the datadir and prints readable tables
 * (getinfo, sessions, peers) or exact JSON (--json). An unreachable endpoint and a refused token
 * are one line on stderr and exit code 1. `stop` ends the server with exit code 0; restarted on
 * the same datadir it prints no new token and the first one still works.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ethers } from 'ethers';
import { type Anvil, freePort, startAnvil } from '../helpers/anvil.js';
import { LesTestClient } from '../helpers/les-client.js';
import { type LespRun as Run, spawnLesp } from '../helpers/lesp-process.js';

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));

const lesp = (args: string[]): Run => spawnLesp(args);

async function lineOf(run: Run, prefix: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = run.stdout().split('\n').find((l) => l.startsWith(prefix));
    if (line !== undefined) return line.trim();
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`no "${prefix}" line:\n${run.stdout()}\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs `lesp admin ...` to its end. */
async function admin(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const run = lesp(['admin', ...args]);
  const { code } = await run.exit;
  return { code, out: run.stdout(), err: run.stderr() };
}

/** Lines of stderr that are not pino JSON logs. */
const plainLines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));

let anvil: Anvil;
let datadir: string;
let serve: Run;
let url: string;
let token: string;
let genesis: Uint8Array;
const running: Run[] = [];

function startServe(): Run {
  const run = lesp(['serve', '--rpc', anvil.url, '--port', '0', '--datadir', datadir, '--admin-port', '0', '--log-level', 'warn']);
  running.push(run);
  return run;
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('anvil_mine', ['0x8']);
  genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
  datadir = mkdtempSync(join(tmpdir(), 'lesp-admin-cli-'));
  serve = startServe();
  url = (await lineOf(serve, 'admin: ')).slice('admin: '.length);
  token = (await lineOf(serve, 'admin token')).split(': ').at(-1) as string;
});

after(async () => {
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await anvil?.stop();
  rmSync(datadir, { recursive: true, force: true });
});

describe('lesp serve --admin-port and lesp admin', () => {
  it('the first start writes the token 0600 in the datadir and prints it once; the endpoint is on 127.0.0.1', () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(token, /^lesp_[A-Za-z0-9_-]{43}$/);
    const file = join(datadir, 'admin.token');
    assert.equal(readFileSync(file, 'utf8').trim(), token);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(datadir, 'admin-sessions.json')).mode & 0o777, 0o600);
    assert.ok(!readFileSync(join(datadir, 'admin-sessions.json'), 'utf8').includes(token.slice(5)), 'only a hash of it');
    assert.ok(serve.stdout().includes(`saved in ${file}`));
  });

  it('prints getinfo, sessions and peers as readable text, and --json exactly', async () => {
    const enode = await lineOf(serve, 'enode://');
    const client = await LesTestClient.connect({ enode, networkId: 31337n, genesisHash: genesis });
    try {
      const info = await admin(['--url', url, '--datadir', datadir, 'getinfo']);
      assert.equal(info.code, 0, info.err);
      for (const key of ['sessions', 'errors', 'daemon_height', 'db_height', 'sections', 'uptime', 'pid', 'txs_sent']) assert.match(info.out, new RegExp(`^${key}:\\s+\\S`, 'm'), key);
      assert.match(info.out, /^sessions:\s+1$/m);
      assert.match(info.out, new RegExp(`^pid:\\s+${serve.child.pid}$`, 'm'));

      const sessions = await admin(['--url', url, '--datadir', datadir, 'sessions']);
      assert.equal(sessions.code, 0, sessions.err);
      const [header, row, ...rest] = sessions.out.trimEnd().split('\n');
      assert.deepEqual(header?.split(/\s{2,}/), ['ID', 'Flags', 'Client', 'Cap', 'Cost', 'XCost', 'Reqs', 'Txs', 'Errs', 'Recv', 'Recv KB', 'Sent', 'Sent KB', 'Time', 'Peer']);
      assert.deepEqual(rest, []);
      const id = ethers.keccak256(client.node.id).slice(2);
      assert.ok(row?.startsWith(id.slice(0, 16)), row);
      assert.match(row ?? '', /\s4A\s+les-provider\/client\s+16000\s/);
      assert.match(row ?? '', /127\.0\.0\.1:\d+$/);

      assert.equal((await admin(['--url', url, '--datadir', datadir, 'peers'])).out.trim(), '(none)');
      const added = await admin(['--url', url, '--datadir', datadir, 'add_peer', enode]);
      assert.equal(added.out.trim(), `peer '${enode}' added`);
      const peers = await admin(['--url', url, '--datadir', datadir, 'peers']);
      assert.deepEqual(peers.out.split('\n')[0]?.split(/\s{2,}/), ['ID', 'Host', 'Port', 'Status', 'Head', 'LES', 'Client', 'Last Good', 'Last Try', 'Tries', 'Source']);

      const json = await admin(['--url', url, '--token', token, '--json', 'les_addBalance', id, '9223372036854775807', 'max']);
      assert.equal(json.code, 0, json.err);
      assert.equal(json.out.trim(), '[\n  0,\n  9223372036854775807\n]');
      const parsed = JSON.parse((await admin(['--url', url, '--token', token, '--json', 'getinfo'])).out) as { sessions: number };
      assert.equal(parsed.sessions, 1);
    } finally {
      await client.close();
    }
  });

  it('one line and exit 1 for an unreachable endpoint, a refused token, a bad parameter', async () => {
    const port = await freePort();
    const down = await admin(['--url', `http://127.0.0.1:${port}`, '--token', token, 'getinfo']);
    assert.equal(down.code, 1);
    assert.deepEqual(plainLines(down.err), [`lesp admin getinfo: cannot reach http://127.0.0.1:${port} (ECONNREFUSED)`]);
    const refused = await admin(['--url', url, '--token', 'lesp_not-the-token-at-all', 'getinfo']);
    assert.equal(refused.code, 1);
    assert.deepEqual(plainLines(refused.err), [`lesp admin getinfo: ${url} refused the token (HTTP 401)`]);
    const bad = await admin(['--url', url, '--datadir', datadir, 'les_addBalance', '0x1234', '5']);
    assert.equal(bad.code, 1);
    assert.deepEqual(plainLines(bad.err), ['lesp admin les_addBalance: id: expected a node ID of 64 hex digits (or a 128-hex public key) (-32602)']);
    const noToken = await admin(['--url', url, 'getinfo']);
    assert.equal(noToken.code, 1);
    assert.match(plainLines(noToken.err)[0] ?? '', /^lesp admin getinfo: no token/);
  });

  it('stop ends the server cleanly; restarted on the datadir it prints no new token and the first one works', async () => {
    const stop = await admin(['--url', url, '--datadir', datadir, 'stop']);
    assert.equal(stop.out.trim(), 'stopping');
    assert.deepEqual(await serve.exit, { code: 0, signal: null });
    const again = startServe();
    const url2 = (await lineOf(again, 'admin: ')).slice('admin: '.length);
    assert.ok(!again.stdout().includes('admin token'), 'no token printed the second time');
    const info = await admin(['--url', url2, '--datadir', datadir, '--json', 'les_clientInfo', ...[]]);
    assert.equal(info.code, 0, info.err);
    const list = await admin(['--url', url2, '--token', token, 'sessions.list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out.split('\n')[1] ?? '', /first start\s+inuse\s+admin/);
    again.child.kill('SIGTERM');
    assert.deepEqual(await again.exit, { code: 0, signal: null });
  });
});
