/**
 * The server pool over real RLPx on 127.0.0.1: connecting with our Status (announceType 2 for
 * trusted servers), per-server stats, announces (signatures, head order), redial with backoff
 * after a drop, a longer wait after we dropped a misbehaving server, add/remove at run time.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { Scheduler } from '../../src/client/scheduler/index.js';
import { ServerPool, ServerPoolError, type ServerPoolOptions } from '../../src/client/servers/index.js';
import { DEVNET } from '../../src/config/network.js';
import { EnodeError, HandshakeError } from '../../src/net/index.js';
import { VerificationError } from '../../src/verify/errors.js';
import type { Announce } from '../../src/wire/announce.js';
import { Code } from '../../src/wire/codes.js';
import { encodeRlp, encodeUint } from '../../src/wire/rlp.js';
import { FakeLesServer, type FakeLesServerOptions, keccakAnswerer } from '../helpers/fake-les-server.js';
import { until } from '../unit/net/fake-transport.js';

const GENESIS = keccak256(new TextEncoder().encode('client-scheduler-pool test genesis'));

const cleanup: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function fake(options: Partial<FakeLesServerOptions> = {}): Promise<FakeLesServer> {
  const s = new FakeLesServer({ network: DEVNET, genesisHash: GENESIS, answer: keccakAnswerer, ...options });
  cleanup.push(() => s.close());
  await s.start();
  return s;
}

function pool(options: Partial<ServerPoolOptions> = {}): ServerPool {
  const p = new ServerPool({ network: DEVNET, genesisHash: GENESIS, reconnect: { initialMs: 50, maxMs: 200, penaltyMs: 30_000 }, ...options });
  cleanup.push(() => p.close());
  return p;
}

const head = (n: number, td: bigint) => ({ hash: keccak256(encodeRlp([encodeUint(n)])), number: n, td });

describe('server pool: connecting', () => {
  it('connects to the configured servers; trusted ones are asked for signed announces; list() reports each', async () => {
    const trusted = await fake();
    const plain = await fake({ head: head(2_000, 5_000_000n) });
    const p = pool({ servers: [{ enode: trusted.enode, trusted: true }, plain.enode] });
    p.start();
    await until(() => p.servers().length === 2, 5_000);
    const [toUsT, toUsP] = [trusted.node.peers[0], plain.node.peers[0]];
    assert.equal(toUsT?.remoteStatus?.announceType, 2);
    assert.equal(toUsP?.remoteStatus?.announceType, 1);
    assert.deepEqual(toUsP?.remoteStatus?.genesisHash, GENESIS);
    const info = p.list().find((s) => s.id === plain.id);
    assert.ok(info !== undefined);
    assert.equal(info.state, 'connected');
    assert.equal(info.trusted, false);
    assert.equal(info.version, 4);
    assert.equal(info.head?.number, 2_000);
    assert.equal(info.bl, plain.bl);
    assert.equal(info.ble, plain.bl);
    assert.equal(info.mrr, plain.mrr);
    assert.ok(info.connectedSince !== null && info.connectedSince <= Date.now());
    assert.ok(info.bytesIn > 0 && info.bytesOut > 0, 'the Status exchange is counted');
    assert.equal(info.score, 1);
    // Unmeasured servers look fast, so the scheduler tries (and measures) a new one at once
    // instead of never choosing it beside measured ones.
    assert.ok(p.servers().every((s) => s.rttMs <= 1));
  });

  it('a server of another chain fails the handshake and is retried later', async () => {
    const other = await fake({ genesisHash: keccak256(new TextEncoder().encode('another chain')) });
    const p = pool();
    const failed = once(p, 'dialFailed') as Promise<[string, Error]>;
    p.add(other.enode);
    const [id, error] = await failed;
    assert.equal(id, other.id);
    assert.ok(error instanceof HandshakeError && error.code === 'GENESIS_MISMATCH');
    const info = p.list()[0];
    assert.equal(info?.state, 'waiting');
    assert.ok(info?.nextDialAt !== null);
    assert.match(info?.lastError ?? '', /genesis/i);
  });
});

describe('server pool: announces', () => {
  it("forwards a trusted server's signed announce; refuses forged, unsigned and non-increasing ones and scores it down", async () => {
    const s = await fake();
    const p = pool();
    p.add(s.enode, { trusted: true });
    await until(() => p.servers().length === 1, 5_000);
    const forwarded: Announce[] = [];
    const refused: Error[] = [];
    p.on('announce', (_id, a) => forwarded.push(a));
    p.on('badAnnounce', (_id, e) => refused.push(e));
    s.announce(head(1_001, 1_000_100n), 'valid');
    s.announce(head(1_002, 1_000_200n), 'forged');
    s.announce(head(1_003, 1_000_300n), 'none');
    s.announce(head(1_001, 1_000_100n), 'valid'); // not above the last head
    await until(() => forwarded.length + refused.length === 4, 5_000);
    assert.deepEqual(forwarded.map((a) => a.headNumber), [1_001]);
    assert.equal(refused.length, 3);
    const info = p.list()[0];
    assert.equal(info?.head?.number, 1_001);
    assert.equal(info?.badAnnounces, 3);
    assert.ok((info?.score ?? 1) < 1);
  });

  it("forwards an untrusted server's unsigned announce", async () => {
    const s = await fake();
    const p = pool();
    p.add(s.enode);
    await until(() => p.servers().length === 1, 5_000);
    const got = once(p, 'announce') as Promise<[string, Announce]>;
    s.announce(head(1_005, 1_000_500n), 'none');
    const [id, a] = await got;
    assert.equal(id, s.id);
    assert.equal(a.headNumber, 1_005);
  });
});

describe('server pool: reconnecting', () => {
  it('redials a server that went away, with backoff, and uses it again', async () => {
    const first = await fake();
    const { privateKey } = first;
    const port = first.node.port;
    const p = pool();
    p.add(first.enode);
    await until(() => p.servers().length === 1, 5_000);
    const gone = once(p, 'disconnected');
    await first.close();
    await gone;
    const waiting = p.list()[0];
    assert.equal(waiting?.state, 'waiting');
    assert.ok(waiting?.nextDialAt !== null);
    const back = await fake({ privateKey, port });
    await until(() => p.servers().length === 1, 10_000);
    assert.equal(p.list()[0]?.state, 'connected');
    assert.equal(back.clients, 1);
  });

  it('after dropping a server for invalid answers it waits the penalty before redialing', async () => {
    const liar = await fake();
    liar.behaviour.lie = true;
    const p = pool();
    p.add(liar.enode);
    await until(() => p.servers().length === 1, 5_000);
    const scheduler = new Scheduler({ source: p, maxInvalidAnswers: 1, noServerTimeoutMs: 200 });
    cleanup.push(() => scheduler.close());
    const dropped = once(p, 'disconnected') as Promise<[string, { reason: string; droppedBecause?: string }]>;
    const kind = {
      name: 'any',
      code: Code.GetReceipts,
      maxItems: 1,
      units: () => 1,
      canServe: () => true,
      key: () => 'x',
      encode: (reqID: bigint) => encodeRlp([encodeUint(reqID), [new Uint8Array(32)]]),
      verify: (): never => {
        throw new VerificationError('HASH_MISMATCH', 'data', 'not what was asked');
      },
    };
    await assert.rejects(scheduler.retrieve(kind, 0), (e: unknown) => (e as { code?: string }).code === 'VERIFICATION_FAILED');
    const [, why] = await dropped;
    assert.match(why.droppedBecause ?? '', /invalid answers/);
    const info = p.list()[0];
    assert.equal(info?.state, 'waiting');
    assert.ok((info?.nextDialAt ?? 0) - Date.now() > 20_000, 'waits at least the penalty');
    assert.equal(info?.invalidAnswers, 1);
  });
});

describe('server pool: add and remove at run time', () => {
  it('adds and removes servers; a removed server is not redialed; bad input gives typed errors', async () => {
    const a = await fake();
    const b = await fake();
    const p = pool();
    p.add(a.enode);
    await until(() => p.servers().length === 1, 5_000);
    p.add(b.enode, { trusted: true });
    await until(() => p.servers().length === 2, 5_000);
    assert.throws(() => p.add(a.enode), (e: unknown) => e instanceof ServerPoolError && e.code === 'ALREADY_ADDED');
    assert.throws(() => p.add('enode://nonsense'), EnodeError);
    const removed = once(p, 'removed');
    p.remove(`0x${a.id}`);
    await removed;
    await until(() => a.clients === 0, 5_000);
    assert.deepEqual(p.list().map((s) => s.id), [b.id]);
    await new Promise((r) => setTimeout(r, 300)); // past several backoff periods
    assert.equal(a.clients, 0);
    assert.throws(() => p.remove(a.id), (e: unknown) => e instanceof ServerPoolError && e.code === 'UNKNOWN_SERVER' && e.field === 'id');
  });
});
