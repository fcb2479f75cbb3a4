/**
 * Why a retrieval failed. Each names the ODR kind in `field` ('kind') so the methods layer can map
 * them to DESIGN §7 codes: NO_SERVER (no server connected that can answer: 4900 / -32002),
 * VERIFICATION_FAILED (every capable server answered wrongly: its own documented code), TIMEOUT,
 * ABORTED, SCHEDULER_CLOSED.
 */
import { LespError } from '../../errors.js';

export type SchedulerErrorCode = 'NO_SERVER' | 'NOT_SERVED' | 'VERIFICATION_FAILED' | 'TIMEOUT' | 'ABORTED' | 'SCHEDULER_CLOSED' | 'BAD_OPTIONS';

export class SchedulerError extends LespError {
  declare readonly code: SchedulerErrorCode;
  /** The OdrKind's name. */
  readonly kind: string;

  constructor(code: SchedulerErrorCode, kind: string, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, { field: options.field ?? 'kind', cause: options.cause });
    this.kind = kind;
  }
}

/** No connected server can answer this item (capabilities, exclusions, or none connected). */
export class NoServerError extends SchedulerError {
  /** How many connected servers could serve it and left it unanswered (0: none could). */
  readonly unansweredBy: number;

  constructor(kind: string, detail: string, unansweredBy = 0) {
    super('NO_SERVER', kind, `no server can answer ${kind}: ${detail}`);
    this.unansweredBy = unansweredBy;
  }
}

/**
 * Servers are connected but none serves this item (e.g. state older than every server's state
 * window): not a disconnection, so not 4900 / -32002.
 */
export class NotServedError extends SchedulerError {
  constructor(kind: string, connected: number) {
    super('NOT_SERVED', kind, `none of the ${connected} connected server(s) serves this ${kind} (outside their served windows)`);
  }
}

/** Every server that could answer sent an answer that failed verification. */
export class VerificationFailedError extends SchedulerError {
  /** Ids of the servers whose answers failed. */
  readonly servers: readonly string[];

  constructor(kind: string, servers: readonly string[], cause?: unknown) {
    super('VERIFICATION_FAILED', kind, `${kind}: the answer of every capable server (${servers.length}) failed verification`, { cause });
    this.servers = servers;
  }
}

/** The caller's time ran out while the item was being asked. */
export class RetrieveTimeoutError extends SchedulerError {
  readonly timeoutMs: number;
  /** Messages that carried the item. */
  readonly attempts: number;

  constructor(kind: string, timeoutMs: number, attempts: number) {
    super('TIMEOUT', kind, `${kind}: no verified answer within ${timeoutMs} ms (${attempts} attempts)`, { field: 'timeoutMs' });
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
  }
}

export class RetrieveAbortedError extends SchedulerError {
  constructor(kind: string, cause: unknown) {
    super('ABORTED', kind, `${kind}: aborted by the caller`, { field: 'signal', cause });
  }
}

export class SchedulerClosedError extends SchedulerError {
  constructor(kind: string) {
    super('SCHEDULER_CLOSED', kind, `${kind}: the scheduler is closed`);
  }
}
