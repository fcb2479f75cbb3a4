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

/**
 * The help of every command of the real program, as `lesp <path> --help` prints it (commander's
 * helpInformation), from one process: examples/cli-help-dump.ts stands in for parseAsync.
 */
async function helpTexts(): Promise<Record<string, string>> {
  const r = await run(process.execPath, ['--import', 'tsx', '--import', './examples/cli-help-dump.ts', 'src/cli/main.ts'], {});
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

/** Options and subcommands (usage term without "[options]") of one help text; wrapped lines are indented deeper. */
function parseHelp(text: string): { flags: Flag[]; commands: string[] } {
  const entries: Array<{ kind: 'o' | 'c'; text: string }> = [];
  let kind: 'o' | 'c' | undefined;
  for (const line of text.split('\n')) {
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
  const commands = entries
    .filter((e) => e.kind === 'c')
    .map((e) => (e.text.split(/\s{2,}/)[0] as string).replace(' [options]', ''))
    .filter((c) => !c.startsWith('help'));
  return { flags, commands };
}

/** The first cells of the README table between <!-- <name> --> and <!-- /<name> -->, unquoted. */
function readmeRows(name: string): string[][] | undefined {
  const start = README.indexOf(`<!-- ${name} -->\n`);
  if (start < 0) return undefined;
  const end = README.indexOf(`<!-- /${name} -->`, start);
  assert.ok(end > start, `README closes <!-- ${name} -->`);
  const unquote = (c: string): string => c.replace(/^\*\*(.*)\*\*$/, '$1').replace(/^`(.*)`$/, '$1').replace(/\\\|/g, '|').replace(/&lt;/g, '<');
  return README.slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => l.split(/(?<!\\)\|/).slice(1, -1).map((c) => unquote(c.trim())));
}

const flagsOf = (rows: string[][]): Flag[] => rows.map((r) => ({ flag: r[0] as string, default: r[2] as string, env: r[3] as string }));

describe('README reference sections match the code', () => {
  it('CLI reference: every command, subcommand, flag, default and LESP_* variable as `--help` prints them', async () => {
    const texts = await helpTexts();
    const help = Object.fromEntries(Object.entries(texts).map(([path, text]) => [path, parseHelp(text)]));
    assert.ok((help['']?.commands.length ?? 0) >= 3, 'lesp lists its commands');
    const used = new Set<string>();
    const block = (name: string): string[][] | undefined => {
      const rows = readmeRows(name);
      if (rows !== undefined) used.add(name);
      return rows;
    };
    for (const [path, h] of Object.entries(help)) {
      if (path === '') continue;
      const parent = path.includes(' ') ? path.slice(0, path.lastIndexOf(' ')) : '';
      if (h.commands.length > 0) {
        const rows = block(`cli-commands:${path}`);
        assert.ok(rows !== undefined, `README has no subcommand table for "lesp ${path}" (<!-- cli-commands:${path} -->)`);
        assert.deepEqual(rows.map((r) => r[0]), h.commands, `README's subcommands of "lesp ${path}" differ from its --help`);
      }
      // A subcommand may share its group's "every subcommand" table (<!-- cli:<group> * -->).
      const rows = block(`cli:${path}`) ?? (parent === '' ? undefined : block(`cli:${parent} *`));
      assert.ok(rows !== undefined, `README's CLI reference has no flag table for "lesp ${path}" (<!-- cli:${path} -->)`);
      assert.deepEqual(flagsOf(rows), h.flags, `README's flag table for "lesp ${path}" differs from its --help`);
    }
    const documented = [...README.matchAll(/<!-- (cli(?:-commands)?:[a-z_. *]+) -->/g)].map((m) => m[1] as string);
    assert.deepEqual(documented.filter((d) => !used.has(d)), [], 'README documents commands lesp does not have');
  });

  it('Supported methods: exactly the method table, plus eth_subscribe/eth_unsubscribe', () => {
    // The method table only: the subsections' tables (subscription error codes) are not methods.
    const text = section('Supported methods').split('\n### ')[0] as string;
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
