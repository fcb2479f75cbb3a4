/**
 * `lesp --help` and `lesp <command> --help` of the real command: every flag is listed with its
 * default (or marked required) and its LESP_* variable, --config and --log-level are on every
 * command, the sources and their precedence are documented, and devnet's flags carry the
 * defaults issue 5 names (2 servers, proxy on 8545).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const ROOT = new URL('../../..', import.meta.url).pathname;

function lesp(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COLUMNS: '200' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Flag entries of a help text: the "--flag ..." term and its description, joined across wrapped lines. */
function flagEntries(help: string): Array<{ flag: string; text: string }> {
  const body = help.slice(help.indexOf('Options:'), help.search(/\n(Commands:|\nEvery flag|\nRun lesp)/));
  const entries: Array<{ flag: string; text: string }> = [];
  for (const line of body.split('\n').slice(1)) {
    const m = /^ {2}(?:-\w, )?(--[\w-]+)/.exec(line);
    if (m) entries.push({ flag: m[1] as string, text: line });
    else if (entries.length > 0 && line.trim() !== '') (entries.at(-1) as { text: string }).text += ` ${line.trim()}`;
  }
  return entries;
}

const COMMANDS = ['devnet', 'serve', 'proxy'];

describe('lesp --help', () => {
  it('lists the commands and documents the flag sources and their precedence', () => {
    const r = lesp(['--help']);
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^ {2}${c} `, 'm'));
    assert.match(r.stdout, /LESP_<FLAG>/);
    assert.match(r.stdout, /--config/);
    assert.match(r.stdout, /Precedence: flag > environment > config file > default\./);
  });

  for (const command of COMMANDS) {
    it(`lesp ${command} --help lists every flag with its default and env variable`, () => {
      const r = lesp([command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      const entries = flagEntries(r.stdout);
      assert.ok(entries.length >= 3, r.stdout);
      for (const { flag, text } of entries) {
        if (flag === '--help') continue;
        assert.match(text, /\((?:.*, )?(default: [^,)]+|required)[,)]/, `${flag} shows its default: ${text}`);
        const env = `LESP_${flag.slice(2).replace(/-/g, '_').toUpperCase()}`;
        assert.ok(text.includes(`env: ${env}`), `${flag} names ${env}: ${text}`);
      }
      const flags = entries.map((e) => e.flag);
      assert.ok(flags.includes('--config') && flags.includes('--log-level'), 'every command takes --config and --log-level');
      assert.match(r.stdout, /Precedence: flag > environment > config file > default\./);
    });
  }

  it('devnet\'s defaults: 2 servers, the proxy on 127.0.0.1:8545, anvil unless --rpc', () => {
    const entries = new Map(flagEntries(lesp(['devnet', '--help']).stdout).map((e) => [e.flag, e.text]));
    assert.match(entries.get('--servers') ?? '', /default: 2\b/);
    assert.match(entries.get('--http-port') ?? '', /default: 8545\b/);
    assert.match(entries.get('--http-host') ?? '', /default: "127\.0\.0\.1"/);
    assert.match(entries.get('--rpc') ?? '', /default: start anvil/);
    assert.match(entries.get('--log-level') ?? '', /default: "warn"/);
  });

  it('a required flag is marked so (serve --rpc)', () => {
    const entries = new Map(flagEntries(lesp(['serve', '--help']).stdout).map((e) => [e.flag, e.text]));
    assert.match(entries.get('--rpc') ?? '', /\(required, env: LESP_RPC\)/);
  });
});
