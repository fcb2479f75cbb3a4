/**
 * Where flag values come from, for every `lesp` command: the command line, `LESP_*` environment
 * variables, a JSON config file (`--config <file>` or LESP_CONFIG), and the flag's default, in
 * that order of precedence. Commander parses the command line; `applySources` then fills every
 * flag the command line left at its default, through the same parser (so a bad value is refused
 * the same way, naming where it came from), and only then checks required flags and conflicts
 * (commander would check them before the other sources are read).
 *
 * Config file: an object whose keys are long flag names ({"http-port": 8546}); a key naming a
 * command holds a section for that command only ({"proxy": {"http-port": 8546}}), overriding the
 * keys above it. A key that is no flag of any command is refused (a typo is not ignored); a flag
 * of another command is ignored, so one file can serve several commands.
 */
import { readFileSync } from 'node:fs';
import { type Command, Help, type Option } from 'commander';
import { CliFailure, exitWithFailure } from './failure.js';
import { logLevelOption } from './options.js';

export const ENV_PREFIX = 'LESP_';
export const CONFIG_ENV = `${ENV_PREFIX}CONFIG`;

export const SOURCES_HELP = [
  '',
  `Every flag can also be set in the environment as ${ENV_PREFIX}<FLAG> (e.g. ${ENV_PREFIX}HTTP_PORT=8546; a`,
  'repeatable flag takes a comma-separated list), or in a JSON config file given by --config or',
  `${CONFIG_ENV}, whose keys are long flag names ({"http-port": 8546}; a section {"proxy": {...}}`,
  'applies to one command only). Precedence: flag > environment > config file > default.',
].join('\n');

type Source = 'cli' | 'env' | 'config';

/** Required options, checked here rather than by commander: their value may come from env or config. */
const required = new WeakSet<Option>();

const isBuiltin = (o: Option): boolean => o.long === '--help' || o.long === '--version';
const isList = (o: Option): boolean => Array.isArray(o.defaultValue) || o.variadic;
const flagName = (o: Option): string => (o.long ?? o.short ?? o.flags).replace(/^-+/, '');
const conflictsOf = (o: Option): string[] => (o as Option & { conflictsWith?: string[] }).conflictsWith ?? [];

/** LESP_HTTP_PORT for --http-port. */
export function envName(option: Option): string {
  return `${ENV_PREFIX}${flagName(option).replace(/-/g, '_').toUpperCase()}`;
}

/** The path of a command below the program, e.g. ['admin', 'sessions']. */
function commandPath(command: Command): string[] {
  const path: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) path.unshift(c.name());
  return path;
}

function allCommands(program: Command): Command[] {
  return [program, ...program.commands.flatMap((c) => allCommands(c))];
}

/** One line per flag: its description, choices, default (or none, or required), env variable. */
class LespHelp extends Help {
  override optionDescription(option: Option): string {
    if (isBuiltin(option)) return option.description;
    // A default the description states itself, "... (default: memory only)", joins the rest.
    const stated = /\s*\(default:? ([^()]*)\)\s*$/.exec(option.description);
    const description = stated === null ? option.description : option.description.slice(0, stated.index);
    const extra: string[] = [];
    if (option.argChoices) extra.push(`choices: ${option.argChoices.join(', ')}`);
    if (required.has(option) || option.mandatory) extra.push('required');
    else if (option.defaultValueDescription !== undefined) extra.push(`default: ${option.defaultValueDescription}`);
    else if (option.defaultValue !== undefined) extra.push(`default: ${JSON.stringify(option.defaultValue)}`);
    else if (stated !== null) extra.push(`default: ${stated[1]}`);
    else if (option.isBoolean()) extra.push(`default: ${option.negate ? 'true' : 'false'}`);
    else extra.push('default: none');
    extra.push(`env: ${envName(option)}`);
    return `${description} (${extra.join(', ')})`;
  }
}

/**
 * Makes every command of `program` take its flags from the environment and a config file, adds
 * `--config` and `--log-level` where a command lacks them, documents both in the help, and turns
 * commander's own errors into one line. Call once, after every command is registered.
 */
export function finishCli(program: Command, opts: { env?: NodeJS.ProcessEnv; onFailure?: (command: Command, err: unknown) => void } = {}): void {
  const env = opts.env ?? process.env;
  const onFailure = opts.onFailure ?? ((command: Command, err: unknown) => exitWithFailure(commandPath(command).join(' '), err));
  for (const command of allCommands(program)) {
    command.createHelp = () => Object.assign(new LespHelp(), command.configureHelp());
    command.configureOutput({ outputError: (str, write) => write(`${str.trimEnd().replace(/\s*\n\s*/g, ' ')}\n`) });
    command.showHelpAfterError(false);
    if (command.parent === null) continue;
    for (const o of command.options.filter((x) => x.mandatory)) {
      required.add(o);
      o.mandatory = false;
    }
    if (command.commands.length > 0) continue;
    const has = (long: string): boolean => chainOf(command).some((c) => c.options.some((o) => o.long === long));
    if (!has('--log-level')) command.addOption(logLevelOption());
    if (!has('--config')) command.option('--config <file>', 'JSON file of flag values, keys are long flag names');
    command.addHelpText('after', SOURCES_HELP);
  }
  program.addHelpText('after', `\nRun lesp <command> --help for a command's flags.${SOURCES_HELP}`);
  program.hook('preAction', (_program, action) => {
    try {
      applySources(action, program, env);
    } catch (err) {
      onFailure(action, err);
    }
  });
}

function readConfig(path: string, origin: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliFailure(`${origin}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliFailure(`${origin}: ${path} is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new CliFailure(`${origin}: ${path} must hold a JSON object of flag values`);
  return json as Record<string, unknown>;
}

/** The config file's values for `command`: top-level keys, then its sections, each overriding. */
function configValues(file: Record<string, unknown>, path: string, command: Command, program: Command): Map<string, unknown> {
  const ours = new Set(chainOf(command).flatMap((c) => c.options.filter((o) => !isBuiltin(o)).map(flagName)));
  const anyFlag = new Set(allCommands(program).flatMap((c) => c.options.map(flagName)));
  const out = new Map<string, unknown>();
  const names = commandPath(command);
  let level: Record<string, unknown> | undefined = file;
  let parent: Command = program;
  for (let depth = 0; level !== undefined; depth++) {
    const next = names[depth];
    let nextLevel: Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(level)) {
      const sub = parent.commands.find((c) => c.name() === key);
      if (sub !== undefined) {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CliFailure(`--config ${path}: "${key}" must be an object of flags for lesp ${[...names.slice(0, depth), key].join(' ')}`);
        if (key === next) nextLevel = value as Record<string, unknown>;
      } else if (key === 'config') throw new CliFailure(`--config ${path}: a config file cannot name another config file`);
      else if (ours.has(key)) out.set(key, value);
      else if (!anyFlag.has(key)) throw new CliFailure(`--config ${path}: unknown key "${key}" (keys are long flag names, e.g. "log-level")`);
    }
    const child = next === undefined ? undefined : parent.commands.find((c) => c.name() === next);
    if (child === undefined) break;
    parent = child;
    level = nextLevel;
  }
  return out;
}

/** Strings for the option's parser, from an env value or a config value. */
function rawValues(option: Option, value: unknown, where: string, fromEnv: boolean): string[] {
  if (isList(option)) {
    if (typeof value === 'string' && fromEnv) return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const items = Array.isArray(value) ? (value as unknown[]) : [value];
    return items.map((v) => scalar(v, where));
  }
  return [scalar(value, where)];
}

function scalar(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new CliFailure(`${where}: expected a string or a number`);
}

function booleanValue(value: unknown, where: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)) return true;
  if (typeof value === 'string' && /^(0|false|no|off)$/i.test(value)) return false;
  throw new CliFailure(`${where}: expected true or false`);
}

function parsed(option: Option, value: unknown, where: string, fromEnv: boolean): unknown {
  if (option.isBoolean()) return option.negate ? !booleanValue(value, where) : booleanValue(value, where);
  const parse = option.parseArg;
  let result: unknown = undefined;
  for (const raw of rawValues(option, value, where, fromEnv)) {
    try {
      result = parse === undefined ? (isList(option) ? [...((result as string[] | undefined) ?? []), raw] : raw) : parse(raw, result);
    } catch (err) {
      throw new CliFailure(`${where}: ${(err as Error).message}`);
    }
  }
  return result ?? [];
}

/** Who set an option, for messages: the flag, the env variable, or the config key. */
function origin(command: Command, option: Option, configPath: string | undefined): string {
  const source = command.getOptionValueSource(option.attributeName());
  if (source === 'env') return envName(option);
  if (source === 'config') return `"${flagName(option)}" in ${configPath ?? 'the config file'}`;
  return `--${flagName(option)}`;
}

/** The command and its ancestors below the program: a group's options (`lesp admin --url ... sessions`) take sources too. */
function chainOf(command: Command): Command[] {
  const out: Command[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) out.push(c);
  return out;
}

/**
 * Fills the options of `command` and of its parent groups from env and config where the command
 * line did not set them; then checks required flags and conflicts.
 */
export function applySources(command: Command, program: Command, env: NodeJS.ProcessEnv): void {
  const chain = chainOf(command);
  const holder = chain.find((c) => c.options.some((o) => o.long === '--config'));
  const configOpt = holder?.options.find((o) => o.long === '--config');
  let configPath: string | undefined;
  if (holder !== undefined) {
    const fromCli = holder.getOptionValue('config') as string | undefined;
    const fromEnv = env[CONFIG_ENV];
    configPath = fromCli ?? (fromEnv === '' ? undefined : fromEnv);
    if (fromCli === undefined && configPath !== undefined) holder.setOptionValueWithSource('config', configPath, 'env');
  }
  const configFrom = holder?.getOptionValueSource('config') === 'env' ? CONFIG_ENV : '--config';
  const file = configPath === undefined ? undefined : configValues(readConfig(configPath, configFrom), configPath, command, program);
  for (const cmd of chain) {
    for (const option of cmd.options) {
      if (isBuiltin(option) || option === configOpt || cmd.getOptionValueSource(option.attributeName()) === 'cli') continue;
      const name = envName(option);
      const fromEnv = env[name];
      let value: { source: Source; value: unknown } | undefined;
      if (fromEnv !== undefined && fromEnv !== '') value = { source: 'env', value: parsed(option, fromEnv, `${name}="${fromEnv}"`, true) };
      else if (file?.has(flagName(option))) {
        const raw = file.get(flagName(option));
        value = { source: 'config', value: parsed(option, raw, `"${flagName(option)}" in ${configPath as string}`, false) };
      }
      if (value !== undefined) cmd.setOptionValueWithSource(option.attributeName(), value.value, value.source);
    }
  }
  for (const cmd of chain) {
    for (const option of cmd.options) {
      if (required.has(option) && cmd.getOptionValue(option.attributeName()) === undefined) {
        throw new CliFailure(`missing ${option.flags}: give the flag, ${envName(option)}, or "${flagName(option)}" in a --config file`);
      }
    }
    const explicit = (o: Option): boolean => ['cli', 'env', 'config'].includes(cmd.getOptionValueSource(o.attributeName()) ?? '');
    for (const option of cmd.options) {
      if (!explicit(option)) continue;
      for (const other of conflictsOf(option)) {
        const o = cmd.options.find((x) => x.attributeName() === other);
        if (o !== undefined && explicit(o) && cmd.getOptionValue(other) !== undefined) {
          throw new CliFailure(`${origin(cmd, option, configPath)} cannot be used with ${origin(cmd, o, configPath)}`);
        }
      }
    }
  }
}
