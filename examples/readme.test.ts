/**
 * The README's reference sections against what exists: every `lesp` command and flag its CLI
 * tables list, with default and environment variable, exactly as the real `--help` prints them
 * (both ways: nothing documented that does not exist, nothing that exists left out); every method
 * of the method table in "Supported methods"; every JSON-RPC code of the error table in "Errors
 * you see"; the network config keys the parser accepts.
 *
 * When a flag changes, update the README table between <!-- cli:<command> --> and
 * <!-- /cli:<command> --> (one row per flag: | `flag` | meaning | default | `LESP_…` |).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseNetworkConfig } from '../src/config/network.js';
import { METHOD_SPECS, RPC_ERROR_TABLE } from '../src/client/methods/index.js';
import { run } from './harness.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The text of the README section under `## title`, up to the next `## `. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  assert.ok(start >= 0, `README has a "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

interface Flag {
  flag: string;
  default: string;
  env: string;
}

/** Options and subcommands of `lesp <path> --help`, from commander's layout (wrapped lines indented deeper). */
async function help(path: string[]): Promise<{ flags: Flag[]; commands: string[] }> {
  const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...path, '--help'], {});
  assert.equal(r.code, 0, r.stderr);
  const entries: Array<{ kind: 'o' | 'c'; text: string }> = [];
  let kind: 'o' | 'c' | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('Options:')) kind = 'o';
    else if (line.startsWith('Commands:')) kind = 'c';
    else if (line.trim() === '') kind = undefined;
    else if (kind !== undefined && /^ {2}\S/.test(line)) entries.push({ kind, text: line.trim() });
    else if (kind !== undefined) (entries.at(-1) as { text: string }).text += ` ${line.trim()}`;
  }
  const flags = entries
    .filter((e) => e.kind === 'o' && !/^-[hV],/.test(e.text))
    .map((e) => {
      const [flag] = e.text.split(/\s{2,}/);
      const extra = /\(([^()]*(?:\([^()]*\)[^()]*)*)\)$/.exec(e.text)?.[1] ?? '';
      const dflt = /(?:^|, )default: (.*?)(?:, env: |$)/.exec(extra)?.[1] ?? (/(?:^|, )required(?:,|$)/.test(extra) ? 'required' : '');
      return { flag: flag as string, default: dflt.replace(/^"(.*)"$/, '$1'), env: /env: (\S+)$/.exec(extra)?.[1] ?? '' };
    });
  const commands = entries.filter((e) => e.kind === 'c').map((e) => e.text.split(' ')[0] as string).filter((c) => c !== 'help');
  return { flags, commands };
}

/** The rows of the README table between <!-- cli:<name> --> and <!-- /cli:<name> -->. */
function readmeFlags(name: string): Flag[] | undefined {
  const m = new RegExp(`<!-- cli:${name} -->\\n([\\s\\S]*?)<!-- /cli:${name} -->`).exec(README);
  if (m === null) return undefined;
  return (m[1] as string)
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const cells = l.split(/(?<!\\)\|/).map((c) => c.trim());
      const unquote = (c: string): string => c.replace(/^\*\*(.*)\*\*$/, '$1').replace(/^`(.*)`$/, '$1').replace(/\\\|/g, '|');
      return { flag: unquote(cells[1] as string), default: unquote(cells[3] as string), env: unquote(cells[4] as string) };
    });
}

describe('README reference sections match the code', () => {
  it('CLI reference: every command, flag, default and LESP_* variable as `--help` prints them', async () => {
    const top = await help([]);
    assert.ok(top.commands.length >= 3, 'lesp lists its commands');
    const documented = [...README.matchAll(/<!-- cli:([a-z ]+) -->/g)].map((m) => m[1] as string);
    const seen: string[] = [];
    const walk = async (path: string[]): Promise<void> => {
      const h = await help(path);
      if (h.commands.length > 0) {
        await Promise.all(h.commands.map((c) => walk([...path, c])));
        return;
      }
      const name = path.join(' ');
      seen.push(name);
      const rows = readmeFlags(name);
      assert.ok(rows !== undefined, `README's CLI reference has no table for "lesp ${name}" (<!-- cli:${name} --> … <!-- /cli:${name} -->)`);
      assert.deepEqual(rows, h.flags, `README's table for "lesp ${name}" differs from its --help`);
    };
    await Promise.all(top.commands.map((c) => walk([c])));
    assert.deepEqual(documented.filter((d) => !seen.includes(d)), [], 'README documents commands lesp does not have');
  });

  it('Supported methods: exactly the method table, plus eth_subscribe/eth_unsubscribe', () => {
    const text = section('Supported methods');
    const rows = text.split('\n').filter((l) => l.startsWith('| `'));
    const listed = rows.flatMap((l) => [...(l.split('|')[1] as string).matchAll(/`([a-z0-9_A-Z]+)`/g)].map((m) => m[1] as string));
    const want = [...METHOD_SPECS.map((s) => s.name), 'eth_subscribe', 'eth_unsubscribe'];
    assert.deepEqual([...listed].sort(), [...want].sort());
  });

  it('Errors you see: every code of the error table', () => {
    const text = section('Errors you see');
    const codes = new Set([...text.matchAll(/\*\*(-?\d+)\*\*/g)].map((m) => Number(m[1])));
    for (const [name, m] of Object.entries(RPC_ERROR_TABLE)) {
      assert.ok(codes.has(m.proxy), `${name}: proxy code ${m.proxy} is in the README`);
      assert.ok(codes.has(m.eip1193), `${name}: EIP-1193 code ${m.eip1193} is in the README`);
    }
  });

  it('Network config: every documented key is accepted, every key of a parsed config is documented', () => {
    const text = section('Network config');
    const keys = text
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => (/^\| `([A-Za-z]+)`/.exec(l) as RegExpExecArray)[1] as string);
    for (const key of keys) {
      assert.doesNotThrow(() => parseNetworkConfig({ [key]: undefined }), `parseNetworkConfig accepts the key ${key}`);
    }
    assert.throws(() => parseNetworkConfig({ notAKey: 1 }), /unknown key/);
    const parsed = { ...parseNetworkConfig({}), checkpoint: undefined, checkpointOracle: undefined };
    for (const key of Object.keys(parsed)) assert.ok(keys.includes(key), `the README documents ${key}`);
  });
});
