/**
 * The package as a user installs it: the package's `prepare` build and `npm pack` of a copy of
 * its sources, so that the shared dist/ is left alone, installed into a fresh
 * project outside the repository with npm (dependencies from the registry, cache first), and used
 * there:
 * - without anvil installed, startDevnet() fails at once with one line saying how to get it;
 * - `import` of every entry (les-provider, /viem, /devnet, /serve, /proxy) works, a path that is
 *   not exported is refused, and TypeScript resolves their types (a wrong option is an error);
 * - `npx lesp devnet --help` prints the flags, and `lesp devnet` from the installed bin serves a
 *   verified balance and stops on SIGINT;
 * - the README's "Use it in your tests" file, verbatim, passes under `node --test`: it deploys a
 *   contract, moves time and mines through the devnet URL, and reads verified state;
 * - the same kind of test passes under vitest (two files at once, each its own devnet; forks and
 *   threads pools) and mocha.
 */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readmeExample } from '../../examples/devnet-readme.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const version = (pkg: string): string => (JSON.parse(readFileSync(join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

/** A command run to its end; its own test runner context removed, so a nested `node --test` reports as usual. */
function sh(command: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const base = { ...process.env };
  delete base.NODE_TEST_CONTEXT;
  return spawnSync(command, args, { cwd, env: { ...base, ...env }, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} exited with ${r.status}${r.signal === null ? '' : ` (${r.signal})`}:\n${r.stdout?.slice(-4000)}\n${r.stderr?.slice(-4000)}`);
  return r.stdout;
}

const npm = (args: string[], cwd: string, timeoutMs = 240_000): string =>
  ok(sh('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], cwd, timeoutMs), `npm ${args.join(' ')}`);

// Building, packing and installing take minutes on a busy machine: more than the runner's default per test.
describe('the packed package, installed in a fresh project', { timeout: 900_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'les-provider-package-'));
  const app = join(work, 'app');
  let tarball: string;

  before(() => {
    // `npm pack` of a copy of the repository's package sources (its `prepare` build then writes the
    // copy's dist/, not the shared one other test runs may be reading), on the repository's node_modules.
    const stage = join(work, 'stage');
    mkdirSync(stage);
    for (const f of ['package.json', 'README.md', 'bin', 'src', 'scripts', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(stage, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
    // What `npm pack` runs first; run on its own so that the build's output stays out of pack's JSON.
    ok(sh('npm', ['run', 'prepare'], stage, 600_000), 'the package\'s prepare (its build)');
    const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], stage)) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(work, packed[0]?.filename as string);
    const files = (packed[0]?.files ?? []).map((f) => f.path);
    assert.ok(files.includes('dist/devnet/anvil-watchdog.js'), 'the watchdog anvil runs under is packed');
    assert.ok(files.includes('dist/devnet/index.d.ts') && files.includes('bin/lesp.js'));
    assert.deepEqual(files.filter((f) => f.endsWith('.map') || f.startsWith('src/') || f.startsWith('test/')), [], 'no source maps, sources or tests');

    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
    npm(['install', tarball], app);
  }, { timeout: 600_000 });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('without anvil: startDevnet() fails at once, in one line, saying how to install it', () => {
    const probe = "import('les-provider/devnet').then((m) => m.startDevnet()).then(() => console.log('started'), (e) => console.log(`${e.name} ${e.code}: ${e.message}`))";
    // PATH holds node only: no anvil of foundryup's either.
    const r = sh(process.execPath, ['--input-type=module', '-e', probe], app, 30_000, { PATH: dirname(process.execPath) });
    assert.equal(ok(r, 'the probe').trim().split('\n').length, 1);
    assert.match(r.stdout, /^DevnetError ANVIL_MISSING: anvil is not installed: npm install --save-dev @foundry-rs\/anvil/);
  });

  it('with anvil and the peers installed: every entry imports, unexported paths are refused, types resolve, npx lesp devnet --help', () => {
    npm(['install', '--save-dev', `@foundry-rs/anvil@${version('@foundry-rs/anvil')}`, `viem@${version('viem')}`, `@types/node@${version('@types/node')}`], app);
    const probe = [
      "const [main, viem, devnet, serve, proxy] = await Promise.all(['les-provider', 'les-provider/viem', 'les-provider/devnet', 'les-provider/serve', 'les-provider/proxy'].map((m) => import(m)));",
      'console.log(typeof main.LesProvider, typeof main.LesClient, typeof viem.lesTransport, typeof devnet.startDevnet, typeof serve.LesServer, typeof proxy.startProxy, typeof proxy.lesBackend);',
      "await import('les-provider/dist/cli/main.js').then(() => console.log('imported'), (e) => console.log(e.code));",
    ].join('\n');
    const out = ok(sh(process.execPath, ['--input-type=module', '-e', probe], app, 60_000), 'the imports').trim().split('\n');
    assert.deepEqual(out, ['function function function function function function function', 'ERR_PACKAGE_PATH_NOT_EXPORTED']);

    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] }, files: ['types.ts'] }));
    writeFileSync(
      join(app, 'types.ts'),
      [
        "import { LesProvider, LesClient, DEVNET } from 'les-provider';",
        "import { lesTransport } from 'les-provider/viem';",
        "import { type Devnet, DevnetError, startDevnet } from 'les-provider/devnet';",
        "import { LesServer } from 'les-provider/serve';",
        "import { type RunningProxy, lesBackend, startProxy } from 'les-provider/proxy';",
        'export async function typed(): Promise<void> {',
        '  const devnet: Devnet = await startDevnet({ servers: 1, sections: 0 });',
        '  const provider: LesProvider = devnet.provider();',
        '  const n: number = await provider.getBlockNumber();',
        "  const client = new LesClient({ network: 'devnet', genesisHash: devnet.genesisHash, servers: devnet.servers });",
        '  const proxy: RunningProxy = await startProxy({ backend: lesBackend(client), port: 0 });',
        "  const server = new LesServer({ rpcUrl: devnet.node.url, network: DEVNET, port: 0 });",
        "  const transport = lesTransport({ network: 'devnet', genesisHash: devnet.genesisHash, servers: devnet.servers });",
        '  // @ts-expect-error servers is a number',
        "  await startDevnet({ servers: 'two' });",
        '  // @ts-expect-error a proxy needs a backend',
        '  await startProxy({ port: 0 });',
        '  // @ts-expect-error no such field',
        '  void devnet.nope;',
        '  void [n, proxy.url, server, transport, DevnetError];',
        '}',
        '',
      ].join('\n'),
    );
    ok(sh(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app, 120_000), 'tsc in the app');

    const help = ok(sh('npx', ['--no-install', 'lesp', 'devnet', '--help'], app, 60_000), 'npx lesp devnet --help');
    for (const flag of ['--servers <n>', '--les-port <n>', '--http-port <n>', '--rpc <url>']) assert.ok(help.includes(flag), `${flag} in:\n${help}`);
  });

  it('lesp devnet from the installed bin: the summary with its genesis hash, a verified balance through its proxy, SIGINT ends it with 0', async () => {
    const child = spawn(process.execPath, ['node_modules/.bin/lesp', 'devnet', '--http-port', '0', '--les-port', '0', '--servers', '1', '--sections', '0'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 600 && !out.includes('Ctrl-C stops everything.') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(out.includes('Ctrl-C stops everything.'), `no summary:\n${out}\n${err}`);
      const genesis = /^Genesis +(0x[0-9a-f]{64})$/m.exec(out)?.[1];
      const nodeUrl = /^Node RPC +(http:\/\/\S+)/m.exec(out)?.[1] as string;
      const proxyUrl = /^Proxy +(http:\/\/\S+)/m.exec(out)?.[1] as string;
      const ask = async (url: string, method: string, params: unknown[]): Promise<unknown> =>
        ((await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })).json()) as { result?: unknown }).result;
      assert.equal(genesis, ((await ask(nodeUrl, 'eth_getBlockByNumber', ['0x0', false])) as { hash: string }).hash);
      const dev0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
      assert.equal(await ask(proxyUrl, 'eth_getBalance', [dev0, 'latest']), await ask(nodeUrl, 'eth_getBalance', [dev0, 'latest']));
      child.kill('SIGINT');
      assert.equal(await exited, 0, err.slice(-2000));
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it("the README's test file, verbatim, passes under node --test: deploy, move time, mine, verified reads", () => {
    mkdirSync(join(app, 'test'), { recursive: true });
    writeFileSync(join(app, 'test', 'token.test.mjs'), readmeExample('devnet-test'));
    const r = sh(process.execPath, ['--test', '--test-reporter=tap', 'test/token.test.mjs'], app, 180_000);
    ok(r, 'node --test in the app');
    assert.match(r.stdout, /^# pass 2$/m);
    assert.match(r.stdout, /^# fail 0$/m);
    assert.deepEqual(readdirSync(join(app, 'node_modules', 'les-provider')).sort(), ['README.md', 'bin', 'dist', 'package.json']);
  });

  it('vitest (two files at once, forks and threads) and mocha: a devnet each, test methods and verified reads', () => {
    npm(['install', '--save-dev', 'vitest@4.1.12', 'mocha@12.0.3'], app);
    const body = (truthy: (x: string) => string, equal: (a: string, b: string) => string) => `
  const wallet = new Wallet(devnet.accounts[0].privateKey, rpc);
  const to = Wallet.createRandom().address;
  const id = await rpc.send('evm_snapshot', []);
  const t0 = (await rpc.getBlock('latest')).timestamp;
  await rpc.send('evm_increaseTime', [600]);
  await (await wallet.sendTransaction({ to, value: 3n })).wait();
  ${truthy("(await rpc.getBlock('latest')).timestamp >= t0 + 600")};
  ${equal('await devnet.provider().getBalance(to)', '3n')};
  await rpc.send('evm_revert', [id]);
  ${equal('await rpc.getBalance(to)', '0n')};`;
    const head = `import { JsonRpcProvider, Wallet } from 'ethers';
import { startDevnet } from 'les-provider/devnet';
let devnet, rpc;
const setUp = async () => {
  devnet = await startDevnet();
  rpc = new JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 });
};
`;
    const vitest = `import { afterAll, beforeAll, expect, test } from 'vitest';
${head}beforeAll(setUp, 60_000);
afterAll(() => devnet.stop());
test('a devnet of its own', async () => {${body((x) => `expect(${x}).toBe(true)`, (a, b) => `expect(${a}).toBe(${b})`)}
}, 60_000);
`;
    const mocha = `import assert from 'node:assert/strict';
${head}describe('a devnet under mocha', function () {
  this.timeout(60_000);
  before(setUp);
  after(() => devnet.stop());
  it('a devnet of its own', async () => {${body((x) => `assert.ok(${x})`, (a, b) => `assert.equal(${a}, ${b})`)}
  });
});
`;
    mkdirSync(join(app, 'vt'), { recursive: true });
    writeFileSync(join(app, 'vt', 'one.test.mjs'), vitest);
    writeFileSync(join(app, 'vt', 'two.test.mjs'), vitest);
    writeFileSync(join(app, 'vt', 'clock.mocha.mjs'), mocha);
    for (const pool of ['forks', 'threads']) {
      const out = ok(sh(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', `--pool=${pool}`, '--reporter=verbose', 'vt/'], app, 180_000, { NO_COLOR: '1', CI: '1' }), `vitest --pool=${pool}`);
      assert.match(out, /Test Files +2 passed \(2\)/, out);
    }
    const out = ok(sh(process.execPath, ['node_modules/mocha/bin/mocha.js', 'vt/clock.mocha.mjs'], app, 180_000, { NO_COLOR: '1' }), 'mocha');
    assert.match(out, /1 passing/, out);
  });
});

