/**
 * The structured logs of every `lesp` command: pino JSON lines on stderr (stdout carries the
 * command's result: an enode, a URL, the devnet summary), written synchronously so that the
 * last lines before an exit are not lost.
 */
import { type Logger, pino } from 'pino';

export type CliLogger = Logger;

export function createLogger(command: string, level: string): CliLogger {
  return pino({ level, base: { cmd: command } }, pino.destination({ dest: 2, sync: true }));
}
