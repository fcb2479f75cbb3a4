/**
 * A management endpoint is a table of methods, each with the permission it needs (entity:action)
 * and a handler of positional parameters. The same RPC server and token sessions serve any such
 * table (the LES server's here; a proxy's peer commands can be another).
 */
import type { TokenRecord } from '../tokens.js';

export interface MethodContext {
  /** The token session making the call. */
  token: TokenRecord;
  /** Runs `fn` once the answer has been sent (stop). */
  afterResponse(fn: () => void): void;
}

export interface AdminMethod {
  /** `entity:read` or `entity:write`. A readonly token may call every `:read` method. */
  permission: string;
  handler(params: unknown[], ctx: MethodContext): unknown;
}

export type MethodTable = ReadonlyMap<string, AdminMethod>;

/** pino-compatible. */
export interface AdminLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentAdminLog: AdminLog = { debug() {}, info() {}, warn() {}, error() {} };

/** The entities a method table's permissions name. */
export function entitiesOf(methods: MethodTable): Set<string> {
  return new Set([...methods.values()].map((m) => m.permission.split(':')[0] as string));
}
