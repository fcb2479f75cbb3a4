import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { corsOriginOption } from '../../../src/cli/options.js';
import { type ProxyFlags, checkFlags, loadCheckpoint } from '../../../src/cli/proxy.js';
import { formatEnode, nodeIdFromPrivateKey } from '../../../src/net/enode.js';

const enode = (port: number) => formatEnode({ id: nodeIdFromPrivateKey(secp256k1.utils.randomPrivateKey()), host: '127.0.0.1', port });
// Ports 1 and 2: nothing listens there, so a dial is refused at once (30303 may be a running devnet).
const S1 = enode(1);
const S2 = enode(2);
const H = `0x${'12'.repeat(32)}`;

function flags(over: Partial<ProxyFlags> = {}): ProxyFlags {
  return {
    server: [S1, S2],
    trusted: [S1],
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

/** Runs `lesp proxy ...` and returns its exit code and output. */
function lesp(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'proxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('lesp proxy flags', () => {
  it('accepts a complete set of flags', () => {
    const { network, checkpoint } = checkFlags(flags({ trusted: [Buffer.from(S2.slice(8, 136), 'hex').toString('hex')] }));
    assert.equal(network.name, 'mainnet');
    assert.equal(checkpoint, undefined);
  });

  it('refuses flags that do not fit together, each with one clear line', () => {
    const cases: Array<[Partial<ProxyFlags>, RegExp]> = [
      [{ server: [] }, /at least one LES server/],
      [{ trusted: [] }, /no trusted server/],
      [{ trusted: [enode(1)] }, /no trusted server/],
      [{ unverified: ['eth_foo'] }, /--unverified needs --upstream/],
      [{ network: '/nonexistent/net.json' }, /--network: cannot read/],
      [{ network: 'devnet' }, /--genesis-hash/],
      [{ checkpoint: '{"sectionIndex":1}' }, /--checkpoint: .*sectionHead/],
      [{ checkpoint: '{oops' }, /--checkpoint: not valid JSON/],
      [{ checkpoint: '/nonexistent/cp.json' }, /--checkpoint: cannot read/],
      [{ headersTimeoutMs: 20_000, bodyTimeoutMs: 10_000 }, /--body-timeout-ms must be at least --headers-timeout-ms/],
    ];
    for (const [over, re] of cases) {
      assert.throws(() => checkFlags(flags(over)), (e: Error) => re.test(e.message) && !e.message.includes('\n'), JSON.stringify(over));
    }
  });

  it('--cors-origin: loopback by default; given, its list (comma separated or repeated) replaces the default', () => {
    const parse = (args: string[]) => new Command().exitOverride().addOption(corsOriginOption()).parse(args, { from: 'user' }).opts().corsOrigin as string[];
    assert.deepEqual(parse([]), ['loopback']);
    assert.deepEqual(parse(['--cors-origin', 'https://App.example/,http://localhost:3000', '--cors-origin', '*']), ['https://app.example', 'http://localhost:3000', '*']);
    assert.deepEqual(parse(['--cors-origin', 'none']), ['none']);
  });

  it('reads a checkpoint inline or from a file, a network from a file', () => {
    const cp = { sectionIndex: 3, sectionHead: H, chtRoot: H, bloomTrieRoot: H };
    assert.equal(loadCheckpoint(JSON.stringify(cp)).sectionIndex, 3);
    const dir = mkdtempSync(join(tmpdir(), 'lesp-proxy-cli-'));
    writeFileSync(join(dir, 'cp.json'), JSON.stringify(cp));
    assert.deepEqual(loadCheckpoint(join(dir, 'cp.json')).chtRoot, Uint8Array.from(Buffer.from(H.slice(2), 'hex')));
    writeFileSync(join(dir, 'net.json'), JSON.stringify({ base: 'devnet', chainId: 31337, genesisHash: H }));
    const { network } = checkFlags(flags({ network: join(dir, 'net.json') }));
    assert.equal(network.chainId, 31337n);
  });

  it('the command ends bad input with one line on stderr and exit code 1, never a stack trace', async () => {
    for (const args of [
      ['--server', 'enode://nope'],
      ['--server', S1, '--fraction', '0'],
      ['--server', S1, '--trusted', S1, '--http-port', '70000'],
      ['--server', S1, '--trusted', S1, '--unverified', 'eth_foo'],
      ['--server', S1, '--trusted', S1, '--upstream', 'ftp://x', '--unverified', 'eth_foo'],
      ['--server', S1, '--trusted', S1, '--unverified', 'eth foo', '--upstream', 'http://127.0.0.1:1'],
      ['--server', S1, '--trusted', S1, '--cors-origin', 'evil'],
      ['--server', S1, '--trusted', S1, '--cors-origin', 'https://app.example/path'],
      ['--server', S1, '--trusted', S1, '--cors-origin', 'none,https://app.example'],
      ['--server', S1, '--trusted', S1, '--body-timeout-ms', '0'],
      ['--server', S1, '--trusted', S1, '--backfill-per-lookup', 'many'],
      ['--server', S1, '--trusted', S1, '--backfill-per-minute', '-1'],
    ]) {
      const r = await lesp(args);
      assert.equal(r.code, 1, args.join(' '));
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(r.stdout, '');
    }
  });
});
