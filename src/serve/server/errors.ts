import { LespError } from '../../errors.js';

/**
 * Why the LES server refused something:
 * - SERVE_BAD_OPTIONS: a LesServer / CLI option out of range (`field` names it);
 * - SERVE_NOT_STARTED / SERVE_ALREADY_STARTED: a lifecycle call in the wrong state;
 * - SERVE_NODE_UNREACHABLE: the execution node did not answer at start;
 * - SERVE_NODE_UNSUITABLE: the node lacks a method nothing can be served without (`field` names it);
 * - SERVE_STOPPED: stop() was called while start() was still running;
 * - SERVE_NO_CAPACITY: the capacity pool cannot give a client its minimum;
 * - SERVE_BAD_REQUEST: a client's request was malformed, over a limit or of a type not served
 *   (counted against the client, never thrown past the dispatcher).
 */
export type ServeErrorCode =
  | 'SERVE_BAD_OPTIONS'
  | 'SERVE_NOT_STARTED'
  | 'SERVE_ALREADY_STARTED'
  | 'SERVE_NODE_UNREACHABLE'
  | 'SERVE_NODE_UNSUITABLE'
  | 'SERVE_STOPPED'
  | 'SERVE_NO_CAPACITY'
  | 'SERVE_BAD_REQUEST';

export class ServeError extends LespError {
  constructor(code: ServeErrorCode, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
