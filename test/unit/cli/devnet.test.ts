/**
 * The pieces of `lesp devnet` that need no chain: flag checks, the servers' node keys (derived
 * as its help says), the well-known dev keys (as anvil documents them), the summary and its curl
 * line, the progress line (terminal only) and the stop order of the parts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Wallet } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { pino } from 'pino';
import { DEVNET_DEFAULTS, type DevnetFlags, checkDevnetFlags } from '../../../src/cli/devnet.js';
import { DevnetParts } from '../../../src/devnet/parts.js';
import { StartupProgress } from '../../../src/cli/devnet-progress.js';
import { curlLine, devnetNodeKey, formatSummary, providerLine, proxyLine, wellKnownKeys } from '../../../src/cli/devnet-report.js';

const flags = (over: Partial<DevnetFlags> = {}): DevnetFlags => ({
  servers: 2,
  anvilPort: 0,
  chainId: DEVNET_DEFAULTS.chainId,
  blockTime: 0,
  sections: 1,
  lesPort: 30303,
  seed: 'lesp-devnet',
  httpHost: '127.0.0.1',
  httpPort: 8545,
  logLevel: 'warn',
  ...over,
});

describe('lesp devnet flags', () => {
  it('accepts the defaults and a node of your own', () => {
    checkDevnetFlags(flags());
    checkDevnetFlags(flags({ rpc: 'http://127.0.0.1:8546', lesPort: 0 }));
  });

  it('refuses flags that do not fit together, with one line', () => {
    assert.throws(() => checkDevnetFlags(flags({ lesPort: 65535 })), /^Error: --les-port 65535 leaves no room for 2 servers/);
    assert.throws(() => checkDevnetFlags(flags({ rpc: 'http://x:1', blockTime: 2, anvilPort: 9 })), /--anvil-port, --block-time apply only to the anvil devnet starts$/);
    assert.throws(() => checkDevnetFlags(flags({ rpc: 'http://x:1', chainId: 5 })), /: --chain-id applies only to the anvil devnet starts$/);
  });
});

describe('devnet node keys and dev accounts', () => {
  it('node key i is keccak256("<seed>/<i>"): stable, distinct per index and seed', () => {
    const k0 = devnetNodeKey('lesp-devnet', 0);
    assert.deepEqual(k0, keccak256(new TextEncoder().encode('lesp-devnet/0')));
    assert.deepEqual(devnetNodeKey('lesp-devnet', 0), k0);
    assert.notDeepEqual(devnetNodeKey('lesp-devnet', 1), k0);
    assert.notDeepEqual(devnetNodeKey('other', 0), k0);
  });

  it('the well-known keys are anvil\'s documented dev keys, each matching its address', () => {
    const keys = wellKnownKeys(10);
    assert.equal(keys.size, 10);
    // anvil's banner: (0) 0xf39F...2266 and (9) 0xa0Ee...9720 with these private keys.
    assert.equal(keys.get('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'), '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    assert.equal(keys.get('0xa0ee7a142d267c1f36714e4a8f75612f20a79720'), '0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6');
    for (const [address, key] of keys) assert.equal(new Wallet(key).address.toLowerCase(), address);
  });
});

describe('the devnet summary', () => {
  const base = {
    chainId: 31337n,
    genesisHash: `0x${'c'.repeat(64)}`,
    nodeUrl: 'http://127.0.0.1:9000',
    nodeNote: 'anvil/v1.7.1; hardfork prague',
    head: 79,
    enodes: [`enode://${'a'.repeat(128)}@127.0.0.1:30303`, `enode://${'b'.repeat(128)}@127.0.0.1:30304`],
    proxyUrl: 'http://127.0.0.1:8545',
    wsUrl: 'ws://127.0.0.1:8545',
  };

  it('lists chain id, node, every enode, the proxy, accounts with keys marked public, and a curl line that is valid JSON-RPC', () => {
    const text = formatSummary({
      ...base,
      accounts: [{ address: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', balanceWei: 10n ** 22n, privateKey: '0xac09' }],
    });
    assert.match(text, /Chain id +31337 \(0x7a69\)/);
    assert.match(text, new RegExp(`^Genesis +${base.genesisHash}$`, 'm'));
    assert.ok(text.includes(base.nodeUrl) && text.includes('head 79'));
    for (const e of base.enodes) assert.ok(text.includes(e));
    assert.ok(text.includes('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266  10000.0 ETH  key 0xac09'), 'checksummed address, ether, key');
    assert.match(text, /PUBLIC test keys/);
    const curl = /curl .*$/m.exec(text)?.[0] as string;
    assert.equal(curl, curlLine(base.proxyUrl, '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266'));
    const body = JSON.parse(/-d '(.*)'$/.exec(curl)?.[1] as string) as { method: string; params: unknown[] };
    assert.equal(body.method, 'eth_getBalance');
    assert.deepEqual(body.params, ['0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', 'latest']);
  });

  it('prints a ready `lesp proxy` line and a `new LesProvider` line naming the genesis hash and every server as trusted', () => {
    const text = formatSummary({ ...base, accounts: [] });
    const proxy = /^ {2}(lesp proxy .*)$/m.exec(text)?.[1] as string;
    assert.equal(proxy, proxyLine(base));
    assert.equal(
      proxy,
      `lesp proxy --network devnet --genesis-hash ${base.genesisHash} --server ${base.enodes[0]} --trusted ${'a'.repeat(128)} --server ${base.enodes[1]} --trusted ${'b'.repeat(128)} --http-port 8546`,
    );
    const provider = /^ {2}(new LesProvider\(.*)$/m.exec(text)?.[1] as string;
    assert.equal(provider, providerLine(base));
    assert.equal(provider, `new LesProvider({ network: 'devnet', genesisHash: '${base.genesisHash}', servers: [{ enode: '${base.enodes[0]}', trusted: true }, { enode: '${base.enodes[1]}', trusted: true }] })`);
    // Another chain id: a network file with that chain id (lesp proxy has no --chain-id), and the option object.
    assert.match(proxyLine({ ...base, chainId: 5n }), /^echo '\{"chainId":5\}' > devnet-5\.json && lesp proxy --network devnet-5\.json /);
    assert.match(providerLine({ ...base, chainId: 5n }), /network: \{ chainId: 5 \}/);
  });

  it('shows no key line for accounts it has no public key for', () => {
    const text = formatSummary({ ...base, accounts: [{ address: '0x1111111111111111111111111111111111111111', balanceWei: 1n, privateKey: undefined }] });
    assert.doesNotMatch(text, /key 0x|PUBLIC/);
  });
});

describe('start-up progress', () => {
  const sink = (isTTY: boolean) => {
    const out: string[] = [];
    return { out, stream: { isTTY, columns: 80, write: (s: string) => out.push(s) > 0 } };
  };

  it('draws a status line and a bar on a terminal, and clears it', () => {
    const { out, stream } = sink(true);
    const p = new StartupProgress(stream);
    p.stage('starting anvil');
    p.bar('sections', 1, 4);
    p.bar('sections', 4, 4);
    p.end();
    assert.match(out[0] as string, /starting anvil/);
    assert.match(out[1] as string, /\[#+\.+\] 1\/4$/);
    assert.match(out[2] as string, /\[#+\] 4\/4$/);
    assert.equal(out[3], '\r\x1b[K');
  });

  it('writes nothing off a terminal', () => {
    const { out, stream } = sink(false);
    const p = new StartupProgress(stream);
    p.stage('x');
    p.bar('y', 1, 2);
    p.end();
    assert.deepEqual(out, []);
  });
});

describe('devnet parts', () => {
  it('stop in the reverse order of their start, once; a part added while stopping is stopped too', async () => {
    const order: string[] = [];
    const parts = new DevnetParts(pino({ level: 'silent' }));
    for (const name of ['anvil', 'server0', 'client', 'proxy']) parts.add({ name, stop: async () => void order.push(name) });
    await Promise.all([parts.stop(), parts.stop()]);
    assert.deepEqual(order, ['proxy', 'client', 'server0', 'anvil']);
    parts.add({ name: 'late', stop: async () => void order.push('late') });
    await new Promise((r) => setImmediate(r));
    assert.equal(order.at(-1), 'late');
  });

  it('a part whose stop fails is killed and the others still stop', async () => {
    const order: string[] = [];
    const parts = new DevnetParts(pino({ level: 'silent' }));
    parts.add({ name: 'anvil', stop: async () => void order.push('anvil'), killNow: () => order.push('kill anvil') });
    parts.add({ name: 'server', stop: async () => Promise.reject(new Error('boom')), killNow: () => order.push('kill server') });
    await parts.stop();
    assert.deepEqual(order, ['kill server', 'anvil']);
  });
});
