/**
 * The scheduler over the server pool over real RLPx on 127.0.0.1, against fake LES servers that
 * run the real flow-control buffer: load spreads over servers, liars are never believed, losing a
 * server (closed or StopMsg) loses no request, a saturating load never makes a server send
 * StopMsg, and a server flooding StopMsg/ResumeMsg does not stop the callers.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { OdrKind } from '../../src/client/contracts.js';
import { Scheduler, type SchedulerOptions } from '../../src/client/scheduler/index.js';
import { ServerPool } from '../../src/client/servers/index.js';
import { DEVNET } from '../../src/config/network.js';
import { VerificationError } from '../../src/verify/errors.js';
import { Code } from '../../src/wire/codes.js';
import { decodeRlp, encodeRlp, encodeUint, readBytes, readList } from '../../src/wire/rlp.js';
import { FakeLesServer, type FakeLesServerOptions, keccakAnswerer } from '../helpers/fake-les-server.js';
import { until } from '../unit/net/fake-transport.js';

const GENESIS = keccak256(new TextEncoder().encode('client-scheduler test genesis'));

/** Items are 32-byte values; the verified answer is keccak256 of each (checked here, not trusted). */
const hashKind: OdrKind<Uint8Array, Uint8Array> = {
  name: 'test-keccak',
  code: Code.GetReceipts,
  maxItems: 32,
  units: () => 1,
  canServe: () => true,
  key: (h) => Buffer.from(h).toString('hex'),
  encode: (reqID, items) => encodeRlp([encodeUint(reqID), [...items]]),
  verify(items, payload) {
    const [, , data] = readList(decodeRlp(payload, 'Receipts'), 'Receipts', 'reply', { len: 3 });
    const values = readList(data, 'Receipts', 'data', { max: items.length });
    return items.map((h, i) => {
      const v = values[i];
      if (v === undefined) return undefined;
      const got = readBytes(v, 'Receipts', `data[${i}]`, { len: 32 });
      if (Buffer.compare(got, keccak256(h)) !== 0) throw new VerificationError('HASH_MISMATCH', `data[${i}]`, 'not keccak256 of the item');
      return got;
    });
  },
};

const item = (i: number, salt = 0): Uint8Array => keccak256(encodeRlp([encodeUint(i), encodeUint(salt)]));
const expected = (h: Uint8Array): string => Buffer.from(keccak256(h)).toString('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function cluster(
  specs: Array<Partial<FakeLesServerOptions> & { trusted?: boolean }>,
  schedulerOptions: Partial<SchedulerOptions> = {},
) {
  const servers = specs.map((s) => new FakeLesServer({ network: DEVNET, genesisHash: GENESIS, answer: keccakAnswerer, ...s }));
  cleanup.push(...servers.map((s) => () => s.close()));
  const enodes = await Promise.all(servers.map((s) => s.start()));
  const pool = new ServerPool({ network: DEVNET, genesisHash: GENESIS, reconnect: { initialMs: 60_000, penaltyMs: 60_000 } });
  cleanup.push(() => pool.close());
  enodes.forEach((e, i) => pool.add(e, { trusted: specs[i]?.trusted === true }));
  await until(() => pool.servers().length === servers.length, 5_000);
  const scheduler = new Scheduler({ source: pool, ...schedulerOptions });
  cleanup.push(() => scheduler.close());
  const info = (s: FakeLesServer) => pool.list().find((x) => x.id === s.id);
  return { servers, pool, scheduler, info };
}

/** Asks for `items` at once; checks every answer against keccak256 computed here. */
async function askAll(scheduler: Scheduler, items: Uint8Array[]): Promise<void> {
  const got = await Promise.all(items.map((h) => scheduler.retrieve(hashKind, h)));
  got.forEach((g, i) => assert.equal(hex(g), expected(items[i]!), `answer ${i}`));
}

describe('scheduler over RLPx: spreading and flow control', () => {
  it('spreads a load one server cannot hold over all servers, coalesced, each answer verified', async () => {
    // BL 300 items' worth per server; 1200 items need all three.
    const { servers, scheduler } = await cluster([0, 1, 2].map(() => ({ bl: 300_000, mrr: 100 })));
    const items = Array.from({ length: 1_200 }, (_, i) => item(i));
    await askAll(scheduler, items);
    for (const s of servers) {
      assert.ok(s.stats.items > 0, 'every server was used');
      assert.equal(s.stats.underruns, 0);
    }
    const m = scheduler.metrics().kinds['test-keccak']!;
    assert.equal(m.items.ok, 1_200);
    assert.ok(m.messagesSent < 1_200 / 4, `coalesced: ${m.messagesSent} messages`);
  });

  it('a saturating load never makes a server send StopMsg (the estimate never overruns the real buffer)', async () => {
    // 200 items of buffer, recharging 1 item/ms, no refund: the servers' capacity is the limit.
    const spec = { bl: 200_000, mrr: 1_000, realCostFraction: 1 };
    const { servers, scheduler } = await cluster([spec, spec], { requestTimeoutMs: 60_000 });
    const items = Array.from({ length: 3_000 }, (_, i) => item(i, 1));
    await askAll(scheduler, items);
    for (const s of servers) {
      assert.ok(s.stats.lowestBvFraction < 0.2, `saturated: BV fell to ${s.stats.lowestBvFraction.toFixed(3)} of BL`);
      assert.equal(s.stats.underruns, 0, 'no request arrived that the buffer could not cover');
      assert.equal(s.stats.stopsSent, 0);
    }
    assert.ok(scheduler.metrics().flowWaits > 0, 'the scheduler waited for buffers');
  });
});

describe('scheduler over RLPx: lying servers', () => {
  it("never returns a liar's or a garbler's answer; their scores drop; the honest server answers", async () => {
    const { servers, scheduler, info } = await cluster([{}, {}, {}], { maxInvalidAnswers: 3 });
    const [liar, garbler, honest] = servers as [FakeLesServer, FakeLesServer, FakeLesServer];
    liar.behaviour.lie = true;
    garbler.behaviour.garbage = true;
    for (let wave = 0; wave < 6; wave++) {
      await askAll(scheduler, Array.from({ length: 40 }, (_, i) => item(i, 100 + wave)));
    }
    assert.ok(liar.stats.replies > 0 && garbler.stats.replies > 0, 'both were asked');
    const [l, g, h] = [info(liar), info(garbler), info(honest)];
    assert.ok(l !== undefined && g !== undefined && h !== undefined);
    assert.ok(l.invalidAnswers > 0 && g.invalidAnswers > 0);
    assert.ok(l.score < h.score && g.score < h.score, `scores ${l.score} ${g.score} < ${h.score}`);
    assert.equal(h.invalidAnswers, 0);
    assert.ok(scheduler.metrics().verificationFailures >= l.invalidAnswers + g.invalidAnswers);
  });
});

describe('scheduler over RLPx: losing a server', () => {
  async function steadyLoad(scheduler: Scheduler, waves: number, midway: () => Promise<void> | void, salt: number): Promise<void> {
    for (let wave = 0; wave < waves; wave++) {
      const batch = askAll(scheduler, Array.from({ length: 60 }, (_, i) => item(i, salt + wave)));
      if (wave === Math.floor(waves / 2)) await midway();
      await batch;
    }
  }

  it('a server that shuts down mid-load loses no caller request', async () => {
    const { servers, scheduler, pool } = await cluster([{}, {}, {}]);
    for (const s of servers) s.behaviour.delayMs = 5; // keep requests in flight when it goes
    const victim = servers[1]!;
    await steadyLoad(scheduler, 10, () => victim.close(), 1_000);
    assert.equal(pool.servers().length, 2);
    assert.equal(scheduler.metrics().kinds['test-keccak']?.items.ok, 600);
  });

  it('a server that sends StopMsg mid-load and never resumes loses no caller request', async () => {
    const { servers, scheduler } = await cluster([{}, {}, {}], { softTimeout: { minMs: 5_000 } });
    for (const s of servers) s.behaviour.delayMs = 5;
    const victim = servers[0]!;
    await steadyLoad(scheduler, 10, () => victim.stop(), 2_000);
    const stopped = scheduler.metrics().servers.find((s) => s.id === victim.id);
    assert.equal(stopped?.stopped, true);
    assert.equal(scheduler.metrics().kinds['test-keccak']?.items.ok, 600);
  });

  it('a server flooding StopMsg/ResumeMsg is handled: every caller answered, its score falls', async () => {
    const { servers, scheduler, info } = await cluster([{}, {}]);
    const [flooder, steady] = servers as [FakeLesServer, FakeLesServer];
    flooder.flood(10);
    for (let wave = 0; wave < 8; wave++) {
      await askAll(scheduler, Array.from({ length: 50 }, (_, i) => item(i, 3_000 + wave)));
      await new Promise((r) => setTimeout(r, 5));
    }
    flooder.stopFlood();
    assert.ok(flooder.stats.stopsSent > 5);
    const [f, s] = [info(flooder), info(steady)];
    assert.ok(f !== undefined && s !== undefined);
    assert.ok(f.stops > 0);
    assert.ok(f.score < s.score, `flooder ${f.score} < steady ${s.score}`);
    assert.equal(steady.stats.underruns, 0);
  });
});
