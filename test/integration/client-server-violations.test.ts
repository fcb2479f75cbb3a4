// A server flooding a client with replies no request asked for, over real RLPx (snappy, les/4) on
// 127.0.0.1: the client's pool (ServerPool → LesNode → LesPeer, the real client side) against a
// FakeLesServer run in a child process, so this process's CPU is the client's alone.
//
// The flood: 20 BlockHeaders replies of 9.5 MiB each (≈0.5 MiB compressed) with unknown reqIDs.
// Decompressed and decoded, each cost the client ~250 ms of CPU, without end. Now each is judged by
// its reqID from its first decompressed bytes; the client drops the server at the 4th
// (CLIENT_VIOLATION_LIMIT = 3 tolerated) with SubprotocolError, having spent a bounded CPU time (< 3 s)
// on the whole flood (a bound, not a timing goal: the old path needs ≥ 5 s for it).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ServerPool } from '../../src/client/servers/index.js';
import { DEVNET } from '../../src/config/network.js';
import { CLIENT_VIOLATION_LIMIT, type LesPeer, type PeerCloseInfo } from '../../src/net/peer.js';
import { until } from '../unit/net/fake-transport.js';

const GENESIS = keccak256(new TextEncoder().encode('client-server-violations test genesis'));
const ROOT = new URL('../..', import.meta.url).pathname;
// A bound, not a speed goal: the old code spent ~20 × 570 ms here; measured now 0.3–0.45 s (bench/client-hostile-replies.ts).
const CPU_BOUND_MS = 3000;

describe('a server flooding unknown-reqID 9.5 MiB replies is dropped; the client spends a bounded CPU time (< 3 s, was ~11 s) on it', { timeout: 120_000 }, () => {
  let child: ChildProcess;
  let lines: AsyncIterator<string>;
  let pool: ServerPool;
  const next = async (): Promise<Record<string, unknown>> => {
    const r = await lines.next();
    if (r.done === true) throw new Error('the fake server exited');
    return JSON.parse(r.value) as Record<string, unknown>;
  };

  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/fake-les-server-child.ts', Buffer.from(GENESIS).toString('hex')], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
    const { enode } = (await next()) as { enode: string };
    pool = new ServerPool({ network: DEVNET, genesisHash: GENESIS, reconnect: { initialMs: 60_000, penaltyMs: 60_000 } });
    pool.add(enode, { trusted: false });
    await until(() => pool.servers().length === 1, 10_000);
  });
  after(async () => {
    await pool?.close();
    if (child !== undefined && child.exitCode === null) {
      child.stdin?.write('quit\n');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill();
    }
  });

  it('disconnects it (SubprotocolError, unknown reqID) after the 4th reply', async (t) => {
    const peer = pool.node.peers[0] as LesPeer;
    assert.ok(peer !== undefined);
    const closed = once(peer, 'close') as Promise<[PeerCloseInfo]>;
    const cpu0 = process.cpuUsage();
    child.stdin?.write('unknown 20 9.5\n');
    assert.equal((await next()).sent, 20);
    const [info] = await Promise.race([
      closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the flooding server is still connected after 30 s')), 30_000)),
    ]);
    // Let whatever frames were already on the wire arrive: they must cost nothing either.
    await new Promise((r) => setTimeout(r, 500));
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    t.diagnostic(`client CPU over the flood: ${cpuMs.toFixed(0)} ms`);
    assert.equal(info.initiator, 'local');
    assert.equal(info.reasonName, 'SubprotocolError');
    assert.equal(info.violation?.kind, 'unknown-reqid');
    assert.equal(pool.list()[0]?.protocolErrors, CLIENT_VIOLATION_LIMIT + 1);
    assert.equal(pool.servers().length, 0);
    assert.ok(cpuMs < CPU_BOUND_MS, `the client spent ${cpuMs.toFixed(0)} ms of CPU on the flood`);
  });
});
