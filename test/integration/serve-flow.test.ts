/**
 * Server flow control and capacity over real RLPx against a LesServer following anvil: a client
 * that keeps to its buffer estimate (src/flow ServerBufferEstimate) is never stopped; one that
 * floods gets StopMsg, has its requests dropped while stopped, and gets ResumeMsg with its BV
 * (les/3+) or is disconnected (les/2); other clients are served meanwhile; a client that cannot
 * get the minimum capacity is refused with TooManyPeers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LesServer } from '../../src/serve/index.js';
import { Code, MAX_ITEMS, encodeGetReceipts } from '../../src/wire/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { LesTestClient, waitFor } from '../helpers/les-client.js';

/** RLPx disconnect reasons (devp2p spec). */
const TOO_MANY_PEERS = 0x04;
const SUBPROTOCOL_ERROR = 0x10;
const MIN = 16_000;

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));

let anvil: Anvil;
let server: LesServer;
let genesis: Uint8Array;
let blockHashes: Uint8Array[];
const clients: LesTestClient[] = [];

async function connect(opts: Partial<Parameters<typeof LesTestClient.connect>[0]> = {}): Promise<LesTestClient> {
  const c = await LesTestClient.connect({ enode: server.enode, networkId: 31337n, genesisHash: genesis, ...opts });
  clients.push(c);
  return c;
}

/** 32 block hashes: a GetReceipts whose max cost (64,000,000) is two thirds of BL. */
const receipts32 = (reqID: bigint) => encodeGetReceipts({ reqID, hashes: blockHashes.slice(0, 32) });

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('anvil_mine', ['0x28']);
  // Room for three clients at the minimum capacity.
  server = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50, capacity: { total: 3 * MIN, min: MIN } });
  await server.start();
  genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
  blockHashes = [];
  for (let n = 1; n <= 32; n++) blockHashes.push(bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])).hash));
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server?.stop();
  await anvil?.stop();
});

describe('server flow control and capacity', () => {
  it('a client keeping to its estimate is never stopped; a flooding les/4 client is stopped, dropped, resumed; others are served meanwhile', async () => {
    const polite = await connect({ respectFlow: true });
    const flooder = await connect({ requestTimeoutMs: 1500 });
    assert.equal(flooder.server.flowControlBL, 96_000_000);
    assert.equal(client64M(flooder), 64_000_000);

    // The polite client pipelines 40 requests of the same size; its estimate paces them.
    const politeDone = Promise.all(Array.from({ length: 40 }, () => polite.raw(Code.GetReceipts, 32, receipts32)));
    // The flooder sends 10 at once: the second already finds BV < max cost.
    const flood = await Promise.allSettled(Array.from({ length: 10 }, () => flooder.raw(Code.GetReceipts, 32, receipts32)));
    const answered = flood.filter((r) => r.status === 'fulfilled').length;
    assert.ok(answered >= 1 && answered < 10, `${answered} of 10 flood requests answered`);
    assert.equal(flooder.events[0]?.kind, 'stop', 'StopMsg on the first request over BV');
    await waitFor(() => flooder.events.some((e) => e.kind === 'resume'), 5000, 'ResumeMsg');
    const resume = flooder.events.find((e) => e.kind === 'resume') as { kind: 'resume'; bv: number };
    assert.ok(resume.bv >= 64_000_000 && resume.bv <= 96_000_000, `ResumeMsg BV ${resume.bv} covers a request again`);

    const replies = await politeDone;
    assert.equal(replies.length, 40, 'every polite request answered');
    assert.deepEqual(polite.events, [], 'the polite client never got StopMsg');
    for (const r of replies) assert.ok(r.bv <= 96_000_000);

    // After ResumeMsg the flooder is served again.
    const again = await flooder.raw(Code.GetReceipts, 32, receipts32);
    assert.ok(again.bv > 0);
    const info = server.stats().sessions.find((s) => s.id === hexId(flooder));
    assert.ok(info !== undefined && info.counters.stops >= 1 && info.counters.dropped >= 1 && info.counters.resumes >= 1);
    assert.equal(server.stats().sessions.find((s) => s.id === hexId(polite))?.counters.stops, 0);
    await Promise.all([polite.close(), flooder.close()]);
    await waitFor(() => server.stats().clients === 0, 5000, 'clients gone');
  });

  it('a flooding les/2 client is disconnected (no StopMsg in les/2) while another client is served', async () => {
    const other = await connect({ respectFlow: true });
    const old = await connect({ versions: [2], requestTimeoutMs: 1500 });
    assert.equal(old.peer.version, 2);
    const flood = await Promise.allSettled(Array.from({ length: 6 }, () => old.raw(Code.GetReceipts, 32, receipts32)));
    assert.ok(flood.some((r) => r.status === 'rejected'));
    await waitFor(() => old.closed !== undefined, 5000, 'les/2 disconnect');
    assert.equal(old.closed?.reason, SUBPROTOCOL_ERROR);
    assert.equal(old.closed?.initiator, 'remote');
    assert.deepEqual(old.events, []);
    const h = await other.headers({ origin: { number: 0 }, amount: 10, skip: 0, reverse: false });
    assert.equal(h.headers.length, 10);
    await other.close();
    await waitFor(() => server.stats().clients === 0, 5000, 'clients gone');
  });

  it('a request over its per-request limit is not served and counts as a bad request', async () => {
    const c = await connect({ requestTimeoutMs: 800 });
    const tooMany = Array.from({ length: MAX_ITEMS[Code.GetReceipts] + 1 }, () => blockHashes[0]!);
    c.respectFlow = false;
    await assert.rejects(c.raw(Code.GetReceipts, 1, (reqID) => rawReceipts(reqID, tooMany)));
    assert.equal(server.stats().sessions.find((s) => s.id === hexId(c))?.counters.bad, 1);
    await c.close();
    await waitFor(() => server.stats().clients === 0, 5000, 'clients gone');
  });

  it('capacity: three clients at the minimum fill the pool, a fourth is refused with TooManyPeers, a free slot admits again', async () => {
    const three = [await connect(), await connect(), await connect()];
    assert.equal(server.stats().capacity.used, 3 * MIN);
    const fourth = await connect();
    await waitFor(() => fourth.closed !== undefined, 5000, 'refusal');
    assert.equal(fourth.closed?.reason, TOO_MANY_PEERS);
    assert.equal(server.stats().refusedAtConnect, 1);
    await three[0]!.close();
    await waitFor(() => server.stats().clients === 2, 5000, 'a slot frees');
    const fifth = await connect();
    const h = await fifth.headers({ origin: { number: 1 }, amount: 1, skip: 0, reverse: false });
    assert.equal(h.headers.length, 1);
    assert.equal(fifth.closed, undefined);
  });
});

function client64M(c: LesTestClient): number {
  return c.maxCost(Code.GetReceipts, 32);
}

function hexId(c: LesTestClient): string {
  return Buffer.from(c.node.id).toString('hex');
}

/** GetReceipts with any number of hashes, written without the codec's limit check. */
function rawReceipts(reqID: bigint, hashes: Uint8Array[]): Uint8Array {
  const list = Buffer.concat(hashes.map((h) => Buffer.concat([Buffer.from([0xa0]), Buffer.from(h)])));
  const lenBytes = (n: number) => {
    const b: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v % 256);
    return b;
  };
  const wrap = (body: Buffer) => (body.length < 56 ? Buffer.concat([Buffer.from([0xc0 + body.length]), body]) : Buffer.concat([Buffer.from([0xf7 + lenBytes(body.length).length, ...lenBytes(body.length)]), body]));
  const id = reqID === 0n ? Buffer.from([0x80]) : reqID < 128n ? Buffer.from([Number(reqID)]) : Buffer.from([0x81, Number(reqID)]);
  return new Uint8Array(wrap(Buffer.concat([id, wrap(list)])));
}
