/**
 * The real `lesp` command refuses bad input with one line on stderr, a non-zero exit code and no
 * stack trace: bad flags, unknown flags and commands, bad LESP_* values, bad config files, a
 * missing required flag; and a flag on the command line wins over a bad environment value.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'lesp-errors-'));
const file = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
/** Port 1 on 127.0.0.1: nothing listens there (a privileged port). */
const DEAD = 'http://127.0.0.1:1';

function lesp(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('lesp: bad input ends with one line', () => {
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['an unknown command', ['devnt'], {}, /^error: unknown command 'devnt' \(Did you mean devnet\?\)$/],
    ['an unknown flag', ['devnet', '--frobnicate'], {}, /^error: unknown option '--frobnicate'$/],
    ['a bad flag value', ['devnet', '--servers', '0'], {}, /^error: option '--servers <n>' argument '0' is invalid\. expected an integer in \[1, 16\]$/],
    ['a bad choice', ['serve', '--log-level', 'loud'], {}, /--log-level <level>' argument 'loud' is invalid\. Allowed choices are/],
    ['a bad env value', ['devnet'], { LESP_HTTP_PORT: 'eighty' }, /^lesp devnet: LESP_HTTP_PORT="eighty": expected an integer, got "eighty"$/],
    ['a bad env choice', ['proxy'], { LESP_LOG_LEVEL: 'loud' }, /^lesp proxy: LESP_LOG_LEVEL="loud": Allowed choices are/],
    ['a config file that is not JSON', ['devnet', '--config', file('bad.json', '{"servers": ')], {}, /^lesp devnet: --config: .*bad\.json is not valid JSON/],
    ['a config file with an unknown key', ['devnet', '--config', file('typo.json', '{"srevers": 2}')], {}, /^lesp devnet: --config .*typo\.json: unknown key "srevers"/],
    ['a bad config value', ['devnet', '--config', file('zero.json', '{"servers": 0}')], {}, /^lesp devnet: "servers" in .*zero\.json: expected an integer in \[1, 16\]$/],
    ['a missing config file from LESP_CONFIG', ['serve'], { LESP_CONFIG: join(dir, 'absent.json') }, /^lesp serve: LESP_CONFIG: cannot read .*absent\.json \(ENOENT\)$/],
    ['a missing required flag', ['serve'], {}, /^lesp serve: missing --rpc <url>: give the flag, LESP_RPC, or "rpc" in a --config file$/],
    ['a flag that wins over a bad env value, then an unreachable node', ['devnet', '--rpc', DEAD, '--http-port', '0', '--les-port', '0'], { LESP_RPC: 'not a url' }, /^lesp devnet: the node at http:\/\/127\.0\.0\.1:1\/ does not answer/],
    ['a node from the config file that does not answer', ['serve', '--config', file('serve.json', JSON.stringify({ serve: { rpc: DEAD, port: 0 } }))], {}, /^lesp serve: .*does not answer/],
  ];
  for (const [what, args, env, pattern] of cases) {
    it(what, () => {
      const r = lesp(args, { LESP_LOG_LEVEL: 'silent', ...env });
      assert.notEqual(r.code, 0);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
      assert.match(lines[0] as string, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }
});
