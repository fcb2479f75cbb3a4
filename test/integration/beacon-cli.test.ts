/**
 * `lesp proxy --beacon-api`: the flags checked together (no --trusted needed; a beacon checkpoint
 * or --finalized-only alone is refused; a network without a built-in beacon config is refused), and
 * a mainnet checkpoint older than beacon nodes keep light-client data for ends the proxy at start
 * with one line, before any LES server has answered (the bootstrap is a real mainnet-preset one,
 * 512 keys, served by a local beacon API; the LES "server" is a TCP port that never speaks).
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { type ProxyFlags, checkFlags } from '../../src/cli/proxy.js';
import { formatEnode, nodeIdFromPrivateKey } from '../../src/net/enode.js';
import { MAINNET_BEACON_CONFIG, toBeaconJson } from '../../src/verify/beacon/index.js';
import { type BeaconApiServer, bytesHex, startBeaconApi } from '../helpers/beacon-vectors.js';
import { spawnLesp } from '../helpers/lesp-process.js';
import { SyntheticBeaconChain } from '../unit/beacon/synthetic-chain.js';

const enode = (port: number) => formatEnode({ id: nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey()), host: '127.0.0.1', port });
const ROOT = `0x${'12'.repeat(32)}`;

function flags(over: Partial<ProxyFlags> = {}): ProxyFlags {
  return {
    server: [enode(1)],
    trusted: [],
    fraction: 75,
    network: 'mainnet',
    httpHost: '127.0.0.1',
    httpPort: 0,
    unverified: [],
    corsOrigin: ['loopback'],
    maxBatch: 100,
    maxBodyBytes: 1 << 20,
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    bodyTimeoutMs: 30_000,
    logLevel: 'silent',
    ...over,
  };
}

describe('lesp proxy --beacon-api', () => {
  it('needs no trusted server; refuses beacon flags without --beacon-api, no checkpoint without a datadir, and networks without a beacon config', () => {
    assert.doesNotThrow(() => checkFlags(flags({ beaconApi: ['http://127.0.0.1:5052'], beaconCheckpoint: ROOT })));
    assert.doesNotThrow(() => checkFlags(flags({ beaconApi: ['http://127.0.0.1:5052'], datadir: '/tmp/x' })));
    // LES servers' relay as the source, alone or beside a beacon API.
    assert.doesNotThrow(() => checkFlags(flags({ beaconLes: true, beaconCheckpoint: ROOT })));
    assert.doesNotThrow(() => checkFlags(flags({ beaconLes: true, beaconApi: ['http://127.0.0.1:5052'], beaconCheckpoint: ROOT })));
    for (const network of ['sepolia', 'holesky', 'hoodi']) {
      assert.doesNotThrow(() => checkFlags(flags({ beaconApi: ['http://127.0.0.1:5052'], beaconCheckpoint: ROOT, network })), network);
    }
    const refused: Array<[Partial<ProxyFlags>, RegExp]> = [
      [{}, /no trusted server: .*--beacon-api/],
      [{ beaconCheckpoint: ROOT }, /^--beacon-checkpoint needs --beacon-api/],
      [{ finalizedOnly: true }, /^--finalized-only needs --beacon-api/],
      [{ beaconApi: ['http://127.0.0.1:5052'] }, /^--beacon-api needs --beacon-checkpoint/],
      [{ beaconApi: ['http://127.0.0.1:5052'], beaconCheckpoint: ROOT, network: 'devnet' }, /^--beacon-api: no beacon chain config is built in for network devnet/],
      [{ beaconLes: true }, /^--beacon-les needs --beacon-checkpoint/],
      [{ beaconLes: true, beaconCheckpoint: ROOT, network: 'devnet' }, /^--beacon-les: no beacon chain config is built in for network devnet/],
    ];
    for (const [over, re] of refused) assert.throws(() => checkFlags(flags(over)), (e: Error) => re.test(e.message) && !e.message.includes('\n'), JSON.stringify(over));
  });

  describe('a checkpoint too old', () => {
    let api: BeaconApiServer;
    let silent: Server;
    let port = 0;
    // An Electra-era mainnet block: years older than the 33,024 epochs beacon nodes keep.
    const slot = 364_032n * 32n + 5n;
    const chain = new SyntheticBeaconChain(MAINNET_BEACON_CONFIG);

    before(async () => {
      chain.addBlock(slot);
      const root = bytesHex(chain.root(slot));
      api = await startBeaconApi((path) =>
        path === `/eth/v1/beacon/light_client/bootstrap/${root}`
          ? { json: { version: 'electra', data: toBeaconJson(MAINNET_BEACON_CONFIG, 'electra', 'LightClientBootstrap', chain.bootstrap(slot)) } }
          : { status: 404, json: {} },
      );
      silent = createServer(() => undefined);
      await new Promise<void>((ok) => silent.listen(0, '127.0.0.1', ok));
      port = (silent.address() as { port: number }).port;
    });

    after(async () => {
      await api?.close();
      silent?.close();
    });

    it('ends the proxy at start with one line', async () => {
      const run = spawnLesp(['proxy', '--server', enode(port), '--beacon-api', api.url, '--beacon-checkpoint', bytesHex(chain.root(slot)), '--http-port', '0', '--log-level', 'silent']);
      const { code } = await run.exit;
      assert.equal(code, 1, run.stderr());
      const lines = run.stderr().trim().split('\n');
      assert.equal(lines.length, 1, run.stderr());
      assert.match(lines[0] as string, new RegExp(`^lesp proxy: checkpoint: slot ${slot} is \\d+ slots old; beacon nodes keep light-client data for 33024 epochs$`));
      assert.ok(Date.now() - run.started < 20_000, 'at once, not at the start timeout');
      assert.ok(api.requests.some((r) => r.includes('/bootstrap/')), 'the bootstrap was asked for and verified first');
    });
  });
});
