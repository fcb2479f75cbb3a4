/**
 * RLPx-level abuse of a LesServer following anvil, over real TCP on 127.0.0.1:
 *  - the recorded 534-byte write (an EIP-8 auth message and 32 more bytes) to `lesp serve`, run
 *    as a process so that a spinning server shows as a dead process, not a dead test runner: a
 *    second client still handshakes and is served, and SIGTERM still stops it;
 *  - peers dropped for bad requests that then neither read nor close give their slots back, so
 *    a new client gets in;
 *  - a peer holding a partial frame is dropped after the frame-read timeout.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { DEVNET, forkIdAt } from '../../src/config/network.js';
import { DisconnectReason, nodeIdFromPrivateKey, parseEnode } from '../../src/net/index.js';
import { LesServer } from '../../src/serve/index.js';
import { decodeHeader, headerHash } from '../../src/verify/index.js';
import { Code } from '../../src/wire/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { LesTestClient, waitFor } from '../helpers/les-client.js';
import { type LespRun, enodeOf, spawnLesp } from '../helpers/lesp-process.js';
import { FROZEN_HANDSHAKE, SilentRelay, rawLesPeer, rawSocket } from '../helpers/rlpx-raw.js';
import { clientStatus } from '../unit/net/fixtures.js';

const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** A malformed GetReceipts: hashes is not a list. */
const MALFORMED = Uint8Array.from([0xc2, 0x01, 0x01]);

let anvil: Anvil;
let genesis: Uint8Array;
const cleanup: Array<() => Promise<unknown>> = [];
const runs: LespRun[] = [];

async function connect(enode: string): Promise<LesTestClient> {
  const c = await LesTestClient.connect({ enode, networkId: 31337n, genesisHash: genesis, requestTimeoutMs: 5000 });
  cleanup.push(() => c.close());
  return c;
}

/** `p`, or a rejection naming `what` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Headers 0..2 are answered, and block 1's hashes to anvil's. */
async function served(c: LesTestClient): Promise<void> {
  const h = await c.headers({ origin: { number: 0 }, amount: 3, skip: 0, reverse: false });
  assert.deepEqual(h.headers.map((r) => decodeHeader(r).number), [0, 1, 2]);
  const one = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x1', false]);
  assert.equal(`0x${hex(headerHash(h.headers[1]!))}`, one.hash);
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('anvil_mine', ['0x4']);
  genesis = bytes((await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash);
});

after(async () => {
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  await Promise.all(cleanup.map((c) => c().catch(() => undefined)));
  await anvil?.stop();
});

describe('RLPx-level abuse of a LesServer', () => {
  it('after the recorded auth-plus-32-bytes write, `lesp serve` drops that socket, serves a second client, and exits 0 on SIGTERM', async () => {
    const run = spawnLesp(['serve', '--rpc', anvil.url, '--port', '0', '--nodekey', hex(FROZEN_HANDSHAKE.nodeKey), '--log-level', 'silent']);
    runs.push(run);
    const enode = await enodeOf(run);
    const { id, port } = parseEnode(enode);
    assert.equal(hex(id), hex(nodeIdFromPrivateKey(FROZEN_HANDSHAKE.nodeKey)), 'the server holds the key the bytes were made for');
    assert.equal(FROZEN_HANDSHAKE.bytes.length, 534);

    const junk = await rawSocket(port);
    const junkClosed = once(junk, 'close');
    junk.write(FROZEN_HANDSHAKE.bytes);
    await within(junkClosed, 5000, 'the server closes the junk connection');

    const c = await within(connect(enode), 10_000, 'a second client handshakes');
    await within(served(c), 10_000, 'the second client is served');
    await c.close();

    run.child.kill('SIGTERM');
    assert.deepEqual(await within(run.exit, 15_000, 'SIGTERM stops the server'), { code: 0, signal: null });
  });

  it('peers dropped for bad requests that then neither read nor close give their RLPx slots back: a new client is served', async () => {
    // maxClients 2: RLPx takes 3 peers. The pool lets go of a dropped client at once; RLPx only when its socket closes.
    const server = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50, maxBadRequests: 3, capacity: { maxClients: 2 } });
    await server.start();
    cleanup.push(() => server.stop());
    const relay = await SilentRelay.start(parseEnode(server.enode).port);
    cleanup.push(() => relay.close());
    const viaRelay = server.enode.replace(/:\d+$/, `:${relay.port}`);
    for (let i = 1; i <= 3; i++) {
      const c = await connect(viaRelay);
      relay.silence();
      for (let j = 0; j < 3; j++) c.sendRaw(Code.GetReceipts, MALFORMED);
      await waitFor(() => server.stats().requests.disconnectedForBadRequests === i, 20_000, `silent peer ${i} dropped`);
    }
    // devp2p only ends a dropped peer's socket (2 s after the Disconnect): a peer that does not
    // read never sees it, and RLPx counts it until the socket is destroyed.
    const deadline = Date.now() + 20_000;
    let fresh: LesTestClient | undefined;
    let lastError: unknown;
    while (fresh === undefined && Date.now() < deadline) {
      fresh = await connect(server.enode).catch((err: unknown) => {
        lastError = err;
        return undefined;
      });
      if (fresh === undefined) await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(fresh !== undefined, `a new client got in within 20 s (last refusal: ${String(lastError)})`);
    await served(fresh);
  });

  it('a peer holding a partial frame is dropped after the frame-read timeout, and others are served meanwhile', async () => {
    const server = new LesServer({ rpcUrl: anvil.url, port: 0, pollIntervalMs: 50, frameReadTimeoutMs: 1500 });
    await server.start();
    cleanup.push(() => server.stop());
    const raw = await rawLesPeer(server.enode, clientStatus({ networkId: 31337n, headTd: 0n, headHash: genesis, genesisHash: genesis, forkID: forkIdAt(DEVNET, genesis, 0, 0) }));
    cleanup.push(() => raw.close());
    await waitFor(() => server.stats().clients === 1, 10_000, 'the raw peer to be admitted');
    const closed = once(raw.peer.events, 'close') as Promise<[number | undefined, boolean | null]>;
    // A frame declaring 12 MB (under the frame bound) of which 1 MB arrives, then nothing.
    raw.partialFrame(12_000_000, 1_000_000);
    raw.socket.pause();
    const t0 = Date.now();
    const other = await connect(server.enode);
    await served(other);
    raw.socket.resume();
    const [reason] = await closed;
    const waited = Date.now() - t0;
    assert.equal(reason, DisconnectReason.Timeout);
    // devp2p's own ping timeout would drop it after 25 s; the frame-read timeout after 1.5 s.
    assert.ok(waited >= 1000 && waited < 12_000, `dropped after ${waited} ms`);
    await waitFor(() => server.stats().clients === 1, 10_000, 'the raw peer to leave the pool');
  });
});
