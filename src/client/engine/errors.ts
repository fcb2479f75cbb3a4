/**
 * The light client's own errors, and the deadline of its start: a start that fails names each
 * configured server's last reason (client/servers/failures.ts) and carries it as `cause`.
 */
import { LespError } from '../../errors.js';
import { parseEnode } from '../../net/index.js';
import { type ServerFailure, failureSummary } from '../servers/index.js';

/**
 * NO_USABLE_SERVER: every configured server failed the handshake for a reason retrying cannot
 * change (start() fails at once); START_TIMEOUT: not started within timeouts.startMs. Both name
 * each server's last reason and carry it as `cause` (one server's error, or an AggregateError).
 */
export type ClientErrorCode = 'NO_SERVER' | 'SCHEDULER_CLOSED' | 'START_TIMEOUT' | 'NO_USABLE_SERVER' | 'ALREADY_STARTED';

/** NO_SERVER and SCHEDULER_CLOSED share the scheduler's codes, so they map to 4900 / -32002. */
export class ClientError extends LespError {
  declare readonly code: ClientErrorCode;
  /** Why each configured server could not be used (start errors). */
  readonly failures: readonly ServerFailure[];

  constructor(code: ClientErrorCode, message: string, options: { field?: string; cause?: unknown; failures?: readonly ServerFailure[] } = {}) {
    super(code, message, { field: options.field, cause: options.cause });
    this.failures = options.failures ?? [];
  }
}

/** `why`: the servers' last failures at the deadline, named in the message and carried as its cause. */
export function withTimeout(p: Promise<void>, ms: number, what: string | (() => string), why?: () => { failures: ServerFailure[]; cause: Error | undefined }): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const { failures, cause } = why?.() ?? { failures: [], cause: undefined };
      const detail = failures.length === 0 ? '' : ` (${failureSummary(failures)})`;
      reject(new ClientError('START_TIMEOUT', `${typeof what === 'string' ? what : what()} within ${ms} ms${detail}`, { field: 'timeouts.startMs', cause, failures }));
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** host:port of an enode URL, as the failure lines write it. */
export function addressOf(enode: string): string {
  const { host, port } = parseEnode(enode);
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
