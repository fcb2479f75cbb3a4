/**
 * For readme.test.ts only: preloaded before the real `lesp` entry (src/cli/main.ts), it replaces
 * commander's parseAsync so that, instead of running a command, the program prints the help of
 * every command in its tree (exactly what `lesp <command> --help` shows, built by the real
 * program) as one JSON object { "<command path>": "<help text>" }. One process instead of one per
 * command.
 *
 *   node --import tsx --import ./examples/cli-help-dump.ts src/cli/main.ts
 */
import { Command } from 'commander';

function walk(command: Command, path: string[], out: Record<string, string>): void {
  out[path.join(' ')] = command.helpInformation();
  for (const sub of command.commands) walk(sub, [...path, sub.name()], out);
}

Command.prototype.parseAsync = async function dumpHelp(this: Command): Promise<Command> {
  const out: Record<string, string> = {};
  walk(this, [], out);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return this;
};
