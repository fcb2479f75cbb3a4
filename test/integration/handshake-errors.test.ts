/**
 * The three handshake mistakes a user makes against a devnet — the wrong network (the default
 * mainnet against a 31337 devnet), the wrong genesis hash, an enode whose node id is not the one at
 * that address — each end within 5 s with a one-line reason: from the library (LesProvider start,
 * the error and its `cause`) and from the `lesp proxy` process (exit code 1, one line on stderr, no
 * stack trace). The expected values come from the node (anvil's net_version, its block 0) and the
 * server's own enode. Also: an enode with `localhost` connects (library and CLI); transient
 * failures (nothing listening, a full server refusing with TooManyPeers) still wait for the start
 * timeout and then name their reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { LesProvider, createEip1193Provider } from '../../src/index.js';
import { ClientError, type LesClientOptions } from '../../src/client/engine/index.js';
import { DialError, HandshakeError } from '../../src/net/errors.js';
import { freePort } from '../helpers/anvil.js';
import { type Devnet, genesisOf, startDevnet, startServers } from '../helpers/devnet-stack.js';
import type { LesServer } from '../../src/serve/index.js';
import { spawnLesp } from '../helpers/lesp-process.js';

const FAST_MS = 5_000;

let net: Devnet;
let enode: string;
let genesis: string;
let networkId: string;
before(async () => {
  net = await startDevnet({ servers: 1, noClient: true });
  enode = (net.servers[0] as { enode: string }).enode;
  genesis = await genesisOf(net.anvil);
  networkId = await net.anvil.rpc<string>('net_version');
});
after(async () => {
  await net?.stop();
});

const idOf = (url: string): string => (/^enode:\/\/([0-9a-f]{128})@/.exec(url) as RegExpExecArray)[1] as string;
const addressOf = (url: string): string => url.slice(url.indexOf('@') + 1);
/** The server's address with the node id of a fresh key: not the node that listens there. */
function otherIdAt(url: string): { url: string; id: string } {
  const id = Buffer.from(secp256k1.getPublicKey(secp256k1.utils.randomPrivateKey(), false).subarray(1)).toString('hex');
  return { url: `enode://${id}@${addressOf(url)}`, id };
}
/** Block 1's hash: a real hash of this chain, but not its genesis. */
async function notGenesis(): Promise<string> {
  return (await net.anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x1', false])).hash;
}

interface Mistake {
  name: string;
  /** Library options and CLI flags for the same mistake. */
  setup(): Promise<{ options: LesClientOptions; flags: string[]; check(message: string, cause: unknown): void; cliLine: RegExp }>;
}

const mistakes: Mistake[] = [
  {
    name: 'the wrong network (mainnet, the default, against the devnet)',
    async setup() {
      return {
        options: { servers: [{ enode, trusted: true }] },
        flags: ['--server', enode, '--trusted', enode],
        check(message, cause) {
          assert.ok(message.includes(`networkId ${networkId} ≠ 1 (did you mean network: 'devnet'?)`), message);
          assert.ok(cause instanceof HandshakeError && cause.code === 'NETWORK_MISMATCH', String(cause));
          assert.equal(cause.remote, BigInt(networkId));
          assert.equal(cause.local, 1n);
        },
        cliLine: new RegExp(`networkId ${networkId} ≠ 1 \\(did you mean --network devnet\\?\\)`),
      };
    },
  },
  {
    name: 'the wrong genesis hash',
    async setup() {
      const wrong = await notGenesis();
      return {
        options: { servers: [{ enode, trusted: true }], network: 'devnet', genesisHash: wrong },
        flags: ['--server', enode, '--trusted', enode, '--network', 'devnet', '--genesis-hash', wrong],
        check(message, cause) {
          assert.ok(message.includes(`genesis differs (theirs ${genesis}, ours ${wrong})`), message);
          assert.ok(cause instanceof HandshakeError && cause.code === 'GENESIS_MISMATCH', String(cause));
        },
        cliLine: new RegExp(`genesis differs \\(theirs ${genesis}, ours ${wrong}\\)`),
      };
    },
  },
  {
    name: 'a node id that is not the one at that address',
    async setup() {
      const other = otherIdAt(enode);
      const expected = `node id at ${addressOf(enode)} is not ${other.id.slice(0, 16)}…`;
      return {
        options: { servers: [{ enode: other.url, trusted: true }], network: 'devnet', genesisHash: genesis },
        flags: ['--server', other.url, '--trusted', other.url, '--network', 'devnet', '--genesis-hash', genesis],
        check(message, cause) {
          assert.ok(message.includes(expected), message);
          assert.ok(cause instanceof DialError && cause.code === 'AUTH_DROPPED', String(cause));
        },
        cliLine: new RegExp(expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      };
    },
  },
];

describe('handshake mistakes end fast, with the reason', () => {
  for (const m of mistakes) {
    it(`library: ${m.name} — LesProvider start fails within 5 s naming it, the net error as cause`, async (t) => {
      const { options, check } = await m.setup();
      // The default start timeout (30 s) stays: the failure must not wait for it.
      const provider = new LesProvider(options);
      const t0 = performance.now();
      const err = await provider.start().then(
        () => assert.fail('start() succeeded'),
        (e: unknown) => e,
      );
      const ms = performance.now() - t0;
      await provider.close();
      t.diagnostic(`failed after ${ms.toFixed(0)} ms: ${(err as Error).message}`);
      assert.ok(ms < FAST_MS, `${ms.toFixed(0)} ms`);
      assert.ok(err instanceof ClientError && err.code === 'NO_USABLE_SERVER', String(err));
      assert.ok(!err.message.includes('\n'), 'one line');
      check(err.message, err.cause);
      assert.equal(err.failures.length, 1);
      assert.equal(err.failures[0]?.lasting, true);
    });

    it(`lesp proxy: ${m.name} — exit 1 within 5 s of connecting, one line on stderr, no stack trace`, async (t) => {
      const { flags, cliLine } = await m.setup();
      const run = spawnLesp(['proxy', ...flags, '--http-port', '0']);
      const { code } = await run.exit;
      const exited = Date.now();
      const lines = run.stderr().split('\n').filter((l) => l.trim() !== '');
      const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; time: number });
      const plain = lines.filter((l) => !l.startsWith('{'));
      const connecting = json.find((l) => l.msg === 'connecting to LES servers');
      assert.ok(connecting !== undefined, run.stderr());
      const ms = exited - connecting.time;
      t.diagnostic(`exit ${code} ${ms} ms after "connecting", ${exited - run.started} ms after spawn: ${plain.join(' | ')}`);
      assert.equal(code, 1);
      assert.ok(ms < FAST_MS, `${ms} ms`);
      assert.equal(plain.length, 1, `one plain line, got:\n${plain.join('\n')}`);
      assert.match(plain[0] as string, /^lesp proxy: no usable LES server: /);
      assert.match(plain[0] as string, cliLine);
      assert.doesNotMatch(run.stderr(), /^\s+at /m, 'no stack trace');
      assert.equal(run.stdout(), '', 'no proxy URL printed');
    });
  }

  it('the EIP-1193 object: a request on the wrong network fails with 4900 and the reason', async () => {
    const eip = createEip1193Provider({ servers: [{ enode, trusted: true }] });
    try {
      await assert.rejects(
        eip.request({ method: 'eth_blockNumber' }),
        (e: unknown) => (e as { code?: number }).code === 4900 && (e as Error).message.includes(`networkId ${networkId} ≠ 1`),
      );
    } finally {
      await eip.close();
    }
  });

  it('a transient failure (nothing listening) waits for the start timeout, then names the last reason and carries it as cause', async () => {
    const port = await freePort();
    const dead = `enode://${idOf(enode)}@127.0.0.1:${port}`;
    const provider = new LesProvider({ servers: [{ enode: dead, trusted: true }], network: 'devnet', genesisHash: genesis, timeouts: { startMs: 2_500 } });
    const t0 = performance.now();
    const err = await provider.start().then(
      () => assert.fail('start() succeeded'),
      (e: unknown) => e,
    );
    const ms = performance.now() - t0;
    await provider.close();
    assert.ok(ms >= 2_400, `kept trying until the timeout (${ms.toFixed(0)} ms)`);
    assert.ok(err instanceof ClientError && err.code === 'START_TIMEOUT', String(err));
    assert.equal(err.message, `no LES server connected within 2500 ms (127.0.0.1:${port}: connection refused)`);
    assert.ok(err.cause instanceof DialError && err.cause.code === 'CONNECT_FAILED', String(err.cause));
  });
});

describe('a full server', () => {
  it('refuses with TooManyPeers after the handshake: retried until the start timeout, then named ("refused: TooManyPeers")', async (t) => {
    const [full] = await startServers(net.anvil, 1, { capacity: { maxClients: 1 } });
    const first = new LesProvider({ servers: [{ enode: (full as LesServer).enode, trusted: true }], network: 'devnet', genesisHash: genesis });
    const second = new LesProvider({ servers: [{ enode: (full as LesServer).enode, trusted: true }], network: 'devnet', genesisHash: genesis, timeouts: { startMs: 2_500 } });
    try {
      await first.start();
      const err = await second.start().then(
        () => assert.fail('start() succeeded'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof ClientError && err.code === 'START_TIMEOUT', String(err));
      assert.ok(!err.message.includes('\n'));
      t.diagnostic(err.message);
      // Either the first fetch or the head wait gives up first; both name the refusal.
      assert.ok(err.message.endsWith(`(${addressOf((full as LesServer).enode)}: refused: TooManyPeers)`), err.message);
      assert.equal((err.cause as { code?: string }).code, 'SERVER_DROPPED');
    } finally {
      await Promise.all([first.close(), second.close()]);
      await (full as LesServer).stop();
    }
  });
});

describe('enode URLs with a host name', () => {
  it('enode://…@localhost:<port> is resolved and connects; the head is the node’s', async () => {
    const local = enode.replace('@127.0.0.1:', '@localhost:');
    assert.notEqual(local, enode);
    const provider = new LesProvider({ servers: [{ enode: local, trusted: true }], network: 'devnet', genesisHash: genesis });
    try {
      await provider.start();
      assert.equal(await provider.getBlockNumber(), Number(await net.anvil.rpc<string>('eth_blockNumber')));
    } finally {
      await provider.close();
    }
  });

  it('lesp proxy --server enode://…@localhost:<port> serves the node’s head', async () => {
    const local = enode.replace('@127.0.0.1:', '@localhost:');
    const run = spawnLesp(['proxy', '--server', local, '--trusted', local, '--network', 'devnet', '--genesis-hash', genesis, '--http-port', '0']);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const line = run.stdout().split('\n').find((l) => l.startsWith('http://'));
          if (line !== undefined) {
            clearInterval(timer);
            resolve(line.trim());
          } else if (run.child.exitCode !== null) {
            clearInterval(timer);
            reject(new Error(`lesp proxy exited: ${run.stderr()}`));
          }
        }, 50);
      });
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] }) });
      const { result } = (await res.json()) as { result: string };
      assert.equal(result, await net.anvil.rpc<string>('eth_blockNumber'));
    } finally {
      run.child.kill('SIGINT');
      await run.exit;
    }
  });

  it('a host name that does not resolve fails the dial with RESOLVE_FAILED, named in the start error', async () => {
    const bad = enode.replace('@127.0.0.1:', '@no-such-host.invalid:');
    const provider = new LesProvider({ servers: [{ enode: bad, trusted: true }], network: 'devnet', genesisHash: genesis, timeouts: { startMs: 6_000 } });
    const err = await provider.start().then(
      () => assert.fail('start() succeeded'),
      (e: unknown) => e,
    );
    await provider.close();
    assert.ok(err instanceof ClientError && err.code === 'START_TIMEOUT', String(err));
    assert.match(err.message, /no-such-host\.invalid:\d+: cannot resolve no-such-host\.invalid/);
    assert.ok(err.cause instanceof DialError && err.cause.code === 'RESOLVE_FAILED', String(err.cause));
  });
});
