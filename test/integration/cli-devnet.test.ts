/**
 * The real `lesp devnet` command, spawned as a process: within 20 s of its start, the
 * curl-equivalent eth_getBalance of a dev account through its proxy equals anvil's own answer;
 * it prints chain id, node URL, enodes, proxy URL, dev accounts with their public test keys and a
 * curl line; SIGINT ends it with exit code 0 and no process left behind (anvil included); a
 * SIGKILL'd devnet still takes anvil with it (watchdog); the same seed gives the same node ids;
 * `--rpc` follows a node it did not start (and starts no anvil); an unreachable --rpc fails with
 * one line. --evm-timeout-ms and --gas-cap reach the proxy's EVM.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Wallet } from 'ethers';
import { type Anvil, freePort, rpcCall, startAnvil } from '../helpers/anvil.js';
import { type LespRun as Run, spawnLesp } from '../helpers/lesp-process.js';

/** anvil's first dev account and its key, as anvil's own documentation lists them. */
const DEV0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const DEV0_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

function devnet(args: string[]): Run {
  const run = spawnLesp(['devnet', ...args]);
  running.push(run.child);
  return run;
}

const running: ChildProcess[] = [];
const anvils: Anvil[] = [];
after(async () => {
  for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const a of anvils) await a.stop();
});

/** A live (not zombie) process? Read from /proc: Linux. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** Every live descendant of `root`, from /proc's parent links. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length > 0) {
    for (const c of children.get(todo.pop() as number) ?? []) {
      out.push(c);
      todo.push(c);
    }
  }
  return out.filter(alive);
}

/** Polls a condition (not a clock): gives up after many rounds. */
async function until(check: () => boolean | Promise<boolean>, what: string, rounds = 400): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`never happened: ${what}`);
}

async function summary(run: Run): Promise<string> {
  await until(() => run.stdout().includes('Ctrl-C stops everything.') || run.child.exitCode !== null, 'the devnet summary', 1200);
  assert.ok(run.stdout().includes('Ctrl-C stops everything.'), `no summary; stderr:\n${run.stderr()}`);
  return run.stdout();
}

const field = (text: string, re: RegExp): string => {
  const m = re.exec(text);
  assert.ok(m?.[1] !== undefined, `${re} not in:\n${text}`);
  return m[1];
};
/** Node ids of the "LES servers" rows (the ready lines further down name them again). */
const nodeIds = (text: string): string[] => [...text.matchAll(/^(?:LES servers)? +enode:\/\/([0-9a-f]{128})@127\.0\.0\.1:\d+$/gm)].map((m) => m[1] as string);

/** The curl line of the acceptance check, as fetch: the `result`, or undefined while it is not there. */
async function post(url: string, method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as { result?: unknown; error?: { code: number; message: string } };
}

async function balanceVia(url: string, address: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [address, 'latest'] }),
    });
    const body = (await res.json()) as { result?: string };
    return body.result;
  } catch {
    return undefined;
  }
}

describe('lesp devnet (the command)', () => {
  let firstIds: string[] = [];

  it('serves a dev account\'s balance, verified, equal to anvil\'s within 20 s; prints the summary; --evm-timeout-ms and --gas-cap reach its EVM; SIGINT: exit 0, nothing left', async () => {
    const port = await freePort();
    const proxyUrl = `http://127.0.0.1:${port}`;
    const run = devnet(['--http-port', String(port), '--les-port', '0', '--log-level', 'info', '--evm-timeout-ms', '200', '--gas-cap', '30000000']);
    const deadline = run.started + 20_000;
    let balance: string | undefined;
    while (balance === undefined && Date.now() < deadline && run.child.exitCode === null) {
      balance = await balanceVia(proxyUrl, DEV0);
      if (balance === undefined) await sleep(100);
    }
    assert.ok(balance !== undefined, `no balance from ${proxyUrl} within 20 s of the start; stderr:\n${run.stderr().slice(-3000)}`);

    const text = await summary(run);
    const nodeUrl = field(text, /Node RPC +(http:\/\/127\.0\.0\.1:\d+)/);
    assert.equal(balance, await rpcCall<string>(nodeUrl, 'eth_getBalance', [DEV0, 'latest']), 'the proxy answers what anvil answers');
    assert.ok(BigInt(balance) > 0n, 'the account is funded');
    assert.equal(field(text, /Chain id +(\d+)/), String(BigInt(await rpcCall<string>(nodeUrl, 'eth_chainId'))));
    assert.match(text, /hardfork prague/);
    firstIds = nodeIds(text);
    assert.equal(firstIds.length, 2, 'two LES servers by default');
    assert.equal(field(text, /Proxy +(http:\/\/\S+)/), proxyUrl);
    assert.ok(text.includes(`${DEV0}  `), 'dev account 0 listed');
    assert.ok(text.includes(DEV0_KEY), 'with its public test key');
    assert.equal(new Wallet(DEV0_KEY).address, DEV0);
    assert.match(text, /PUBLIC test keys/);
    const curl = field(text, /^ +(curl .*)$/m);
    assert.ok(curl.includes(proxyUrl) && curl.includes('eth_getBalance'));
    for (const line of run.stderr().split('\n').filter((l) => l.trim() !== '')) assert.doesNotThrow(() => JSON.parse(line), `stderr is JSON logs: ${line}`);

    const pids = descendants(run.child.pid as number);
    const anvilPid = Number(field(text, /pid (\d+)/));
    assert.ok(pids.includes(anvilPid) && cmdline(anvilPid).includes('anvil'), `anvil (${anvilPid}) runs under the devnet: ${pids.map(cmdline).join(' | ')}`);
    assert.ok((await rpcCall<string>(nodeUrl, 'eth_blockNumber')) !== undefined);

    // The EVM limits from the flags: an endless loop ends at 200 ms; a caller's gas is capped to 30M
    // (GAS; PUSH1 0; MSTORE; PUSH1 32; PUSH1 0; RETURN answers the gas left, as anvil does at 30M).
    assert.deepEqual((await post(proxyUrl, 'eth_call', [{ data: '0x5b600056' }, 'latest'])).error?.message, 'execution aborted (timeout = 200ms)');
    const probe = { '0x00000000000000000000000000000000000ca11e': { code: '0x5a60005260206000f3' } };
    const capped = await post(proxyUrl, 'eth_call', [{ to: '0x00000000000000000000000000000000000ca11e', gas: '0xffffffffffff' }, 'latest', probe]);
    assert.equal(capped.result, await rpcCall<string>(nodeUrl, 'eth_call', [{ to: '0x00000000000000000000000000000000000ca11e', gas: '0x1c9c380' }, 'latest', probe]));

    // The genesis hash is anvil's; the printed `lesp proxy` line, run as printed (on a free port), serves
    // the same verified balance; a test method through the devnet's URL moves the verified head.
    const genesis = field(text, /^Genesis +(0x[0-9a-f]{64})$/m);
    assert.equal(genesis, (await rpcCall<{ hash: string }>(nodeUrl, 'eth_getBlockByNumber', ['0x0', false])).hash);
    const line = field(text, /^ +lesp proxy (.*)$/m).split(' ');
    assert.ok(line.includes(genesis) && firstIds.every((id) => line.some((a) => a.includes(id))));
    assert.match(field(text, /^ +(new LesProvider\(.*)$/m), new RegExp(`genesisHash: '${genesis}'`));
    const ownPort = await freePort();
    const own = spawnLesp(['proxy', ...line.slice(0, -2), '--http-port', String(ownPort)]);
    running.push(own.child);
    let ownBalance: string | undefined;
    for (let i = 0; i < 300 && ownBalance === undefined && own.child.exitCode === null; i++) {
      ownBalance = await balanceVia(`http://127.0.0.1:${ownPort}`, DEV0);
      if (ownBalance === undefined) await sleep(100);
    }
    assert.equal(ownBalance, balance, `the printed lesp proxy line serves the balance; stderr:\n${own.stderr().slice(-2000)}`);
    own.child.kill('SIGINT');
    assert.equal((await own.exit).code, 0);
    const before = Number((await post(proxyUrl, 'eth_blockNumber', [])).result);
    assert.deepEqual(await post(proxyUrl, 'evm_mine', []), { jsonrpc: '2.0', id: 1, result: '0x0' });
    assert.equal(Number((await post(proxyUrl, 'eth_blockNumber', [])).result), before + 1, 'the verified head followed evm_mine');

    run.child.kill('SIGINT');
    const { code } = await run.exit;
    assert.equal(code, 0, run.stderr().slice(-2000));
    assert.equal(alive(anvilPid), false, 'anvil stopped before the devnet exited');
    await until(() => pids.every((p) => !alive(p)), `no process left: ${pids.filter(alive).map(cmdline).join(' | ')}`);
    assert.equal(await balanceVia(proxyUrl, DEV0), undefined, 'the proxy is closed');
  });

  it('the same seed gives the same node ids; a SIGKILL\'d devnet still takes anvil with it', async () => {
    const run = devnet(['--http-port', '0', '--les-port', '0', '--servers', '3', '--sections', '0']);
    const text = await summary(run);
    const ids = nodeIds(text);
    assert.equal(ids.length, 3);
    assert.deepEqual(ids.slice(0, 2), firstIds, 'same default seed, same node ids');
    const anvilPid = Number(field(text, /pid (\d+)/));
    const nodeUrl = field(text, /Node RPC +(http:\/\/127\.0\.0\.1:\d+)/);
    const pids = descendants(run.child.pid as number);
    assert.ok(pids.includes(anvilPid));
    run.child.kill('SIGKILL');
    await run.exit;
    await until(() => !alive(anvilPid), 'anvil gone after its devnet was killed');
    await until(() => pids.every((p) => !alive(p)), 'no process left');
    await assert.rejects(rpcCall(nodeUrl, 'eth_blockNumber'), 'anvil no longer answers');

    const other = devnet(['--http-port', '0', '--les-port', '0', '--servers', '1', '--sections', '0', '--seed', 'another seed']);
    const otherIds = nodeIds(await summary(other));
    assert.notEqual(otherIds[0], firstIds[0], 'another seed, another node id');
    other.child.kill('SIGTERM');
    assert.equal((await other.exit).code, 0);
  });

  it('--rpc follows a node it did not start (no anvil of its own), and SIGTERM leaves that node running', async () => {
    const anvil = await startAnvil();
    anvils.push(anvil);
    await anvil.rpc('anvil_mine', ['0x2']);
    const port = await freePort();
    const run = devnet(['--rpc', anvil.url, '--http-port', String(port), '--les-port', '0']);
    const text = await summary(run);
    assert.ok(text.includes(anvil.url), 'the node URL is the one given');
    assert.equal(descendants(run.child.pid as number).filter((p) => cmdline(p).includes('anvil')).length, 0, 'no anvil of its own');
    const [account] = await anvil.rpc<string[]>('eth_accounts');
    let balance: string | undefined;
    await until(async () => (balance = await balanceVia(`http://127.0.0.1:${port}`, account as string)) !== undefined, 'a balance through the proxy');
    assert.equal(balance, await anvil.rpc<string>('eth_getBalance', [account, 'latest']));
    run.child.kill('SIGTERM');
    assert.equal((await run.exit).code, 0);
    assert.ok(await anvil.rpc<string>('eth_blockNumber'), 'the node given is still running');
  });

  it('an --anvil-port another anvil already holds: one line naming it, exit 1, that anvil not followed', async () => {
    const other = await startAnvil();
    anvils.push(other);
    const run = devnet(['--anvil-port', String(other.port), '--http-port', '0', '--les-port', '0']);
    const { code } = await run.exit;
    assert.equal(code, 1);
    const lines = run.stderr().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0] as string, /^lesp devnet: anvil did not start \(.*Address already in use/);
    assert.equal(run.stdout(), '', 'no summary: the devnet did not take the other anvil for its own');
  });

  it('an --rpc that does not answer fails with one line and exit code 1', async () => {
    const port = await freePort();
    const run = devnet(['--rpc', `http://127.0.0.1:${port}`, '--http-port', '0', '--les-port', '0']);
    const { code } = await run.exit;
    assert.equal(code, 1);
    const lines = run.stderr().split('\n').filter((l) => l.trim() !== '' && !l.startsWith('{'));
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0] as string, /^lesp devnet: the node at http:\/\/127\.0\.0\.1:\d+\/ does not answer/);
    assert.equal(run.stdout(), '');
  });
});
