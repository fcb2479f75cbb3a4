/**
 * Where flag values come from (src/cli/sources.ts): the command line over LESP_* variables over
 * the config file over the default, through the flag's own parser; lists replaced, not merged,
 * by a higher source; required flags and conflicts judged after every source; each bad value
 * refused with one line naming where it came from.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, Option } from 'commander';
import { intArg, repeatable } from '../../../src/cli/options.js';
import { finishCli } from '../../../src/cli/sources.js';

const dir = mkdtempSync(join(tmpdir(), 'lesp-sources-'));
let files = 0;
function configFile(content: unknown): string {
  const path = join(dir, `c${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

type Opts = Record<string, unknown>;

/** A program with `run` (the flags under test) and `other`; parses argv with env; returns run's options or the failure. */
async function parse(argv: string[], env: Record<string, string> = {}): Promise<{ opts?: Opts; error?: string }> {
  let opts: Opts | undefined;
  const program = new Command('lesp').exitOverride();
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  program
    .command('run')
    .option('--http-port <n>', 'a port', intArg(0, 65535), 8545)
    .option('--name <text>', 'a name', 'dflt')
    .addOption(new Option('--server <s>', 'repeatable').argParser(repeatable((v) => v.toUpperCase())).default([]))
    .option('--verbose', 'a boolean')
    .requiredOption('--rpc <url>', 'required')
    .addOption(new Option('--key <k>', 'conflicts with --key-file').conflicts('keyFile'))
    .option('--key-file <f>', 'key file')
    .action((o: Opts) => {
      opts = o;
    });
  program.command('other').option('--only-other <x>', 'a flag of another command').action(() => undefined);
  let failure: unknown;
  finishCli(program, {
    env,
    onFailure: (_cmd, err) => {
      failure = err;
      throw err;
    },
  });
  try {
    await program.parseAsync(['run', ...argv], { from: 'user' });
  } catch (err) {
    return { error: (failure as Error | undefined)?.message ?? (err as Error).message };
  }
  return { opts };
}

const RPC = ['--rpc', 'http://x'];

describe('flag values from the command line, LESP_* and a config file', () => {
  it('precedence: flag > environment > config file > default', async () => {
    const cfg = configFile({ 'http-port': 3, name: 'fromfile' });
    assert.equal((await parse(RPC)).opts?.httpPort, 8545, 'default');
    assert.equal((await parse([...RPC, '--config', cfg])).opts?.httpPort, 3, 'config over default');
    assert.equal((await parse([...RPC, '--config', cfg], { LESP_HTTP_PORT: '2' })).opts?.httpPort, 2, 'env over config');
    assert.equal((await parse([...RPC, '--config', cfg, '--http-port', '1'], { LESP_HTTP_PORT: '2' })).opts?.httpPort, 1, 'flag over env');
    const mixed = (await parse([...RPC, '--config', cfg], { LESP_HTTP_PORT: '2' })).opts;
    assert.equal(mixed?.name, 'fromfile', 'each flag takes its own highest source');
  });

  it('values from env and config go through the flag\'s parser (numbers are numbers, lists are lists)', async () => {
    const r = await parse(RPC, { LESP_HTTP_PORT: '0', LESP_SERVER: 'a, b,c' });
    assert.equal(r.opts?.httpPort, 0);
    assert.deepEqual(r.opts?.server, ['A', 'B', 'C']);
    const cfg = configFile({ 'http-port': '17', server: ['x', 'y'], verbose: true });
    const c = await parse([...RPC, '--config', cfg]);
    assert.equal(c.opts?.httpPort, 17);
    assert.deepEqual(c.opts?.server, ['X', 'Y']);
    assert.equal(c.opts?.verbose, true);
    assert.equal((await parse(RPC, { LESP_VERBOSE: 'false' })).opts?.verbose, false);
    assert.equal((await parse(RPC, { LESP_VERBOSE: 'yes' })).opts?.verbose, true);
  });

  it('a list from a higher source replaces a lower one instead of adding to it', async () => {
    const cfg = configFile({ server: ['file1', 'file2'] });
    assert.deepEqual((await parse([...RPC, '--config', cfg], { LESP_SERVER: 'env1' })).opts?.server, ['ENV1']);
    assert.deepEqual((await parse([...RPC, '--config', cfg, '--server', 'cli1', '--server', 'cli2'], { LESP_SERVER: 'env1' })).opts?.server, ['CLI1', 'CLI2']);
  });

  it('the config file can come from LESP_CONFIG; an empty variable counts as unset', async () => {
    const cfg = configFile({ name: 'viaenv' });
    assert.equal((await parse(RPC, { LESP_CONFIG: cfg })).opts?.name, 'viaenv');
    assert.equal((await parse(RPC, { LESP_NAME: '' })).opts?.name, 'dflt');
  });

  it('a section for the command overrides the top level; flags of other commands are ignored', async () => {
    const cfg = configFile({ name: 'top', 'only-other': 'ignored', run: { name: 'section' }, other: { 'only-other': 'z' } });
    const r = await parse([...RPC, '--config', cfg]);
    assert.equal(r.opts?.name, 'section');
    assert.equal(r.opts?.onlyOther, undefined);
  });

  it('a required flag can come from env or config; missing everywhere it fails with one line', async () => {
    assert.equal((await parse([], { LESP_RPC: 'http://env' })).opts?.rpc, 'http://env');
    assert.equal((await parse(['--config', configFile({ rpc: 'http://file' })])).opts?.rpc, 'http://file');
    const r = await parse([]);
    assert.equal(r.error, 'missing --rpc <url>: give the flag, LESP_RPC, or "rpc" in a --config file');
  });

  it('conflicting flags are refused whichever sources set them', async () => {
    const r = await parse([...RPC, '--key-file', 'f'], { LESP_KEY: 'k' });
    assert.equal(r.error, 'LESP_KEY cannot be used with --key-file');
    const c = await parse([...RPC, '--config', configFile({ 'key-file': 'f' })], { LESP_KEY: 'k' });
    assert.match(c.error ?? '', /^LESP_KEY cannot be used with "key-file" in .*\.json$/);
    assert.equal((await parse([...RPC, '--key', 'k'], {})).opts?.key, 'k');
  });
});

describe('bad values fail with one line naming their source', () => {
  const cases: Array<[string, () => Promise<{ error?: string }>, RegExp]> = [
    ['a bad env value', () => parse(RPC, { LESP_HTTP_PORT: 'eighty' }), /^LESP_HTTP_PORT="eighty": expected an integer, got "eighty"$/],
    ['an env value out of range', () => parse(RPC, { LESP_HTTP_PORT: '70000' }), /^LESP_HTTP_PORT="70000": expected an integer in \[0, 65535\]$/],
    ['a bad env boolean', () => parse(RPC, { LESP_VERBOSE: 'maybe' }), /^LESP_VERBOSE="maybe": expected true or false$/],
    ['a bad config value', () => parse([...RPC, '--config', configFile({ 'http-port': -1 })]), /^"http-port" in .*c\d+\.json: expected an integer, got "-1"$/],
    ['a config value of the wrong type', () => parse([...RPC, '--config', configFile({ name: { a: 1 } })]), /^"name" in .*: expected a string or a number$/],
    ['an unknown config key', () => parse([...RPC, '--config', configFile({ 'htp-port': 1 })]), /^--config .*: unknown key "htp-port"/],
    ['a section that is not an object', () => parse([...RPC, '--config', configFile({ run: 5 })]), /"run" must be an object of flags for lesp run/],
    ['a config file naming another', () => parse([...RPC, '--config', configFile({ config: 'x.json' })]), /cannot name another config file/],
    ['a config file that is not JSON', () => parse([...RPC, '--config', configFile('{"a": ')]), /^--config: .* is not valid JSON/],
    ['a config file that is a list', () => parse([...RPC, '--config', configFile([1])]), /must hold a JSON object of flag values$/],
    ['a missing config file', () => parse([...RPC, '--config', join(dir, 'none.json')]), /^--config: cannot read .*none\.json \(ENOENT\)$/],
    ['a missing config file from LESP_CONFIG', () => parse(RPC, { LESP_CONFIG: join(dir, 'none.json') }), /^LESP_CONFIG: cannot read/],
  ];
  for (const [what, run, pattern] of cases) {
    it(what, async () => {
      const { error } = await run();
      assert.ok(error !== undefined, 'refused');
      assert.match(error, pattern);
      assert.doesNotMatch(error, /\n/);
    });
  }

  it('commander\'s own errors (a bad flag value, an unknown flag) stay one line', async () => {
    let written = '';
    const program = new Command('lesp').exitOverride();
    program.command('run').option('--port <n>', 'p', intArg(0, 10)).action(() => undefined);
    finishCli(program);
    program.configureOutput({ writeErr: (s) => (written += s) });
    for (const c of program.commands) c.configureOutput({ writeErr: (s) => (written += s) });
    await assert.rejects(program.parseAsync(['run', '--port', 'x'], { from: 'user' }));
    await assert.rejects(program.parseAsync(['rnu'], { from: 'user' }));
    const lines = written.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 2, written);
    assert.match(lines[0]!, /--port <n>.*expected an integer/);
    assert.match(lines[1]!, /unknown command 'rnu'.*Did you mean run\?/);
  });
});

describe('a command group (lesp admin <sub>)', () => {
  async function parseGroup(argv: string[], env: Record<string, string> = {}): Promise<{ group?: Opts; sub?: Opts; error?: string; help?: string }> {
    let sub: Opts | undefined;
    let group: Opts | undefined;
    const program = new Command('lesp').exitOverride();
    program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    const admin = program.command('admin').requiredOption('--url <url>', 'management endpoint').option('--timeout <n>', 'ms', intArg(1), 1000);
    admin
      .command('sessions')
      .option('--limit <n>', 'rows', intArg(1), 10)
      .action((o: Opts, cmd: Command) => {
        sub = o;
        group = cmd.parent?.opts();
      });
    let failure: unknown;
    finishCli(program, { env, onFailure: (_c, err) => { failure = err; throw err; } });
    try {
      await program.parseAsync(['admin', ...argv], { from: 'user' });
    } catch (err) {
      return { error: (failure as Error | undefined)?.message ?? (err as Error).message };
    }
    return { group, sub, help: admin.commands[0]?.helpInformation() };
  }

  it('the group\'s flags come from env and config too; the sub-command gets --config and --log-level', async () => {
    const cfg = configFile({ url: 'http://top', admin: { timeout: 5, sessions: { limit: 3 } } });
    const r = await parseGroup(['sessions', '--config', cfg], { LESP_URL: 'http://env' });
    assert.equal(r.group?.url, 'http://env');
    assert.equal(r.group?.timeout, 5);
    assert.equal(r.sub?.limit, 3);
    assert.equal(r.sub?.logLevel, 'info');
    assert.equal((await parseGroup(['--url', 'http://cli', 'sessions'])).group?.url, 'http://cli');
  });

  it('a required group flag is judged after every source', async () => {
    assert.equal((await parseGroup(['sessions'])).error, 'missing --url <url>: give the flag, LESP_URL, or "url" in a --config file');
    assert.match((await parseGroup(['sessions'], { LESP_TIMEOUT: '0' })).error ?? '', /^LESP_TIMEOUT="0": expected an integer in \[1, /);
  });
});
