/**
 * How a `lesp` command fails: one line on stderr (`lesp <cmd>: what went wrong`) and exit code 1,
 * never a stack trace. Expected failures are CliFailure (bad flags together, unreadable files,
 * unreachable endpoints) or a LespError from the library (its message names the field); anything
 * else is reported as an unexpected failure, still on one line.
 */
import { LespError } from '../errors.js';

/** Ends the command with one line: what went wrong. */
export class CliFailure extends Error {}

/** The one line for `err`, without the `lesp <cmd>: ` prefix. */
export function failureLine(err: unknown): string {
  const known = err instanceof CliFailure || err instanceof LespError;
  const text = err instanceof Error ? err.message : String(err);
  const oneLine = text.replace(/\s*\n\s*/g, ' ').trim();
  return known ? oneLine : `unexpected failure: ${oneLine}`;
}

/** Prints the failure line for command `name` and exits 1. */
export function exitWithFailure(name: string, err: unknown): never {
  console.error(`lesp ${name}: ${failureLine(err)}`);
  process.exit(1);
}

/** Wraps a command's action: any error it throws becomes the one line and exit code 1. */
export function runAction<A extends unknown[]>(name: string, action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (err) {
      exitWithFailure(name, err);
    }
  };
}
