/**
 * Balances are never lost once acknowledged (issue 6 §1): `lesp serve` with a datadir serves a
 * burst of 1,500 les_addBalance calls (16 in flight, each to its own client ID, plus a shared
 * counter ID), and is killed with SIGKILL once 500 have been acknowledged — no flush, no clean
 * close. Restarted on the same datadir, every acknowledged change is there: each ID holds exactly
 * its amount and meta tag, and the counter is at least the last `after` it acknowledged.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AdminClient } from '../../src/admin/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CALLS = 1500;
const KILL_AFTER = 500;
const IN_FLIGHT = 16;
const COUNTER = 'c0'.repeat(32);
const idOf = (i: number): string => createHash('sha256').update(`client ${i}`).digest('hex');

interface Run {
  child: ChildProcess;
  stdout: () => string;
  exit: Promise<unknown>;
}

function serve(anvil: Anvil, datadir: string): Run {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('LESP_')) delete env[k];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--rpc', anvil.url, '--port', '0', '--datadir', datadir, '--admin-port', '0', '--log-level', 'warn'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, stdout: () => out, exit: new Promise((r) => child.once('exit', r)) };
}

async function adminUrl(run: Run): Promise<string> {
  for (let i = 0; ; i++) {
    const line = run.stdout().split('\n').find((l) => l.startsWith('admin: '));
    if (line !== undefined) return line.slice('admin: '.length).trim();
    if (run.child.exitCode !== null || i > 1200) throw new Error(`no admin URL:\n${run.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let anvil: Anvil;
let datadir: string;
const runs: Run[] = [];

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  datadir = mkdtempSync(join(tmpdir(), 'lesp-durable-'));
});

after(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await anvil?.stop();
  rmSync(datadir, { recursive: true, force: true });
});

describe('balance durability', () => {
  it('every acknowledged les_addBalance survives SIGKILL in the middle of a burst', async () => {
    const first = serve(anvil, datadir);
    runs.push(first);
    const url = await adminUrl(first);
    const token = readFileSync(join(datadir, 'admin.token'), 'utf8').trim();
    const client = new AdminClient({ url, token, timeoutMs: 20_000 });
    const acked = new Map<number, [bigint, bigint]>();
    let counterAfter = 0n;
    let failed = 0;
    let next = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      while (next < CALLS) {
        const i = next++;
        try {
          // Each call: its own ID (amount i + 1, tag), and one more on the shared counter.
          const r = (await client.call('les_addBalance', [idOf(i), i + 1, `payment ${i}`])).result as number[];
          acked.set(i, [BigInt(r[0] as number), BigInt(r[1] as number)]);
          const c = (await client.call('les_addBalance', [COUNTER, 1, `up to ${i}`])).result as number[];
          if (BigInt(c[1] as number) > counterAfter) counterAfter = BigInt(c[1] as number);
        } catch {
          failed++;
        }
        if (!killed && acked.size >= KILL_AFTER) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    await first.exit;
    assert.equal(first.child.signalCode, 'SIGKILL');
    assert.ok(acked.size >= KILL_AFTER && acked.size < CALLS, `${acked.size} acknowledged before the kill`);
    assert.ok(failed > 0, 'the burst was cut');

    const second = serve(anvil, datadir);
    runs.push(second);
    const again = new AdminClient({ url: await adminUrl(second), token });
    const ids = [...acked.keys()];
    for (let k = 0; k < ids.length; k += 200) {
      const chunk = ids.slice(k, k + 200);
      const infos = (await again.call('les_clientInfo', [chunk.map(idOf)])).result as Record<string, Record<string, unknown>>;
      for (const i of chunk) {
        const info = infos[idOf(i)];
        assert.deepEqual(acked.get(i), [0n, BigInt(i + 1)], `call ${i} answered [0, ${i + 1}]`);
        assert.equal(info?.['pricing/balance'], i + 1, `balance of call ${i} kept`);
        assert.equal(info?.['pricing/balanceMeta'], `payment ${i}`);
      }
    }
    const counter = ((await again.call('les_clientInfo', [[COUNTER]])).result as Record<string, Record<string, number>>)[COUNTER]!;
    assert.ok(BigInt(counter['pricing/balance']!) >= counterAfter, `counter ${counter['pricing/balance']} ≥ last acknowledged ${counterAfter}`);
    second.child.kill('SIGTERM');
    await second.exit;
  });
});
