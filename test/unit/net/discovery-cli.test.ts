/**
 * The discovery flags of lesp serve and lesp proxy: off on the devnet unless asked for, the public
 * networks' published bootnodes by default, bootnodes a loopback socket cannot reach not counted,
 * comma-separated and repeated --bootnodes adding up, and `lesp proxy` accepting no --server only
 * when a reachable bootnode and a --trusted node id stand in for it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { discoveryOptions, discoverySettings } from '../../../src/cli/options.js';
import { type ProxyFlags, checkFlags } from '../../../src/cli/proxy.js';
import { publishedBootnodes } from '../../../src/net/bootnodes.js';
import { formatEnode, nodeIdFromPrivateKey } from '../../../src/net/enode.js';

const id = () => nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey());
const local = (port: number) => formatEnode({ id: id(), host: '127.0.0.1', port });
const H = `0x${'12'.repeat(32)}`;

function proxyFlags(over: Partial<ProxyFlags>): ProxyFlags {
  return {
    server: [],
    trusted: [],
    fraction: 75,
    network: 'mainnet',
    httpHost: '127.0.0.1',
    httpPort: 8545,
    unverified: [],
    corsOrigin: ['loopback'],
    maxBatch: 100,
    maxBodyBytes: 5 * 1024 * 1024,
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    bodyTimeoutMs: 30_000,
    logLevel: 'silent',
    ...over,
  };
}

describe('discovery flags', () => {
  it('off on the devnet unless asked for; on elsewhere with the published bootnodes', () => {
    assert.deepEqual(discoverySettings({}, 'devnet', '127.0.0.1'), { on: false, bootnodes: [], reachable: [] });
    assert.equal(discoverySettings({ discovery: 'on' }, 'devnet', '127.0.0.1').on, true);
    const sepolia = discoverySettings({}, 'sepolia', '0.0.0.0');
    assert.equal(sepolia.on, true);
    assert.deepEqual(sepolia.bootnodes, publishedBootnodes('sepolia'));
    assert.deepEqual(sepolia.reachable, sepolia.bootnodes);
    assert.deepEqual(discoverySettings({}, 'sepolia', '127.0.0.1').reachable, [], 'a loopback socket reaches no public bootnode');
    assert.deepEqual(discoverySettings({ discovery: 'off' }, 'sepolia', '0.0.0.0').reachable, []);
  });

  it('--bootnodes: comma separated and repeated add up; a bad URL is refused with its reason', () => {
    const parse = (args: string[]) => {
      const c = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
      for (const o of discoveryOptions('test')) c.addOption(o);
      return c.parse(args, { from: 'user' }).opts();
    };
    const [a, b, c] = [local(1001), local(1002), local(1003)];
    assert.deepEqual(parse(['--bootnodes', `${a},${b}`, '--bootnodes', c as string]).bootnodes, [a, b, c]);
    assert.equal(parse([]).bootnodes, undefined);
    assert.throws(() => parse(['--bootnodes', 'enode://nope@1.2.3.4:1']), /nodeId/);
    assert.throws(() => parse(['--discovery', 'maybe']), /Allowed choices are on, off/);
  });

  it('lesp proxy: no --server is fine with a reachable bootnode and a trusted node id, and refused otherwise', () => {
    const trusted = Buffer.from(id()).toString('hex');
    const boot = local(30303);
    checkFlags(proxyFlags({ network: 'devnet', genesisHash: H, discovery: 'on', bootnodes: [boot], trusted: [trusted] }));
    assert.throws(() => checkFlags(proxyFlags({ network: 'devnet', genesisHash: H, discovery: 'on', bootnodes: [boot] })), /no trusted server/);
    assert.throws(() => checkFlags(proxyFlags({ network: 'devnet', genesisHash: H, bootnodes: [boot], trusted: [trusted] })), /at least one LES server/, 'discovery is off on the devnet by default');
    assert.throws(() => checkFlags(proxyFlags({ trusted: [trusted] })), /at least one LES server/, "mainnet's bootnodes are out of a loopback socket's reach");
    checkFlags(proxyFlags({ trusted: [trusted], discoveryHost: '0.0.0.0' }));
  });
});
