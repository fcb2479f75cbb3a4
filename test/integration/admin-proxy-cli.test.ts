/**
 * `lesp proxy --admin-port` as a process in front of real LesServers: it prints its URL, then the
 * admin endpoint's and, at the first start with a datadir, a full-access token it wrote to
 * `<datadir>/admin.token` (0600). `lesp admin --datadir` reads that token: getpeerinfo as a
 * table, addnode adds the second server (which then shows in getpeerinfo with origin addnode),
 * and adding it again is one line and exit code 1. SIGTERM ends it with 0; restarted on the same
 * datadir it prints no new token and the first one still works. An admin port in use ends the
 * proxy with one line naming --admin-port. `lesp devnet --admin-port` prints the endpoint and a
 * token for this run after its summary, and getpeerinfo lists its servers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { PeerInfoRow } from '../../src/admin/index.js';
import { parseEnode } from '../../src/net/index.js';
import { type Devnet, genesisOf, startDevnet, until } from '../helpers/devnet-stack.js';
import { type LespRun as Run, spawnLesp } from '../helpers/lesp-process.js';

const lesp = (args: string[]): Run => spawnLesp(args);

async function admin(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const run = lesp(['admin', ...args]);
  const { code } = await run.exit;
  return { code, out: run.stdout(), err: run.stderr() };
}

/** stdout lines once `count` of them are there (or the process ended). */
async function lines(run: Run, count: number): Promise<string[]> {
  return until(`${count} lines of output`, () => {
    const l = run.stdout().split('\n').filter((x) => x.trim() !== '');
    if (l.length >= count) return l;
    if (run.child.exitCode !== null) throw new Error(`exited ${run.child.exitCode}:\n${run.stdout()}\n${run.stderr()}`);
    return undefined;
  }, 90_000);
}

const plain = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
const idOf = (enode: string): string => Buffer.from(parseEnode(enode).id).toString('hex');

let devnet: Devnet;
let genesis: string;
let datadir: string;
const running: Run[] = [];
const servers: Server[] = [];

function proxy(extra: string[]): Run {
  const first = devnet.servers[0]?.enode as string;
  const run = lesp(['proxy', '--server', first, '--trusted', first, '--network', 'devnet', '--genesis-hash', genesis, '--http-port', '0', '--log-level', 'warn', ...extra]);
  running.push(run);
  return run;
}

before(async () => {
  devnet = await startDevnet({ servers: 2, noClient: true });
  genesis = await genesisOf(devnet.anvil);
  datadir = mkdtempSync(join(tmpdir(), 'lesp-proxy-admin-'));
});

after(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  for (const s of servers) s.close();
  await devnet?.stop();
  rmSync(datadir, { recursive: true, force: true });
});

describe('lesp proxy --admin-port', () => {
  let token: string;

  it('prints the endpoint and a first-start token saved 0600; lesp admin --datadir runs getpeerinfo and addnode', async () => {
    const run = proxy(['--datadir', datadir, '--admin-port', '0']);
    const [url, adminLine, tokenLine] = await lines(run, 3);
    assert.match(url as string, /^http:\/\/127\.0\.0\.1:\d+$/);
    const adminUrl = /^admin: (http:\/\/127\.0\.0\.1:\d+)$/.exec(adminLine as string)?.[1];
    assert.ok(adminUrl !== undefined, adminLine);
    const file = join(datadir, 'admin.token');
    const m = /^admin token \(full access, saved in (.+); shown once\): (lesp_\S+)$/.exec(tokenLine as string);
    assert.ok(m !== null, tokenLine);
    assert.equal(m[1], file);
    token = m[2] as string;
    assert.equal(readFileSync(file, 'utf8').trim(), token);
    assert.equal(statSync(file).mode & 0o777, 0o600);

    const common = ['--url', adminUrl, '--datadir', datadir];
    const [first, second] = devnet.servers.map((s) => s.enode) as [string, string];
    const table = await admin([...common, 'getpeerinfo']);
    assert.equal(table.code, 0, table.err);
    const rows = table.out.trimEnd().split('\n');
    assert.match(rows[0] as string, /^ID\s+Addr\s+LES\s+Client\s+Head/);
    assert.equal(rows.length, 2);
    assert.ok(rows[1]?.startsWith(idOf(first).slice(0, 16)), rows[1]);
    assert.match(rows[1] as string, /configured,trusted$/);

    const added = await admin([...common, 'addnode', second, 'add']);
    assert.equal(added.code, 0, added.err);
    assert.equal(added.out.trim(), 'true');
    const row = await until('the added server connected', async () => {
      const r = await admin([...common, '--json', 'getpeerinfo']);
      return (JSON.parse(r.out) as PeerInfoRow[]).find((p) => p.id === idOf(second));
    }, 60_000);
    assert.equal(row.origin, 'addnode');
    assert.equal(row.addr, `127.0.0.1:${parseEnode(second).port}`);

    const again = await admin([...common, 'addnode', second, 'add']);
    assert.equal(again.code, 1);
    assert.deepEqual(plain(again.err).length, 1);
    assert.match(plain(again.err)[0] as string, /^lesp admin addnode: enode: already added: .*\(-32602\)$/);

    run.child.kill('SIGTERM');
    assert.equal((await run.exit).code, 0, run.stderr());
  });

  it('restarted on the same datadir: no new token, the first one still works', async () => {
    const run = proxy(['--datadir', datadir, '--admin-port', '0']);
    const [, adminLine] = await lines(run, 2);
    const adminUrl = (adminLine as string).replace(/^admin: /, '');
    const r = await admin(['--url', adminUrl, '--token', token, '--json', 'getpeerinfo']);
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as PeerInfoRow[]).length, 1, 'only the configured server: addnode is not saved');
    assert.equal(run.stdout().includes('admin token'), false);
    run.child.kill('SIGTERM');
    assert.equal((await run.exit).code, 0, run.stderr());
  });

  it('lesp devnet --admin-port: the endpoint after the summary, its servers in getpeerinfo', async () => {
    const run = lesp(['devnet', '--servers', '1', '--sections', '0', '--les-port', '0', '--http-port', '0', '--admin-port', '0']);
    running.push(run);
    const tokenLine = await until('the admin token line', () => {
      if (run.child.exitCode !== null) throw new Error(`devnet exited ${run.child.exitCode}:\n${run.stderr()}`);
      return run.stdout().split('\n').find((l) => l.startsWith('admin token'));
    }, 120_000);
    const out = run.stdout().split('\n');
    const adminUrl = out.find((l) => l.startsWith('admin: '))?.slice('admin: '.length) as string;
    assert.ok(out.indexOf(`admin: ${adminUrl}`) > out.findIndex((l) => l.includes('Ctrl-C')), 'after the summary');
    const m = /^admin token \(full access, this run only\): (lesp_\S+)$/.exec(tokenLine);
    assert.ok(m !== null, tokenLine);
    const enode = /enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+/.exec(run.stdout())?.[0] as string;
    const r = await admin(['--url', adminUrl, '--token', m[1] as string, '--json', 'getpeerinfo']);
    assert.equal(r.code, 0, r.err);
    const rows = JSON.parse(r.out) as PeerInfoRow[];
    assert.deepEqual(rows.map((p) => [p.enode, p.origin, p.trusted]), [[enode, 'configured', true]]);
    run.child.kill('SIGTERM');
    assert.equal((await run.exit).code, 0, run.stderr());
  });

  it('an admin port in use is one line naming --admin-port, exit code 1', async () => {
    const busy = createServer();
    servers.push(busy);
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    const run = proxy(['--admin-port', String(port)]);
    assert.equal((await run.exit).code, 1);
    assert.deepEqual(plain(run.stderr()), [`lesp proxy: 127.0.0.1:${port} is in use (--admin-port)`]);
  });
});
