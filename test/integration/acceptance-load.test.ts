// Acceptance (issue 4): load. anvil (prague) with the methods workload and a token, three
// in-process LesServers with a small capacity (each client gets the minimum, 16,000 cost units per
// ms: a buffer of 96,000,000, about 80 account proofs at their max cost), and a LesClient trusting
// all three. Workers run a queue of verified reads — eth_getBalance and eth_call (an ERC-20
// balanceOf) at every block, eth_getLogs over short ranges — each answer compared with anvil's.
// - Flow control: the load saturates the servers (the client holds requests back for its buffer
//   estimates: the scheduler's flow waits), every request completes, and no server ever sends the
//   client StopMsg (the servers' per-client flow counters and the client pool's stop counters).
// - Server loss: with a steady load, one server stops answering (its replies held back) and, once a
//   request of ours waits there, stops altogether; every caller request still completes with anvil's answer (counted: none fails, none
//   hangs — each would fail the count, the client's own request timeout bounds a hang).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AbiCoder, id } from 'ethers';
import type { LesEip1193Provider } from '../../src/client/eip1193.js';
import type { LesServer } from '../../src/serve/index.js';
import type { Anvil } from '../helpers/anvil.js';
import { type ClientSurfaces, type Devnet, clientAtHead, serversIdle, startClient, startDevnet, until } from '../helpers/devnet-stack.js';
import { TOKEN_CTOR, initcode, tokenRuntime } from '../unit/client/evm-asm.js';
import { Tamperer } from '../helpers/lying-server.js';
import { type Workload, mined, runWorkload } from '../unit/client/methods-workload.js';

type Json = Record<string, unknown>;
/** Each client's capacity: MRR 8,000 cost units per ms, BL 48,000,000 (40 account proofs at their max cost). */
const CAPACITY = 8_000;
const hex = (n: number) => `0x${n.toString(16)}`;
const balanceOfData = (holder: string) => id('balanceOf(address)').slice(0, 10) + AbiCoder.defaultAbiCoder().encode(['address'], [holder]).slice(2);

interface Task {
  method: string;
  params: unknown[];
  expected: unknown;
}

interface LoadResult {
  ok: number;
  failed: Array<{ task: Task; error: string }>;
  wrong: Array<{ task: Task; got: unknown }>;
}

/** `workers` loops taking tasks off `tasks` until none is left; `onDone` after each completion. */
async function runLoad(eip: LesEip1193Provider, tasks: readonly Task[], workers: number, onDone: (done: number) => void = () => {}): Promise<LoadResult> {
  const result: LoadResult = { ok: 0, failed: [], wrong: [] };
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (;;) {
      const task = tasks[next++];
      if (task === undefined) return;
      try {
        const got = await eip.request({ method: task.method, params: task.params });
        try {
          assert.deepEqual(got, task.expected);
          result.ok++;
        } catch {
          result.wrong.push({ task, got });
        }
      } catch (e) {
        result.failed.push({ task, error: String(e) });
      }
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return result;
}

describe('acceptance: load on three small-capacity servers', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let w: Workload;
  let tasks: Task[];

  before(async () => {
    devnet = await startDevnet({
      servers: 3,
      serverOptions: { capacity: { total: 4 * CAPACITY, min: CAPACITY } },
      workload: async (a) => {
        // The token comes first from a dev account the workload does not use (its nonces start at 0).
        const deployer = (await a.rpc<string[]>('eth_accounts'))[5] as string;
        await mined(a, await a.rpc<string>('eth_sendTransaction', [{ from: deployer, data: initcode(tokenRuntime(), TOKEN_CTOR) }]));
        w = await runWorkload(a);
      },
      noClient: true,
    });
    anvil = devnet.anvil;
    const head = await serversIdle(anvil, devnet.servers);
    const [deployer, holder] = ((await anvil.rpc<string[]>('eth_accounts')).slice(5, 7)) as [string, string];
    const receipt = await anvil.rpc<Json>('eth_getTransactionReceipt', [
      ((await anvil.rpc<Json>('eth_getBlockByNumber', ['0x2', false])).transactions as string[])[0],
    ]);
    const token = receipt.contractAddress as string;
    // Some token moves, so balanceOf differs along the chain.
    for (let i = 0; i < 3; i++) {
      const data = id('transfer(address,uint256)').slice(0, 10) + AbiCoder.defaultAbiCoder().encode(['address', 'uint256'], [holder, 1000n + BigInt(i)]).slice(2);
      await mined(anvil, await anvil.rpc<string>('eth_sendTransaction', [{ from: deployer, to: token, data }]));
    }
    const top = await serversIdle(anvil, devnet.servers);
    assert.ok(top > head);
    // The tasks: distinct blocks and accounts, so (nearly) every one is a fresh ODR question.
    tasks = [];
    const accounts = [w.wallets[0]?.address as string, w.contractA, deployer];
    for (let n = 2; n <= top; n++) {
      for (const a of accounts) tasks.push({ method: 'eth_getBalance', params: [a, hex(n)], expected: await anvil.rpc('eth_getBalance', [a, hex(n)]) });
      const call = { to: token, data: balanceOfData(n % 2 === 0 ? deployer : holder) };
      tasks.push({ method: 'eth_call', params: [call, hex(n)], expected: await anvil.rpc('eth_call', [call, hex(n)]) });
      if (n % 4 === 0) {
        const filter = { fromBlock: hex(n - 3), toBlock: hex(n) };
        tasks.push({ method: 'eth_getLogs', params: [filter], expected: await anvil.rpc('eth_getLogs', [filter]) });
      }
    }
    // A fixed shuffle, so the workers mix kinds and blocks.
    for (let i = tasks.length - 1; i > 0; i--) {
      const j = (i * 7919) % (i + 1);
      [tasks[i], tasks[j]] = [tasks[j] as Task, tasks[i] as Task];
    }
  });
  after(async () => devnet?.stop());

  const withClient = async (fn: (s: ClientSurfaces) => Promise<void>) => {
    const s = await startClient(anvil, devnet.servers.filter((x) => x.started));
    try {
      await until('every server connected', () => (s.client.status().servers === devnet.servers.filter((x) => x.started).length ? true : undefined));
      await clientAtHead(anvil, s.client);
      await fn(s);
    } finally {
      await s.stop();
    }
  };

  it('flow control: the load saturates the servers, requests keep completing, no server sends StopMsg', async () => {
    await withClient(async ({ client, eip }) => {
      const result = await runLoad(eip, tasks, 32);
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.wrong, []);
      assert.equal(result.ok, tasks.length);
      const metrics = client.parts?.scheduler.metrics();
      // Saturated: the client had to hold requests back for the servers' buffers.
      assert.ok((metrics?.flowWaits ?? 0) > 0, `flow waits: ${metrics?.flowWaits}`);
      for (const k of Object.values(metrics?.kinds ?? {})) assert.equal(k.messages.stopped, 0);
      for (const s of client.parts?.pool.list() ?? []) assert.equal(s.stops, 0, `stops from ${s.id.slice(0, 8)}`);
      const ours = Buffer.from((client.parts?.pool.node.id ?? new Uint8Array()) as Uint8Array).toString('hex');
      let served = 0;
      for (const server of devnet.servers) {
        const session = server.stats().sessions.find((x) => x.id === ours);
        assert.ok(session !== undefined, 'the client has a session on every server');
        assert.deepEqual([session.counters.stops, session.counters.breaches, session.counters.dropped], [0, 0, 0]);
        assert.equal(session.stopped, false);
        served += session.counters.served;
      }
      assert.ok(served >= 50, `messages served: ${served}`);
      console.log(`# flow control: ${result.ok} requests, ${served} LES messages served, ${metrics?.flowWaits} flow waits, 0 StopMsg`);
    });
  });

  it('server loss: one of three servers stops mid-load; no caller request fails or hangs', async () => {
    const victim = devnet.servers[1] as LesServer;
    const stalled = new Tamperer(victim);
    await withClient(async ({ client, eip }) => {
      let stopped: Promise<void> | undefined;
      let completed = 0;
      let completedAtStop = -1;
      const result = await runLoad(eip, tasks, 16, (done) => {
        completed = done;
        if (stopped !== undefined || done < tasks.length / 4) return;
        // A quarter in, the server stops answering; once a request of ours waits there, it goes away.
        stalled.hold = true;
        stopped = until('a request held by the failing server', () => (stalled.held > 0 ? true : undefined)).then(() => {
          completedAtStop = completed;
          return victim.stop();
        });
      });
      await stopped;
      assert.ok(stopped !== undefined, 'the server was stopped during the load');
      assert.equal(victim.started, false);
      assert.ok(completedAtStop >= 0 && completedAtStop < tasks.length, `stopped after ${completedAtStop} of ${tasks.length} requests`);
      assert.deepEqual(result.failed, []);
      assert.deepEqual(result.wrong, []);
      assert.equal(result.ok, tasks.length);
      assert.equal(client.status().servers, 2);
      const closed = Object.values(client.parts?.scheduler.metrics().kinds ?? {}).reduce((n, k) => n + k.messages.closed, 0);
      assert.ok(closed > 0, 'messages open on the stopped server were re-routed');
      console.log(`# server loss: ${result.ok}/${tasks.length} requests answered, stopped after ${completedAtStop}, ${stalled.held} reply(ies) held by the lost server, ${closed} message(s) lost with it and re-routed`);
      await answersAfterLoss(eip, anvil);
    });
    stalled.uninstall();
  });
});

/** After the loss the client still answers from the two left. */
async function answersAfterLoss(eip: LesEip1193Provider, anvil: Anvil): Promise<void> {
  const [a] = await anvil.rpc<string[]>('eth_accounts');
  assert.equal(await eip.request({ method: 'eth_getBalance', params: [a, 'latest'] }), await anvil.rpc('eth_getBalance', [a, 'latest']));
}
